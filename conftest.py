"""Test preflight: the suite runs against real PostgreSQL and Redis, or not at all."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from hypothesis import settings as hypothesis_settings

# No wall-clock limit per example: the suite runs on shared 2-core machines, where a pure function's example can
# take longer than hypothesis's default 200 ms without anything being wrong (timings belong to `make bench`).
hypothesis_settings.register_profile("countersign", deadline=None)
hypothesis_settings.load_profile("countersign")

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no",
}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def pytest_configure(config: pytest.Config) -> None:
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        pytest.exit("Tests run against PostgreSQL: use `make test` (it sets DATABASE_URL from TEST_DATABASE_URL).", 2)
    if not settings.REDIS_URL:
        pytest.exit("Tests run against Redis: use `make test` (it sets REDIS_URL from TEST_REDIS_URL).", 2)
    redis = urlsplit(settings.REDIS_URL)
    checks = [
        ("PostgreSQL", db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)),
        ("Redis", redis.hostname or "127.0.0.1", redis.port or 6379),
    ]
    for name, host, port in checks:
        if not _reachable(host, port):
            pytest.exit(f"{name} does not answer at {host}:{port}. Start it with:\n  {HOW_TO_START[name]}", 2)
