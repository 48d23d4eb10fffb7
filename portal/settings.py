"""Countersign settings: everything comes from the environment through portal.env."""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from portal.beat import beat_schedule
from portal.conf.access import ACCESS_APPS
from portal.conf.deliveries import *  # noqa: F403 - webhook deliveries' retries
from portal.conf.logging import LOGGING, PORTAL_LOG_FORMAT  # noqa: F401
from portal.conf.mail import *  # noqa: F403 - outgoing mail and notifications: EMAIL_* and PORTAL_NOTIFY_*
from portal.conf.navigation import CSRF_FAILURE_VIEW, development_secret_key  # noqa: F401 - a setting
from portal.conf.oidc import *  # noqa: F403 - single sign-on: mozilla-django-oidc's OIDC_* and PORTAL_OIDC_*
from portal.conf.oidc import authentication_backends
from portal.conf.ops import *  # noqa: F403 - readiness, metrics and the dashboards' read replica
from portal.conf.ops import replica_database
from portal.conf.queues import CELERY_TASK_DEFAULT_QUEUE, CELERY_TASK_QUEUES, CELERY_TASK_ROUTES  # noqa: F401
from portal.env import EnvError, env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and not env_bool("PORTAL_HELP_ONLY", False):
        raise EnvError("SECRET_KEY is required when DEBUG is off (set SECRET_KEY or SECRET_KEY_FILE)")
    # Only for local development with DEBUG on: a random key kept in the data directory (var/), so that
    # restarting `make run` does not log everyone out; never used in a deployment.
    SECRET_KEY = development_secret_key(Path(env_str("PORTAL_DATA_DIR", str(BASE_DIR / "var"))))

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
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_htmx",
    "template_partials",
    # The shared records (all models) live in reviews; intake, policy and assignment have none of their own.
    "reviews",
    "intake",
    "policy",
    "assignment",
    "hostsync",
    "incidents",
    "insights",
    "demo",
    "notifications",
    "portal.ops",
    *ACCESS_APPS,
]

MIDDLEWARE = [
    # First: the request id covers every log line; the load balancer's probes and /metrics skip everything else.
    "portal.ops.requestid.RequestIdMiddleware",
    "portal.ops.middleware.OpsEndpointsMiddleware",
    "portal.ops.middleware.WebhookMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before sessions and the admin: a NUL in the address, the query string or a header is a 400, not a 500.
    "portal.middleware.RefuseNulMiddleware",
    # The git hosts' signed webhooks leave the chain here: nothing below serves a request without a browser.
    "portal.middleware.SignedEndpointMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A view's bare-text 403 or 404 becomes the styled error page (navigation.errors); API and webhooks keep JSON.
    "navigation.errors.StyledErrorMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
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
        # Checked before reuse: after a database restart only the requests in flight fail (tests/faults).
        conn_health_checks=True,
    )
}
DATABASES.update(replica_database(DATABASES["default"]))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The embedded SQLite default keeps covering indexes as plain ones (their INCLUDE columns are PostgreSQL's) and has no
# unique constraints with NULLS NOT DISTINCT; the rollups those serve (assignment history, activity) are kept by
# PostgreSQL triggers and are not used on SQLite.
SILENCED_SYSTEM_CHECKS = ["models.W040", "models.W047"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Login throttling (django-axes): after PORTAL_LOGIN_FAILURE_LIMIT wrong passwords for one username from one
# address, that pair is refused for PORTAL_LOGIN_COOLOFF_MINUTES (or until an admin deletes the access attempt,
# or `manage.py axes_reset`). Username and address together: by username alone anyone could lock out anyone;
# by address alone one person behind an office NAT or a misconfigured proxy would lock out everyone.
AUTHENTICATION_BACKENDS = authentication_backends()
AXES_FAILURE_LIMIT = env_int("PORTAL_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PORTAL_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.login_guard.lockout_response"
AXES_CLIENT_IP_CALLABLE = "portal.login_guard.client_ip"
# How many reverse proxies in front of the portal append to X-Forwarded-For (0: use the socket's address).
PORTAL_TRUSTED_PROXY_COUNT = env_int("PORTAL_TRUSTED_PROXY_COUNT", 0, minimum=0)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
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
# HTTPS. With DEBUG off plain HTTP is redirected and HSTS sent; behind a proxy that terminates TLS, set
# PORTAL_PROXY_SSL_HEADER to the header and value it adds, e.g. "HTTP_X_FORWARDED_PROTO,https". Test servers on
# plain HTTP set PORTAL_SSL_REDIRECT=false.
SECURE_SSL_REDIRECT = env_bool("PORTAL_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("PORTAL_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("PORTAL_HSTS_INCLUDE_SUBDOMAINS", True)
# Only consent to browsers' preload lists: nothing is preloaded unless the domain's owner submits it.
SECURE_HSTS_PRELOAD = env_bool("PORTAL_HSTS_PRELOAD", True)
_proxy_ssl_header = env_list("PORTAL_PROXY_SSL_HEADER", [])
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise EnvError("PORTAL_PROXY_SSL_HEADER must be 'HEADER,value', e.g. 'HTTP_X_FORWARDED_PROTO,https'")
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) if _proxy_ssl_header else None
# Scripts only from the portal itself: no inline script, no eval (htmx's hx-on is not used for that reason).
# Inline styles stay allowed: style attributes and htmx's indicator style cannot run code, and moving every
# one of them buys little; this is the usual compromise.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("PORTAL_MAX_REQUEST_BYTES", 25 * 1024 * 1024, minimum=1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Hashed, scoped, expiring tokens (reviews.models.ApiToken); the authtoken app stays only for its migration.
        "reviews.api.authentication.ScopedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_RATES": {"user": env_str("PORTAL_API_RATE", "1200/minute")},
    # UserRateThrottle that lets requests through (logged) while Redis, which holds its counters, is down.
    "DEFAULT_THROTTLE_CLASSES": ["portal.throttling.FailOpenUserRateThrottle"],
    "EXCEPTION_HANDLER": "reviews.api.errors.exception_handler",
    # DRF's parsers, with JSON nested too deeply for Python's decoder answered as a bad request.
    "DEFAULT_PARSER_CLASSES": [
        "portal.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# The OpenAPI schema (/api/v1/schema/) and its documentation page (/api/v1/docs/), whose Swagger UI is served from
# the portal's own static files (drf-spectacular-sidecar) with its start-up script as a file, so CSP holds.
SPECTACULAR_SETTINGS = {
    "TITLE": "Countersign API",
    "DESCRIPTION": "Changes, reviews, the review queue, engineers, CI results, deployments and incidents.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ChangeStateEnum": "reviews.models.Change.State",
        "AssignmentStateEnum": "reviews.models.Assignment.State",
        "IncidentStatusEnum": "incidents.models.Incident.Status",
        "WeeklyReportStatusEnum": "incidents.models.WeeklyReport.Status",
    },
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
# Time limits (enforced by the prefork pool, the deployed default): a task past its soft limit gets an
# exception it can clean up after, past its hard limit its process is killed. Diff pulls, polls, what-if runs
# and report builds get the long limits. Everything that waits on a worker is derived from these.
CELERY_TASK_TIME_LIMIT = env_int("PORTAL_TASK_TIME_LIMIT", 300, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT * 9 // 10
PORTAL_LONG_TASK_TIME_LIMIT = env_int("PORTAL_LONG_TASK_TIME_LIMIT", 600, minimum=CELERY_TASK_TIME_LIMIT)
_long_task = {"time_limit": PORTAL_LONG_TASK_TIME_LIMIT, "soft_time_limit": PORTAL_LONG_TASK_TIME_LIMIT * 9 // 10}
CELERY_TASK_ANNOTATIONS = {
    name: _long_task
    for name in (
        "reviews.change_pull_diff",
        "reviews.repository_poll",
        "reviews.whatif_run",
        "incidents.fix_trace",
        "incidents.weekly_report_build",
        "incidents.weekly_report_pdf",
        "insights.rebuild_knowledge",
    )
}
# A message a worker took and never acknowledged (killed) goes back to the queue after the visibility timeout:
# longer than the longest task may run, or a slow task would be handed out twice. Retry countdowns stay under it.
_visibility_timeout = env_int("PORTAL_CELERY_VISIBILITY_TIMEOUT", PORTAL_LONG_TASK_TIME_LIMIT + 60, minimum=1)
PORTAL_RETRY_COUNTDOWN_MAX = max(30, _visibility_timeout - 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _visibility_timeout,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # One connection attempt per send, not retries with sleeps for the connect timeout (a stopped Redis held every
    # webhook ~2 s per task: tests/faults). Workers reconnect under their own policy (broker_connection_max_retries).
    "max_retries": 0,
}
# Workers write a heartbeat every PORTAL_WORKER_HEARTBEAT_SECONDS, valid for PORTAL_WORKER_HEARTBEAT_TTL; a task
# held by a worker whose heartbeat expired is sent again by the next sweep (portal.worker_liveness).
PORTAL_WORKER_HEARTBEAT_SECONDS = env_int("PORTAL_WORKER_HEARTBEAT_SECONDS", 10, minimum=1)
PORTAL_WORKER_HEARTBEAT_TTL = env_int("PORTAL_WORKER_HEARTBEAT_TTL", 30, minimum=PORTAL_WORKER_HEARTBEAT_SECONDS + 1)
CELERY_BEAT_SCHEDULE = beat_schedule(
    poll_seconds=env_int("PORTAL_POLL_SECONDS", 300, minimum=10),
    reconcile_minutes=env_int("PORTAL_HOST_RECONCILE_MINUTES", 30, minimum=1),
)

# Portal knobs.
PORTAL_GIT_TIMEOUT_SECONDS = env_int("PORTAL_GIT_TIMEOUT_SECONDS", 120, minimum=1)
PORTAL_GIT_MAX_OUTPUT_BYTES = env_int("PORTAL_GIT_MAX_OUTPUT_BYTES", 64 * 1024 * 1024, minimum=1024)
PORTAL_GIT_ALLOWED_PROTOCOLS = env_list("PORTAL_GIT_ALLOWED_PROTOCOLS", ["file", "https"])
# Branches that are never imported as open changes (shell patterns, comma-separated); unset: releases, back-port
# lines and published docs (intake.gitnames.DEFAULT_SKIP_BRANCHES); set to "-" to import every branch.
PORTAL_IMPORT_SKIP_BRANCHES = (
    env_list("PORTAL_IMPORT_SKIP_BRANCHES") if env_str("PORTAL_IMPORT_SKIP_BRANCHES") else None
)
# A branch with no commit in this many days before the default branch's last one is not imported as an open change
# (abandoned work); 0 imports every branch however old.
PORTAL_IMPORT_STALE_BRANCH_DAYS = env_int("PORTAL_IMPORT_STALE_BRANCH_DAYS", 180, minimum=0)
PORTAL_SENIOR_LEVEL = env_int("PORTAL_SENIOR_LEVEL", 6, minimum=1)
PORTAL_SIZE_LIMIT_LINES = env_int("PORTAL_SIZE_LIMIT_LINES", 1000, minimum=1)
PORTAL_GITHUB_WEBHOOK_SECRET = env_secret("PORTAL_GITHUB_WEBHOOK_SECRET")
PORTAL_GITLAB_WEBHOOK_TOKEN = env_secret("PORTAL_GITLAB_WEBHOOK_TOKEN")
# Signing secret of the PagerDuty v3 webhook subscription; secrets set in the admin are accepted too.
PORTAL_PAGERDUTY_WEBHOOK_SECRET = env_secret("PORTAL_PAGERDUTY_WEBHOOK_SECRET")
# Where a repository records no deployments, its changes count as deployed when they merged (suspect ranking).
# Writing the sign-off back to the git host (hostsync/): a GitHub App writes check runs (only Apps may); a repository
# with only an API token gets commit statuses. PORTAL_BASE_URL makes the links back to change pages.
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
PORTAL_GITHUB_APP_ID = env_str("PORTAL_GITHUB_APP_ID")
PORTAL_GITHUB_APP_PRIVATE_KEY = env_secret("PORTAL_GITHUB_APP_PRIVATE_KEY")
PORTAL_HOST_WRITES = env_bool("PORTAL_HOST_WRITES", True)
PORTAL_HOST_TIMEOUT_SECONDS = env_int("PORTAL_HOST_TIMEOUT_SECONDS", 10, minimum=1)
# Back-off of a failed host write: PORTAL_HOST_BACKOFF_SECONDS doubled per attempt, at most PORTAL_HOST_BACKOFF_MAX.
PORTAL_HOST_BACKOFF_SECONDS = env_int("PORTAL_HOST_BACKOFF_SECONDS", 2, minimum=1)
PORTAL_HOST_BACKOFF_MAX = env_int("PORTAL_HOST_BACKOFF_MAX", 300, minimum=1)
PORTAL_HOST_RECONCILE_MINUTES = env_int("PORTAL_HOST_RECONCILE_MINUTES", 30, minimum=1)
PORTAL_IMPLIED_DEPLOYS = env_bool("PORTAL_IMPLIED_DEPLOYS", True)
# Largest webhook body per host, refused (413) from Content-Length before a byte is read. GitHub and GitLab cap their
# own payloads at 25 MB; a PagerDuty v3 event is a few KB. Webhooks read the raw stream, so
# DATA_UPLOAD_MAX_MEMORY_SIZE (PORTAL_MAX_REQUEST_BYTES, forms and the API) neither cuts them short nor widens them.
PORTAL_GITHUB_WEBHOOK_MAX_BYTES = env_int("PORTAL_GITHUB_WEBHOOK_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
PORTAL_GITLAB_WEBHOOK_MAX_BYTES = env_int("PORTAL_GITLAB_WEBHOOK_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
PORTAL_PAGERDUTY_WEBHOOK_MAX_BYTES = env_int("PORTAL_PAGERDUTY_WEBHOOK_MAX_BYTES", 1024 * 1024, minimum=1024)
if env_str("PORTAL_WEBHOOK_MAX_BYTES"):
    # One limit for every host is gone; ignoring the old variable would silently change a limit someone chose.
    raise EnvError(
        "PORTAL_WEBHOOK_MAX_BYTES is replaced by PORTAL_GITHUB_WEBHOOK_MAX_BYTES, PORTAL_GITLAB_WEBHOOK_MAX_BYTES "
        "and PORTAL_PAGERDUTY_WEBHOOK_MAX_BYTES: set those and remove it"
    )
# The organisation's own gates: dotted paths of classes with `name` and `run(files, config)`.
PORTAL_EXTRA_GATES = env_list("PORTAL_EXTRA_GATES", [])
# How long a sent task that no worker has taken yet counts as in flight (queued): the sweeper leaves it alone
# meanwhile. A task a live worker holds (running, or waiting out a retry) is in flight regardless, and one a dead
# worker held is not, whatever the lease; so the lease only covers a message lost before any worker took it,
# and matches the visibility timeout by default.
PORTAL_TASK_LEASE_SECONDS = env_int("PORTAL_TASK_LEASE_SECONDS", _visibility_timeout, minimum=60)
# Review deadline after assignment; at it the team's manager is told (with a one-click re-route), and past it by
# the grace hours the beat job re-routes the change on its own.
PORTAL_REVIEW_DUE_HOURS = env_int("PORTAL_REVIEW_DUE_HOURS", 24, minimum=1)
PORTAL_REVIEW_REROUTE_GRACE_HOURS = env_int("PORTAL_REVIEW_REROUTE_GRACE_HOURS", 1, minimum=0)
# Rubber-stamp floor: a sign-off faster than this for its size, or with files not viewed, asks for confirmation.
PORTAL_REVIEW_FLOOR_SECONDS_PER_10_LINES = env_int("PORTAL_REVIEW_FLOOR_SECONDS_PER_10_LINES", 1, minimum=0)
PORTAL_REVIEW_FLOOR_MIN_SECONDS = env_int("PORTAL_REVIEW_FLOOR_MIN_SECONDS", 20, minimum=0)
PORTAL_REVIEW_REQUIRE_ALL_VIEWED = env_bool("PORTAL_REVIEW_REQUIRE_ALL_VIEWED", True)
PORTAL_DIFF_MAX_BYTES = env_int("PORTAL_DIFF_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
PORTAL_DIFF_MAX_LINES = env_int("PORTAL_DIFF_MAX_LINES", 20000, minimum=10)
PORTAL_DEMO_PASSWORD = env_str("PORTAL_DEMO_PASSWORD", "countersign-demo")
# Anchors of the audit ledger's head: an append-only file that should live where the database's users cannot
# write (another volume, a WORM or `chattr +a` mount), each line signed with a key the database does not hold.
# Without a key, anchors are written unsigned with a warning (they still reveal a rewritten database).
PORTAL_LEDGER_ANCHOR_DIR = Path(env_str("PORTAL_LEDGER_ANCHOR_DIR", str(DATA_DIR / "ledger-anchors")))
PORTAL_LEDGER_ANCHOR_KEY = env_secret("PORTAL_LEDGER_ANCHOR_KEY")
PORTAL_LEDGER_ANCHOR_RECIPIENTS = env_list("PORTAL_LEDGER_ANCHOR_RECIPIENTS", [])


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
