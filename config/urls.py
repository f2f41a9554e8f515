from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from config.health import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="incidents:list", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("incidents/", include("incidents.urls")),
    path("status/", include("incidents.status_urls")),
    path("oncall/tokens/", include("oncall.api.page_urls")),
    path("oncall/", include("oncall.urls")),
    path("postmortems/", include("postmortems.urls")),
    path("api/v1/", include("config.api.urls")),
    path("integrations/", include("incidents.ingestion_urls")),
]
