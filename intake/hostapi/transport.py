"""One HTTP layer for both hosts (httpx): timeouts, size caps, pagination, rate-limit headers, error classes."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

MAX_PAGES = 20
MAX_BODY = 5 * 1024 * 1024
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


class HostApiError(RuntimeError):
    """The host's API refused or failed; transient errors may be retried, after `retry_after` seconds if given."""

    def __init__(
        self,
        message: str,
        *,
        transient: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after
        self.status = status
        self.rate_limited = rate_limited


@dataclass(frozen=True)
class RateLimit:
    """What the host said of its rate limit on the last answer."""

    remaining: int | None
    reset_at: float | None  # epoch seconds


def rate_limit_of(headers: httpx.Headers | dict[str, str]) -> RateLimit:
    """X-RateLimit-Remaining / -Reset (GitHub) or RateLimit-Remaining / -Reset (GitLab), where the host sent them."""
    remaining = headers.get("x-ratelimit-remaining") or headers.get("ratelimit-remaining") or ""
    reset = headers.get("x-ratelimit-reset") or headers.get("ratelimit-reset") or ""
    return RateLimit(
        remaining=int(remaining) if remaining.isdigit() else None,
        reset_at=float(reset) if reset.isdigit() else None,
    )


def error_for(
    status: int, headers: httpx.Headers | dict[str, str], body: str = "", *, now: float | None = None
) -> HostApiError:
    """Classify an error answer: rate limits (primary and secondary) and 5xx are transient, the rest are not."""
    now = time.time() if now is None else now
    retry_after = headers.get("retry-after") or ""
    limit = rate_limit_of(headers)
    secondary = "secondary rate limit" in body.lower()
    if status == 429 or (status == 403 and (retry_after or limit.remaining == 0 or secondary)):
        wait = float(retry_after) if retry_after.isdigit() else None
        if wait is None and limit.reset_at is not None:
            wait = max(1.0, limit.reset_at - now)
        # GitHub's secondary limits without Retry-After: "wait at least one minute".
        return HostApiError(
            f"rate limited by the host ({status})",
            transient=True,
            retry_after=wait or 60.0,
            status=status,
            rate_limited=True,
        )
    if status >= 500:
        return HostApiError(f"host API error {status}", transient=True, status=status)
    detail = body[:300].strip()
    return HostApiError(f"host API refused the request ({status}){': ' + detail if detail else ''}", status=status)


_CLIENTS: dict[tuple[str, float], httpx.Client] = {}
_CLIENTS_LOCK = threading.Lock()


def _client(base_url: str, timeout: float) -> httpx.Client:
    """One pooled client per API root and timeout in each process: connections are reused across writes."""
    key = (base_url, timeout)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            client = _CLIENTS[key] = httpx.Client(
                timeout=httpx.Timeout(timeout), follow_redirects=False, headers={"User-Agent": "Countersign"}
            )
        return client


class Transport:
    """Requests to one API root with fixed headers; reports every rate-limit header it sees to `on_rate`."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        timeout: float = 10.0,
        on_rate: Callable[[RateLimit], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = headers
        self.timeout = timeout
        self.on_rate = on_rate
        self.last_rate = RateLimit(None, None)

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def request(
        self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None
    ) -> tuple[Any, httpx.Headers]:
        """Send one request; the decoded JSON answer (None when empty) and the headers, or a HostApiError."""
        url = self.url(path)
        if urlsplit(url)[:2] != urlsplit(self.base_url)[:2] or not url.startswith(self.base_url):
            raise HostApiError(f"refusing to follow {url[:200]!r} outside {self.base_url}")
        try:
            with _client(self.base_url, self.timeout).stream(
                method, url, json=body, params=params, headers=self.headers
            ) as response:
                raw = b""
                for chunk in response.iter_bytes():
                    raw += chunk
                    if len(raw) > MAX_BODY:
                        raise HostApiError("API answer too large")
        except httpx.HTTPError as exc:
            raise HostApiError(f"API unreachable: {type(exc).__name__}: {exc}", transient=True) from None
        self.last_rate = rate_limit_of(response.headers)
        if self.on_rate is not None and self.last_rate.remaining is not None:
            self.on_rate(self.last_rate)
        if response.status_code >= 400:
            raise error_for(response.status_code, response.headers, raw.decode("utf-8", "replace"))
        if not raw.strip():
            return None, response.headers
        try:
            return json.loads(raw), response.headers
        except ValueError:
            raise HostApiError("API answered with something that is not JSON") from None

    def pages(self, path: str, *, params: dict[str, Any] | None = None, key: str | None = None) -> list[Any]:
        """Every item of a listing, following Link rel="next" (at most MAX_PAGES pages, never off this host)."""
        items: list[Any] = []
        url: str | None = path
        for _ in range(MAX_PAGES):
            data, headers = self.request("GET", url, params=params)
            params = None  # the next link carries them
            if key is not None and isinstance(data, dict):
                data = data.get(key)
            if not isinstance(data, list):
                raise HostApiError("expected a list from the API")
            items.extend(data)
            match = _LINK_NEXT.search(headers.get("link", ""))
            if not match:
                break
            url = match.group(1)
        return items
