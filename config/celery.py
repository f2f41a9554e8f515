import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("watchkeeper")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

FILESYSTEM_BROKER_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


@app.on_after_configure.connect
def create_filesystem_broker_folders(sender, source, **kwargs) -> None:
    """kombu's filesystem transport (the local fallback broker) fails on folders that do not exist.

    Runs once per process when the configuration is first read (web, worker and beat alike), so the
    folders appear wherever WATCHKEEPER_VAR_DIR points without anyone creating them by hand.
    """
    if not str(source.broker_url or "").startswith("filesystem:"):
        return
    options = source.broker_transport_options or {}
    for key in FILESYSTEM_BROKER_FOLDERS:
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
