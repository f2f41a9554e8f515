import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup(set_prefix=False)  # what django.core.wsgi.get_wsgi_application does

from incidents.ingestion.handler import WatchkeeperWSGIHandler  # noqa: E402  (needs the apps loaded)

application = WatchkeeperWSGIHandler()
