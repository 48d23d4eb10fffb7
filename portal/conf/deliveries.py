"""Webhook deliveries whose application fails: how soon they are tried again, and when they are parked as failed."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from portal.env import env_int, env_str

# Tried again after BASE, 2 x BASE, 4 x BASE ... seconds (at most CAP), then parked as failed for an admin.
PORTAL_DELIVERY_MAX_ATTEMPTS = env_int("PORTAL_DELIVERY_MAX_ATTEMPTS", 10, minimum=1)
PORTAL_DELIVERY_RETRY_BASE_SECONDS = env_int("PORTAL_DELIVERY_RETRY_BASE_SECONDS", 30, minimum=1)
PORTAL_DELIVERY_RETRY_CAP_SECONDS = env_int("PORTAL_DELIVERY_RETRY_CAP_SECONDS", 1800, minimum=1)

# "queue": a webhook request stores the delivery and answers 202; the intake worker applies it (the sweeper sends it
# again when the broker was down). "inline": the request applies it before answering (no worker needed, slower).
PORTAL_DELIVERY_APPLY = env_str("PORTAL_DELIVERY_APPLY", "queue")
if PORTAL_DELIVERY_APPLY not in ("queue", "inline"):
    raise ImproperlyConfigured(f"PORTAL_DELIVERY_APPLY must be queue or inline, not {PORTAL_DELIVERY_APPLY!r}")
