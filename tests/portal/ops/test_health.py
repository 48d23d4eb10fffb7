"""/healthz and /readyz: answered without session or login, per-check JSON, 503 only for the required checks."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from portal.ops import health
from portal.ops.tasksignals import BEAT_LAST_KEY
from portal.worker_liveness import LATEST_KEY, beat_once

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.delete_many([LATEST_KEY, BEAT_LAST_KEY])
    yield
    cache.delete_many([LATEST_KEY, BEAT_LAST_KEY])


def test_healthz_answers_without_touching_the_database_or_a_session(client):
    # No database access is allowed in this test: any query would raise.
    response = client.get("/healthz", HTTP_HOST="10.0.0.7")  # a probe naming the machine by its address
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers and response["Cache-Control"] == "no-store"


def test_healthz_refuses_a_post(client):
    response = client.post("/healthz")
    assert response.status_code == 405 and response.json()["detail"] == "use GET"


@pytest.mark.django_db
def test_readyz_reports_every_check_and_is_ready_with_the_database_alone(client):
    response = client.get("/readyz/")  # with or without the trailing slash
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "broker", "worker", "beat"}
    assert body["checks"]["database"]["ok"] and body["checks"]["database"]["required"]
    assert body["checks"]["broker"]["ok"]
    # No worker or beat runs in this test: reported, but not required by default.
    assert body["checks"]["worker"] == {**body["checks"]["worker"], "ok": False, "required": False}
    assert not body["checks"]["beat"]["ok"] and body["checks"]["beat"]["detail"] == "beat has sent nothing yet"


@pytest.mark.django_db
def test_a_required_failing_check_makes_readyz_503(client, settings):
    settings.PORTAL_READY_REQUIRED = ("database", "worker")
    assert client.get("/readyz").status_code == 503
    beat_once("test-instance")  # a worker's heartbeat
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["worker"]["detail"].startswith("last heartbeat")


@pytest.mark.django_db
def test_beat_counts_as_stale_after_its_threshold(client, settings):
    settings.PORTAL_READY_REQUIRED = ("beat",)
    cache.set(BEAT_LAST_KEY, time.time() - 10, timeout=None)
    assert client.get("/readyz").status_code == 200
    cache.set(BEAT_LAST_KEY, time.time() - settings.PORTAL_BEAT_STALE_SECONDS - 5, timeout=None)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["beat"]["detail"].startswith("beat last sent a task")


@pytest.mark.django_db
def test_a_broker_outage_is_reported_without_its_address(client, settings):
    settings.CELERY_BROKER_URL = DEAD_REDIS
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 5
    assert response.status_code == 200  # the broker is not required by default
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False and broker["detail"] == "failed: ConnectionError"
    settings.PORTAL_READY_REQUIRED = ("database", "broker")
    assert client.get("/readyz").status_code == 503


@pytest.mark.django_db
def test_a_database_outage_is_a_failed_check_not_an_exception(monkeypatch, settings):
    def refuse() -> tuple[bool, str]:
        raise OSError("connection refused by db.internal:5432")

    monkeypatch.setitem(health.CHECKS, "database", refuse)
    ready, checks = health.readiness()
    assert ready is False
    assert checks["database"]["detail"] == "failed: OSError"  # no host name for an anonymous caller


def test_an_unknown_required_check_is_refused_at_start(monkeypatch):
    import importlib

    from portal.conf import ops
    from portal.env import EnvError

    monkeypatch.setenv("PORTAL_READY_REQUIRED", "database,wokrer")
    with pytest.raises(EnvError, match="wokrer"):
        importlib.reload(ops)
    monkeypatch.delenv("PORTAL_READY_REQUIRED")
    importlib.reload(ops)


@pytest.mark.django_db
def test_the_probes_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301  # everything else still is


@pytest.mark.django_db
def test_with_tasks_in_process_broker_worker_and_beat_are_not_expected(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded demo: no Redis, tasks run in the web process
    settings.PORTAL_READY_REQUIRED = ("database", "broker", "worker", "beat")
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert {name: c["detail"] for name, c in checks.items() if name != "database"} == {
        "broker": "no broker: tasks run in-process",
        "worker": "no workers: tasks run in-process",
        "beat": "no beat: tasks run in-process",
    }
