"""Logging: one JSON object per line (python-json-logger) by default, plain text with PORTAL_LOG_FORMAT=text.

Every record carries the request id (X-Request-ID, portal.ops.requestid) and, inside a Celery task, the task's id
and name (portal.ops.context.ContextFilter), so one request can be followed from the web process into the workers.
"""

from __future__ import annotations

from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

from portal.env import EnvError, env_bool, env_str

PORTAL_LOG_FORMAT = env_str("PORTAL_LOG_FORMAT", "text" if env_bool("DEBUG", False) else "json")
if PORTAL_LOG_FORMAT not in {"json", "text"}:
    raise EnvError(f"PORTAL_LOG_FORMAT must be 'json' or 'text', got {PORTAL_LOG_FORMAT!r}")
PORTAL_LOG_LEVEL = env_str("PORTAL_LOG_LEVEL", "INFO").upper()
if PORTAL_LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise EnvError(f"PORTAL_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {PORTAL_LOG_LEVEL!r}")

_FORMATTERS: dict[str, dict[str, Any]] = {
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s %(task_name)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        "reserved_attrs": [*RESERVED_ATTRS, "context"],  # `context` is the text lines' rendering of the ids
    },
    "text": {
        "format": "%(asctime)s %(levelname)s %(name)s%(context)s %(message)s",
    },
}

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "portal.ops.context.ContextFilter"}},
    "formatters": {PORTAL_LOG_FORMAT: _FORMATTERS[PORTAL_LOG_FORMAT]},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": PORTAL_LOG_FORMAT,
            "filters": ["context"],
        },
    },
    "root": {"handlers": ["console"], "level": PORTAL_LOG_LEVEL},
    # Per-task success lines drown out everything else when tasks run in-process (task timings are metrics).
    # WeasyPrint logs each step of every PDF (and of its own stylesheets when first imported) at INFO.
    "loggers": {
        "celery.app.trace": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
    },
}
