import dj_database_url
from celery.schedules import crontab
from kombu import Queue

from config.env import BASE_DIR, VAR_DIR, env_bool, env_int, env_list, env_str

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-local-development-key-change-me")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("WATCHKEEPER_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "guardian",
    "django_celery_beat",
    "oncall",
    "incidents",
    "postmortems",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Monitoring tools' POSTs to /integrations/… skip the browser middleware below (incidents/ingestion/middleware.py).
    "incidents.ingestion.middleware.IngestionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# PostgreSQL (psycopg 3) when DATABASE_URL is set, an embedded SQLite file under var/ otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'watchkeeper.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; public pages need no permission
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "incidents:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles"))

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "watchkeeper@localhost")

# Celery: Redis in production and CI; an embedded file-system broker when none is configured,
# so `make run` works on a bare machine.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Fanout exchanges (worker remote control) live here; kombu's default is ./control in the cwd.
        "control_folder": str(_broker_dir / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Paging and the notification outbox (docs/paging.md). Every periodic task lives here; the DatabaseScheduler
# copies these entries into django_celery_beat's tables when beat starts (operators may retune them there).
PAGING_SWEEP_SECONDS = env_int("PAGING_SWEEP_SECONDS", 15)
HEARTBEAT_SWEEP_SECONDS = env_int("HEARTBEAT_SWEEP_SECONDS", 15)
NOTIFICATION_RESEND_AFTER_SECONDS = env_int("NOTIFICATION_RESEND_AFTER_SECONDS", 60)
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 8)
WEBHOOK_TIMEOUT_SECONDS = 5
# A delivery holds its outbox row locked while it sends: an SMTP server that never answers must not hold it forever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# Sweeps have a queue of their own, so a backlog of deliveries (an alert storm, slow receivers) never holds up the
# sweep that finds the next due page. Workers consume both queues unless told otherwise (-Q); a dedicated
# `celery -A config worker -Q sweeps -c 1` keeps sweeps punctual even when every other process is busy.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue("sweeps"))
SWEEP_TASKS = (
    "incidents.paging_sweep",
    "incidents.handoff_notices_sweep",
    "incidents.heartbeats_sweep",
    "oncall.notifications_resend_pending",
    "oncall.swap_requests_expire",
)
CELERY_TASK_ROUTES = {task: {"queue": "sweeps"} for task in SWEEP_TASKS}
CELERY_BEAT_SCHEDULE = {
    "paging: escalations, acknowledgement SLA breaches, update reminders": {
        "task": "incidents.paging_sweep",
        "schedule": float(PAGING_SWEEP_SECONDS),
        # Sweeps left unrun while no worker was up expire instead of piling up (a late one only repeats work).
        "options": {"expire_seconds": 4 * PAGING_SWEEP_SECONDS},
    },
    # Missed heartbeats open incidents (incidents.services.heartbeats): noticed within one sweep interval.
    "heartbeats: open incidents for missed beats": {
        "task": "incidents.heartbeats_sweep",
        "schedule": float(HEARTBEAT_SWEEP_SECONDS),
        "options": {"expire_seconds": 4 * HEARTBEAT_SWEEP_SECONDS},
    },
    "paging: hand-off notices": {
        "task": "incidents.handoff_notices_sweep",
        "schedule": 60.0,
        "options": {"expire_seconds": 240},
    },
    "outbox: re-send overdue notifications": {
        "task": "oncall.notifications_resend_pending",
        "schedule": 30.0,
        "options": {"expire_seconds": 120},
    },
    "on-call: expire swap requests whose shift started": {
        "task": "oncall.swap_requests_expire",
        "schedule": crontab(minute="10", hour="0"),
    },
    # Post-mortem reminders and the missing-draft backstop (postmortems.tasks). Each sweep writes a reminder once
    # per item per day (the digest once per team and ISO week), so a doubled or extra run sends nothing twice.
    "postmortems: remind owners of overdue action items": {
        "task": "postmortems.remind_overdue_action_items",
        "schedule": crontab(minute="0", hour="7-18"),  # hourly during the UTC working day
    },
    "postmortems: remind owners of overdue reviews": {
        "task": "postmortems.remind_overdue_reviews",
        "schedule": crontab(minute="0", hour="7-18"),
    },
    "postmortems: weekly digest of overdue action items": {
        "task": "postmortems.send_weekly_digest",
        "schedule": crontab(minute="0", hour="8", day_of_week="1"),  # Mondays 08:00 UTC
    },
    "postmortems: draft missing post-mortems": {
        # The backstop for a resolved P1/P2 whose resolve-signal reaction was lost.
        "task": "postmortems.draft_missing_postmortems",
        "schedule": 15 * 60.0,
        "options": {"expire_seconds": 30 * 60},
    },
}

# The API at /api/v1/ (config/api): personal tokens or the session, JSON only, keyset pagination everywhere,
# one error shape, an OpenAPI schema whose docs pages load their assets from our own static files.
INSTALLED_APPS += ["django_filters", "drf_spectacular", "drf_spectacular_sidecar"]
REST_FRAMEWORK = {
    # Bearer first: its WWW-Authenticate header makes unauthenticated requests 401 rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.KeysetPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "config.api.exceptions.api_exception_handler",
    "DATETIME_INPUT_FORMATS": ["iso-8601"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Watchkeeper API",
    "DESCRIPTION": (
        "Incidents, on-call schedules and teams, post-mortems and metrics. "
        "Authenticate with `Authorization: Bearer <token>` (create a token at /oncall/tokens/ or with "
        "`manage.py create_api_token USERNAME`) or a browser session."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TAGS": [
        {"name": "incidents", "description": "Declare, read, edit and move incidents through their lifecycle."},
        {"name": "services", "description": "What incidents are declared on; managers create and edit them."},
        {"name": "teams", "description": "Your teams and their members."},
        {"name": "on-call", "description": "Rotations, computed shifts, who is on call, overrides, swaps, policies."},
        {"name": "post-mortems", "description": "Blameless post-mortems, their review and their action items."},
        {"name": "metrics", "description": "The guide's incident, quality and on-call metrics against their targets."},
    ],
    "ENUM_NAME_OVERRIDES": {
        "IncidentStateEnum": "incidents.models.IncidentState",
        "SeverityEnum": "incidents.models.Severity",
        "SwapStateEnum": "oncall.models.SwapState",
        "IncidentRoleEnum": "incidents.models.IncidentRole",
        "IncidentSourceEnum": "incidents.models.IncidentSource",
        "NoiseVerdictEnum": "incidents.models.NoiseVerdict",
        "OverrideSourceEnum": "oncall.models.OverrideSource",
        "ShiftSourceEnum": "oncall.schedule.ShiftSource",
        "PostMortemStateEnum": "postmortems.models.PostMortemState",
        "ActionItemStatusEnum": "postmortems.models.ActionItemStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Monitoring integrations (incidents.ingestion; README "Integrations"). The rate limit counts in Redis when one is
# configured (INGESTION_REDIS_URL, else a redis:// Celery broker), otherwise on the integration's database row.
INGESTION_REDIS_URL = env_str("INGESTION_REDIS_URL") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else ""
)
INGESTION_KEY_CACHE_SECONDS = env_int("INGESTION_KEY_CACHE_SECONDS", 10)
INGESTION_COUNTER_FLUSH_SECONDS = 1.0
# An alert added to an incident that is already open commits without waiting for the WAL flush (a PostgreSQL crash
# could lose the last fraction of a second of such alerts; never an incident or a state change). incidents/ingestion/
# writes.py explains; false: every alert waits for the disk.
INGESTION_ASYNC_COMMIT = env_bool("INGESTION_ASYNC_COMMIT", True)
# Serve /integrations/… through the WSGI handler's short lane (incidents/ingestion/handler.py): no per-request
# signals, SecurityMiddleware only. False: Django's full handler, for tools that hook those signals.
INGESTION_SHORT_LANE = env_bool("INGESTION_SHORT_LANE", True)
