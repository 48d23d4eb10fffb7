"""Operations settings: readiness, metrics and the dashboards' read replica."""

from __future__ import annotations

from typing import Any

import dj_database_url

from portal.env import EnvError, env_int, env_list, env_secret, env_str

__all__ = [
    "DATABASE_REPLICA_URL",
    "DATABASE_ROUTERS",
    "PORTAL_BEAT_STALE_SECONDS",
    "PORTAL_METRICS_TOKEN",
    "PORTAL_READY_CHECKS",
    "PORTAL_READY_REQUIRED",
]

# /readyz runs every check and reports each; only the ones named here turn it into a 503 (the load balancer
# then stops sending requests). The database alone by default: without a broker, worker or beat the portal still
# answers and stores what arrives (the sweeper sends it on later), so taking it out of rotation would lose more.
PORTAL_READY_CHECKS = ("database", "broker", "worker", "beat")
PORTAL_READY_REQUIRED = tuple(env_list("PORTAL_READY_REQUIRED", ["database"]))
if unknown := set(PORTAL_READY_REQUIRED) - set(PORTAL_READY_CHECKS):
    raise EnvError(f"PORTAL_READY_REQUIRED names unknown checks {sorted(unknown)}; known: {list(PORTAL_READY_CHECKS)}")
# Beat sends something every 30 s (the host outbox sweep); nothing sent for this long means beat is not running.
PORTAL_BEAT_STALE_SECONDS = env_int("PORTAL_BEAT_STALE_SECONDS", 180, minimum=31)

# /metrics answers requests from loopback that came through no proxy, and requests with this bearer token.
PORTAL_METRICS_TOKEN = env_secret("PORTAL_METRICS_TOKEN")
if PORTAL_METRICS_TOKEN and len(PORTAL_METRICS_TOKEN) < 16:
    raise EnvError("PORTAL_METRICS_TOKEN must be at least 16 characters")

# A read replica for the dashboards' heavy reads (insights selectors): unset, everything reads the default database.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
DATABASE_ROUTERS = ["portal.ops.dbrouter.ReplicaRouter"] if DATABASE_REPLICA_URL else []


def replica_database(default: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The `replica` entry of DATABASES when DATABASE_REPLICA_URL is set (tests read the default database instead)."""
    if not DATABASE_REPLICA_URL:
        return {}
    replica = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=default.get("CONN_MAX_AGE", 0))
    return {"replica": {**replica, "TEST": {"MIRROR": "default"}}}
