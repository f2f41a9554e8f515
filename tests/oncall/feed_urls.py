"""The project's URLs plus oncall's, mounted as config/urls.py will mount them (until it does)."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)
if not any(getattr(pattern, "namespace", None) == "oncall" for pattern in urlpatterns):
    urlpatterns.append(path("oncall/", include("oncall.urls")))
