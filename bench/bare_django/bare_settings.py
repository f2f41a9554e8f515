"""The baseline for bench/ingestion_wrk.py: Django with nothing in it but one view that parses the JSON body and
answers 202. What Watchkeeper's ingestion is compared with: the cost of Django and gunicorn themselves."""

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bare_urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
USE_TZ = True
WSGI_APPLICATION = "bare_wsgi.application"
