"""Included at /integrations/ (config/urls.py): a PagerDuty client whose base URL is http://HOST/integrations
posts to /integrations/v2/enqueue unchanged. Each path also answers with or without its trailing slash, because
senders are configured by hand and a redirect would turn their POST into a GET."""

from django.urls import path

from incidents.views import heartbeats, ingestion

app_name = "ingestion"
urlpatterns = [
    path("v2/enqueue", ingestion.events_v2_enqueue, name="enqueue"),
    path("v2/enqueue/", ingestion.events_v2_enqueue),
    path("alertmanager/", ingestion.alertmanager_webhook, name="alertmanager"),
    path("alertmanager", ingestion.alertmanager_webhook),
    path("alertmanager/<str:key>/", ingestion.alertmanager_webhook, name="alertmanager_key"),
    path("alertmanager/<str:key>", ingestion.alertmanager_webhook),
    path("heartbeat/<str:key>/", heartbeats.heartbeat_ping_view, name="heartbeat"),
    path("heartbeat/<str:key>", heartbeats.heartbeat_ping_view),
]
