from django.urls import path

from postmortems import views
from postmortems.views import hygiene

app_name = "postmortems"
urlpatterns = [
    path("", views.postmortem_list, name="list"),
    path("action-items/", views.my_action_items, name="my_action_items"),
    path("action-items/<int:pk>/status/", views.action_item_status, name="action_item_status"),
    path("hygiene/", hygiene.alert_hygiene_page, name="hygiene"),
    path("hygiene/action-items/", hygiene.hygiene_action_item, name="hygiene_action_item"),
    path("incident/<int:incident_pk>/", views.postmortem_for_incident, name="for_incident"),
    path("<int:pk>/", views.postmortem_detail, name="detail"),
    path("<int:pk>/edit/", views.postmortem_edit, name="edit"),
    path("<int:pk>/timeline/import/", views.postmortem_timeline_import, name="timeline_import"),
    path("<int:pk>/transition/<slug:action>/", views.postmortem_transition, name="transition"),
    path("<int:pk>/print/", views.postmortem_print, name="print"),
    path("<int:pk>/export.md", views.postmortem_markdown_download, name="markdown"),
]
