"""The API's rate limiter, failing open when its cache (Redis) cannot be reached."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import UserRateThrottle

log = logging.getLogger(__name__)


class FailOpenUserRateThrottle(UserRateThrottle):
    """DRF's rate limit per API token (per user for the browser's session); fails open when the cache is down."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        """A token has its own budget, so one busy CI token does not starve its owner's other tokens."""
        token_id = getattr(request.auth, "pk", None)
        if token_id is not None and hasattr(request.auth, "scopes"):
            return self.cache_format % {"scope": self.scope, "ident": f"token-{token_id}"}
        return super().get_cache_key(request, view)

    def allow_request(self, request: Request, view: Any) -> bool:
        """Apply the rate limit, or allow the request when the cache cannot be read or written."""
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):
            # Pages and webhooks keep working while Redis is down; the API should too. Losing the rate
            # limit for the length of an outage is the lesser harm than answering every call with a 500.
            log.warning("API rate limit not applied: the cache is unreachable", exc_info=True)
            return True
