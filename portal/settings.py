"""Countersign settings: everything comes from the environment through portal.env."""

from __future__ import annotations

import warnings
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from portal.env import EnvError, env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise EnvError("SECRET_KEY is required when DEBUG is off (set SECRET_KEY or SECRET_KEY_FILE)")
    # Only for local development with DEBUG on; never used in a deployment.
    SECRET_KEY = "countersign-insecure-development-key"  # noqa: S105 - DEBUG-only fallback

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_htmx",
    "template_partials",
    # The shared records (all models) live in reviews; intake, policy and assignment have none of their own.
    "reviews",
    "intake",
    "policy",
    "assignment",
    "incidents",
    "insights",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "reviews.context_processors.navigation",
            ],
        },
    },
]

# Data the portal keeps on disk: bare git mirrors, the embedded database,
# the generated demo repositories.
DATA_DIR = Path(env_str("PORTAL_DATA_DIR", str(BASE_DIR / "var")))

# Embedded default: a SQLite file, so that `make run` works with nothing installed.
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{DATA_DIR / 'countersign.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("PORTAL_DB_CONN_MAX_AGE", 60, minimum=0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reviews:queue"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("PORTAL_TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
# Static files are served from the app folders (finders) until `collectstatic` fills STATIC_ROOT.
warnings.filterwarnings("ignore", message="No directory at")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("PORTAL_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("PORTAL_MAX_REQUEST_BYTES", 25 * 1024 * 1024, minimum=1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_RATES": {"user": env_str("PORTAL_API_RATE", "1200/minute")},
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "EXCEPTION_HANDLER": "reviews.api.exception_handler",
    # DRF's parsers, with JSON nested too deeply for Python's decoder answered as a bad request.
    "DEFAULT_PARSER_CLASSES": [
        "portal.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

# Celery: with REDIS_URL set, real workers consume from Redis; without it,
# tasks run in-process so the embedded default needs no broker.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"  # in-process tasks still serialise through a producer
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Fail fast when the broker is down: the request has stored its work, and the sweeper resends it.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("PORTAL_CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BEAT_SCHEDULE = {
    "reviews.sweep_unprocessed": {"task": "reviews.sweep_unprocessed", "schedule": crontab(minute="*/2")},
    "reviews.reroute_stale": {"task": "reviews.reroute_stale", "schedule": crontab(minute="*/10")},
    "reviews.poll_repositories": {
        "task": "reviews.poll_repositories",
        "schedule": env_int("PORTAL_POLL_SECONDS", 300, minimum=10),
    },
}
# The dashboards' knowledge rollups, every night (and on demand: manage.py rebuild_insights).
CELERY_BEAT_SCHEDULE["insights.rebuild_knowledge"] = {
    "task": "insights.rebuild_knowledge",
    "schedule": crontab(hour=2, minute=30),
}
CELERY_BEAT_SCHEDULE["insights.refresh_facts"] = {"task": "insights.refresh_facts", "schedule": crontab(minute="*/5")}

# Portal knobs.
PORTAL_GIT_TIMEOUT_SECONDS = env_int("PORTAL_GIT_TIMEOUT_SECONDS", 120, minimum=1)
PORTAL_GIT_MAX_OUTPUT_BYTES = env_int("PORTAL_GIT_MAX_OUTPUT_BYTES", 64 * 1024 * 1024, minimum=1024)
PORTAL_GIT_ALLOWED_PROTOCOLS = env_list("PORTAL_GIT_ALLOWED_PROTOCOLS", ["file", "https"])
PORTAL_SENIOR_LEVEL = env_int("PORTAL_SENIOR_LEVEL", 6, minimum=1)
PORTAL_SIZE_LIMIT_LINES = env_int("PORTAL_SIZE_LIMIT_LINES", 1000, minimum=1)
PORTAL_GITHUB_WEBHOOK_SECRET = env_secret("PORTAL_GITHUB_WEBHOOK_SECRET")
PORTAL_GITLAB_WEBHOOK_TOKEN = env_secret("PORTAL_GITLAB_WEBHOOK_TOKEN")
# Signing secret of the PagerDuty v3 webhook subscription; secrets set in the admin are accepted too.
PORTAL_PAGERDUTY_WEBHOOK_SECRET = env_secret("PORTAL_PAGERDUTY_WEBHOOK_SECRET")
# Where a repository records no deployments, its changes count as deployed when they merged (suspect ranking).
PORTAL_IMPLIED_DEPLOYS = env_bool("PORTAL_IMPLIED_DEPLOYS", True)
PORTAL_WEBHOOK_MAX_BYTES = env_int("PORTAL_WEBHOOK_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
# The organisation's own gates: dotted paths of classes with `name` and `run(files, config)`.
PORTAL_EXTRA_GATES = env_list("PORTAL_EXTRA_GATES", [])
# How long a sent task counts as in flight (queued, running or retrying): the sweeper does not resend it meanwhile.
# Longer than a task's whole retry schedule (about 15 minutes of back-off for git reads).
PORTAL_TASK_LEASE_SECONDS = env_int("PORTAL_TASK_LEASE_SECONDS", 1800, minimum=60)
# Review deadline after assignment; past it, the beat job re-routes the change.
PORTAL_REVIEW_DUE_HOURS = env_int("PORTAL_REVIEW_DUE_HOURS", 24, minimum=1)
# Rubber-stamp floor: a sign-off faster than this for its size, or with files not viewed, asks for confirmation.
PORTAL_REVIEW_FLOOR_SECONDS_PER_10_LINES = env_int("PORTAL_REVIEW_FLOOR_SECONDS_PER_10_LINES", 1, minimum=0)
PORTAL_REVIEW_FLOOR_MIN_SECONDS = env_int("PORTAL_REVIEW_FLOOR_MIN_SECONDS", 20, minimum=0)
PORTAL_REVIEW_REQUIRE_ALL_VIEWED = env_bool("PORTAL_REVIEW_REQUIRE_ALL_VIEWED", True)
PORTAL_DIFF_MAX_BYTES = env_int("PORTAL_DIFF_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
PORTAL_DIFF_MAX_LINES = env_int("PORTAL_DIFF_MAX_LINES", 20000, minimum=10)
PORTAL_DEMO_PASSWORD = env_str("PORTAL_DEMO_PASSWORD", "countersign-demo")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PORTAL_LOG_LEVEL", "INFO")},
    # Per-task success lines drown out everything else when tasks run in-process.
    # WeasyPrint logs each step of every PDF (and of its own stylesheets when first imported) at INFO.
    "loggers": {"celery.app.trace": {"level": "WARNING"}, "weasyprint.progress": {"level": "WARNING"}},
}

# The weekly operations report: beat drafts last week's report at this weekday (1 is Monday) and hour in the
# organisation's time zone, which may differ from the portal's; a finalised report is e-mailed to the list.
PORTAL_REPORT_TIME_ZONE = env_str("PORTAL_REPORT_TIME_ZONE", TIME_ZONE)
PORTAL_REPORT_WEEKDAY = env_int("PORTAL_REPORT_WEEKDAY", 1, minimum=1)
PORTAL_REPORT_HOUR = env_int("PORTAL_REPORT_HOUR", 6, minimum=0)
PORTAL_REPORT_RECIPIENTS = env_list("PORTAL_REPORT_RECIPIENTS", [])
try:
    from incidents.report.beat import WeeklyAt

    CELERY_BEAT_SCHEDULE["incidents.weekly_report_draft"] = {
        "task": "incidents.weekly_report_draft",
        "schedule": WeeklyAt(weekday=PORTAL_REPORT_WEEKDAY, hour=PORTAL_REPORT_HOUR, zone=PORTAL_REPORT_TIME_ZONE),
    }
except (ValueError, LookupError) as exc:  # ZoneInfoNotFoundError is a KeyError
    raise EnvError(
        "PORTAL_REPORT_TIME_ZONE must name an IANA zone, PORTAL_REPORT_WEEKDAY be 1 to 7 and PORTAL_REPORT_HOUR "
        f"0 to 23: {exc}"
    ) from None

# Outgoing mail (the finalised weekly report); printed to the console unless a backend is configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "countersign@localhost")
