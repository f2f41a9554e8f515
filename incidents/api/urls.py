from django.urls import path
from rest_framework.routers import SimpleRouter

from incidents.api import views
from incidents.api.heartbeats import HeartbeatViewSet
from incidents.api.hygiene import AlertHygieneView
from incidents.api.maintenance import MaintenanceWindowViewSet
from incidents.api.metrics import MetricsView
from incidents.api.noise import IntegrationVerdictViewSet

router = SimpleRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("services", views.ServiceViewSet, basename="service")
router.register("heartbeats", HeartbeatViewSet, basename="heartbeat")
router.register("maintenance-windows", MaintenanceWindowViewSet, basename="maintenance-window")
router.register("integration-verdicts", IntegrationVerdictViewSet, basename="integration-verdict")

incident_children = "incidents/<int:incident_id>"
urlpatterns = [
    *router.urls,
    path("metrics/", MetricsView.as_view(), name="metrics"),
    path("alert-hygiene/", AlertHygieneView.as_view(), name="alert-hygiene"),
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
