from django.urls import path
from rest_framework.routers import SimpleRouter

from incidents.api import views
from incidents.api.metrics import MetricsView

router = SimpleRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("services", views.ServiceViewSet, basename="service")

incident_children = "incidents/<int:incident_id>"
urlpatterns = [
    *router.urls,
    path("metrics/", MetricsView.as_view(), name="metrics"),
    path(f"{incident_children}/timeline/", views.TimelineViewSet.as_view({"get": "list"}), name="incident-timeline"),
    path(
        f"{incident_children}/status-updates/",
        views.StatusUpdateViewSet.as_view({"get": "list", "post": "create"}),
        name="incident-status-updates",
    ),
    path(
        f"{incident_children}/roles/",
        views.RoleAssignmentViewSet.as_view({"get": "list", "post": "create"}),
        name="incident-roles",
    ),
    path(
        f"{incident_children}/roles/<int:pk>/relieve/",
        views.RoleAssignmentViewSet.as_view({"post": "relieve"}),
        name="incident-role-relieve",
    ),
]
