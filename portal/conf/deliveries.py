"""Webhook deliveries whose application fails: how soon they are tried again, and when they are parked as failed."""

from __future__ import annotations

from portal.env import env_int

# Tried again after BASE, 2 x BASE, 4 x BASE ... seconds (at most CAP), then parked as failed for an admin.
PORTAL_DELIVERY_MAX_ATTEMPTS = env_int("PORTAL_DELIVERY_MAX_ATTEMPTS", 10, minimum=1)
PORTAL_DELIVERY_RETRY_BASE_SECONDS = env_int("PORTAL_DELIVERY_RETRY_BASE_SECONDS", 30, minimum=1)
PORTAL_DELIVERY_RETRY_CAP_SECONDS = env_int("PORTAL_DELIVERY_RETRY_CAP_SECONDS", 1800, minimum=1)
