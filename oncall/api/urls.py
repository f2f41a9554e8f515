from django.urls import path
from rest_framework.routers import SimpleRouter

from oncall.api import views

router = SimpleRouter()
router.register("teams", views.TeamViewSet, basename="team")
router.register("rotations", views.RotationViewSet, basename="rotation")
router.register("overrides", views.OverrideViewSet, basename="override")
router.register("swap-requests", views.SwapRequestViewSet, basename="swap-request")
router.register("escalation-policies", views.EscalationPolicyViewSet, basename="escalation-policy")

urlpatterns = [
    *router.urls,
    path("oncall/", views.OnCallView.as_view(), name="oncall"),
]
