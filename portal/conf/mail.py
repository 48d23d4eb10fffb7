"""Outgoing mail and notifications (e-mail and chat), from the environment."""

from __future__ import annotations

from portal.env import env_bool, env_int, env_secret, env_str

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

# Notifications (notifications/): links in e-mail and chat use PORTAL_BASE_URL (settings); how long a burst of
# events for one person is collected into one message (in-process demo, no REDIS_URL: sent at once); how long before
# a review's due time its senior is reminded; delivery retries (doubling from the base, at most the cap) before a
# message is marked failed for admins to see; chat webhooks over plain HTTP only when allowed (tests, a local relay).
PORTAL_NOTIFY_BURST_SECONDS = env_int("PORTAL_NOTIFY_BURST_SECONDS", 0 if not env_str("REDIS_URL") else 60, minimum=0)
PORTAL_NOTIFY_DUE_SOON_HOURS = env_int("PORTAL_NOTIFY_DUE_SOON_HOURS", 4, minimum=1)
PORTAL_NOTIFY_MAX_ATTEMPTS = env_int("PORTAL_NOTIFY_MAX_ATTEMPTS", 6, minimum=1)
PORTAL_NOTIFY_RETRY_BASE_SECONDS = env_int("PORTAL_NOTIFY_RETRY_BASE_SECONDS", 60, minimum=1)
PORTAL_NOTIFY_RETRY_CAP_SECONDS = env_int("PORTAL_NOTIFY_RETRY_CAP_SECONDS", 3600, minimum=1)
PORTAL_CHAT_ALLOW_HTTP = env_bool("PORTAL_CHAT_ALLOW_HTTP", False)
PORTAL_CHAT_TIMEOUT_SECONDS = env_int("PORTAL_CHAT_TIMEOUT_SECONDS", 10, minimum=1)
