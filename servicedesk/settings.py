"""Settings for servicedesk.

Every value that differs between deployments comes from the environment, with
defaults that make a laptop run work out of the box (SQLite and a broker that
needs no server under ``var/``). Production mode (``SERVICEDESK_ENV=production``)
refuses to start with ``DEBUG`` on or with the development secret key, because
both mistakes are silent until someone exploits them.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from csp.constants import UNSAFE_INLINE as CSP_UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean from the environment; accepts 1/0, true/false, yes/no, on/off."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


ENVIRONMENT = os.environ.get("SERVICEDESK_ENV", "development").strip().lower()
PRODUCTION = ENVIRONMENT == "production"

DEV_SECRET_KEY = "dev-insecure-servicedesk-key-change-me"  # noqa: S105 (refused in production below)
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("Refusing to start: DEBUG is on in production (SERVICEDESK_ENV=production).")
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "Refusing to start: set SECRET_KEY to a random value of at least 50 characters in production "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))").'
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# var/ holds everything a laptop run writes: the SQLite file, the embedded broker's
# queue folders, uploaded attachments. VAR_DIR moves it (the smoke test does).
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var")).resolve()

# The feedback loop (ratings, thanks, assessments, dashboards) is an app of its own on top of the desk;
# FEEDBACK_LOOP=0 runs the desk without it (no feedback pages, mails or periodic tasks).
FEEDBACK_LOOP = env_bool("FEEDBACK_LOOP", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "departments",
    "requests_app",
    *(["requests_app.feedback"] if FEEDBACK_LOOP else []),
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the language cookie (the sign-in page's switch) or the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in person's own language and time zone (their profile), over the browser's.
    "departments.personal.PersonalSettingsMiddleware",
    "servicedesk.logs.RequestContextMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a lockout during sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "servicedesk.urls"

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
                "departments.context_processors.navigation",
                "requests_app.context_processors.extensions_context",
            ],
        },
    },
]

WSGI_APPLICATION = "servicedesk.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Every statement of a page reads a small index range; parallel workers only add their start-up
        # (a text search's count took 9-12 ms with two, 3-4 ms without) and take the core another request
        # needs. The summary refresh, the one scan-heavy job, is timed this way too (bench/feedback.py).
        parallel = env_int("DB_MAX_PARALLEL_WORKERS_PER_GATHER", 0)
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c max_parallel_workers_per_gather={parallel}"
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "servicedesk.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file: WAL lets readers run beside the
    # writer, IMMEDIATE transactions avoid the lock-upgrade deadlock, and the
    # timeout makes a busy writer wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT failed attempts for one user name from one
# address, that pair is locked out for AXES_COOLOFF_MINUTES, with a page that says so; axes logs it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_SENSITIVE_PARAMETERS: list[str] = []  # the log names the user name and address: operators need both
AXES_CLIENT_IP_CALLABLE = "servicedesk.security.client_ip"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "requests_app:catalog"
LOGOUT_REDIRECT_URL = "login"

# English is the source language; every string people read is translatable (locale/<language>/LC_MESSAGES,
# compiled .mo files committed). A person's language is their profile's choice, else their browser's.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("pt-br", "Português (Brasil)"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Attachments live outside the web root and are only served through a view
# that checks who may read them; there is deliberately no MEDIA_URL route.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/attachments-are-served-by-a-view/"

ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 10) * 1024 * 1024
# Against upload floods (requests_app.services.attachments_check): files one message or filing may carry,
# and what all attachments of one request may add up to.
ATTACHMENT_MAX_FILES = env_int("ATTACHMENT_MAX_FILES", 10)
if ATTACHMENT_MAX_FILES < 1:
    raise ImproperlyConfigured("ATTACHMENT_MAX_FILES must be at least 1 (every file input of a form counts).")
ATTACHMENT_MAX_TOTAL_BYTES = env_int("ATTACHMENT_MAX_TOTAL_MB", 100) * 1024 * 1024
# Types an attachment may be, read from its content (requests_app/uploads.py), not from its name.
ATTACHMENT_ALLOWED_TYPES = env_list(
    "ATTACHMENT_ALLOWED_TYPES",
    "application/pdf,image/png,image/jpeg,image/gif,image/webp,image/heic,text/plain,text/csv,application/zip,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
    "application/vnd.openxmlformats-officedocument.presentationml.presentation,"
    "application/vnd.oasis.opendocument.text,application/vnd.oasis.opendocument.spreadsheet,"
    "application/vnd.oasis.opendocument.presentation,message/rfc822",
)
# Django buffers uploads above this size to disk rather than memory; the size
# limit itself is enforced by the forms so the user gets a field error.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Django stops reading a post at its first file input beyond what a message may carry (a 400, not a 500);
# inputs left empty count too, so a service's form may have at most this many file fields.
DATA_UPLOAD_MAX_NUMBER_FILES = ATTACHMENT_MAX_FILES

REOPEN_WINDOW_DAYS = env_int("REOPEN_WINDOW_DAYS", 7)
QUEUE_PAGE_SIZE = env_int("QUEUE_PAGE_SIZE", 25)
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# The JSON API: session or personal-token sign-in, JSON only, errors as {"detail", "errors"}.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "requests_app.api.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "requests_app.api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["requests_app.throttle.PersonRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "servicedesk API",
    "DESCRIPTION": (
        "File and follow requests, and work department queues. Sign in with a browser session or a "
        "personal token (`Authorization: Bearer sd_…`, created on your profile page). Errors are "
        '`{"detail": "...", "errors": {"field": ["reason"]}}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"PriorityEnum": "departments.models.policies.Priority"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail: the console backend while developing; SMTP from the environment in production.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))  # for the filebased backend
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "servicedesk <servicedesk@localhost>")

# Celery: Redis when REDIS_URL is set; otherwise kombu's filesystem transport,
# which needs no server and works between processes on one machine.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
CELERY_QUEUE_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
else:
    for folder in ("queue", "processed", "control"):
        (CELERY_QUEUE_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
    }
# The shared cache: rate-limit counters (and anything else shared between processes). Redis when
# REDIS_URL is set (database 1, beside the broker's 0); otherwise files under var/, which every process
# on one machine shares.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("CACHE_URL", "").strip() or REDIS_URL.rsplit("/", 1)[0] + "/1",
            "KEY_PREFIX": "servicedesk",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": "servicedesk",
        }
    }
# Per person: "<count>/<seconds or second|minute|hour|day>"; a count of 0 switches the limit off.
RATE_LIMIT_FILING = os.environ.get("RATE_LIMIT_FILING", "60/hour")
RATE_LIMIT_API = os.environ.get("RATE_LIMIT_API", "1200/minute")
# Replies and internal notes together, web and API.
RATE_LIMIT_REPLY = os.environ.get("RATE_LIMIT_REPLY", "30/600")

CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Filing must not hang when the broker is down: fail fast, log, let the sweep catch up.
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 2)
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE

# The SLA sweep: how often beat runs it, and the delivery bookkeeping it relies on.
SLA_SWEEP_SECONDS = env_int("SLA_SWEEP_SECONDS", 60)
NOTIFICATION_CLAIM_LEASE_SECONDS = env_int("NOTIFICATION_CLAIM_LEASE_SECONDS", 300)
NOTIFICATION_REQUEUE_GRACE_SECONDS = env_int("NOTIFICATION_REQUEUE_GRACE_SECONDS", 60)
# The feedback loop: assessments, reminders and monthly reviews; the dashboards' summary tables.
FEEDBACK_SWEEP_SECONDS = env_int("FEEDBACK_SWEEP_SECONDS", 300)
SUMMARIES_REFRESH_SECONDS = env_int("SUMMARIES_REFRESH_SECONDS", 600)
RATING_LINK_MAX_AGE_DAYS = env_int("RATING_LINK_MAX_AGE_DAYS", 14)
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {
        "task": "requests_app.sla_sweep",
        "schedule": SLA_SWEEP_SECONDS,
        # A sweep that waited longer than a period is superseded by the next one.
        "options": {"expires": SLA_SWEEP_SECONDS},
    },
}
if FEEDBACK_LOOP:
    CELERY_BEAT_SCHEDULE |= {
        "feedback-sweep": {
            "task": "requests_app.feedback_sweep",
            "schedule": FEEDBACK_SWEEP_SECONDS,
            "options": {"expires": FEEDBACK_SWEEP_SECONDS},
        },
        "summaries-refresh": {
            "task": "requests_app.stats_refresh",
            "schedule": SUMMARIES_REFRESH_SECONDS,
            "options": {"expires": SUMMARIES_REFRESH_SECONDS},
        },
    }

# HTTPS only in production: secure cookies, redirect to HTTPS (but /healthz, which load balancers call
# over plain HTTP on the inside), HSTS for a year with subdomains. `manage.py check --deploy` is clean.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy: scripts and styles only from this site (static/), no inline script anywhere;
# inline style attributes are allowed (Django admin sets a few), style blocks are not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "style-src-attr": [CSP_UNSAFE_INLINE],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF, "data:"],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    }
}

# Logs: one JSON object per line in production (LOG_FORMAT=json), readable lines while developing; both
# carry the request id, user id and service request reference (servicedesk/logs.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "plain").strip().lower()
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "servicedesk.logs.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(reference)s] %(message)s"},
        "json": {"()": "servicedesk.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # axes notes every successful sign-in at INFO; its lockouts are WARNINGs and stay.
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
# Workers log through the same configuration (JSON in production) instead of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
