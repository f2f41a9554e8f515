from django.urls import path

from incidents import views
from incidents.views import insights as insights_views
from incidents.views import noise as noise_views
from incidents.views import paging as paging_views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("declare/", views.incident_declare, name="declare"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/transition/<slug:action>/", views.incident_transition, name="transition"),
    path("<int:pk>/severity/", views.incident_change_severity, name="severity"),
    path("<int:pk>/roles/", views.incident_assign_role, name="assign_role"),
    path("<int:pk>/roles/<int:assignment_pk>/relieve/", views.incident_relieve_role, name="relieve_role"),
    path("<int:pk>/updates/", views.incident_post_update, name="post_update"),
    path("<int:pk>/edit/", views.incident_edit, name="edit"),
    path("<int:pk>/verdict/", noise_views.incident_verdict, name="verdict"),
    path("integrations/<int:pk>/verdict/", noise_views.integration_verdict, name="integration_verdict"),
    path("<int:pk>/page/", paging_views.incident_page_responder, name="page"),
    path("<int:pk>/page/acknowledge/", paging_views.incident_page_acknowledge, name="page_acknowledge"),
    path("insights/", insights_views.insights, name="insights"),
]
