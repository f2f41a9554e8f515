"""/api/v1/: the incident, on-call and post-mortem APIs and metrics, their OpenAPI schema and the docs pages
(assets served locally)."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.decorators import api_view, permission_classes, renderer_classes, schema
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse

import config.api.schema  # noqa: F401  (registers the bearer-token scheme with drf-spectacular)

app_name = "api"

ROOT_LINKS = [
    "incident-list", "service-list", "team-list", "rotation-list", "oncall", "override-list", "swap-request-list",
    "escalation-policy-list", "postmortem-list", "action-item-list", "metrics", "schema", "docs",
]


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
@renderer_classes([JSONRenderer])
@schema(None)
def api_root(request):
    return Response({name: reverse(f"api:{name}", request=request) for name in ROOT_LINKS})


def api_not_found(request):
    """Unknown URLs under /api/v1/ answer in the API's error shape, not with the HTML 404 page."""
    return JsonResponse({"detail": "No such API endpoint.", "errors": {}}, status=404)


urlpatterns = [
    path("", api_root, name="root"),
    path("", include("incidents.api.urls")),
    path("", include("oncall.api.urls")),
    path("", include("postmortems.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    # Only paths ending in a slash, so that CommonMiddleware still adds a missing trailing slash.
    re_path(r"^.*/$", api_not_found),
]
