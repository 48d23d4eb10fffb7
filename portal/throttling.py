"""The API's rate limiter, failing open when its cache (Redis) cannot be reached."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import UserRateThrottle

log = logging.getLogger(__name__)


class FailOpenUserRateThrottle(UserRateThrottle):
    """DRF's per-user rate limit; with the cache down the request is let through and a warning logged."""

    def allow_request(self, request: Request, view: Any) -> bool:
        """Apply the rate limit, or allow the request when the cache cannot be read or written."""
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):
            # Pages and webhooks keep working while Redis is down; the API should too. Losing the rate
            # limit for the length of an outage is the lesser harm than answering every call with a 500.
            log.warning("API rate limit not applied: the cache is unreachable", exc_info=True)
            return True
