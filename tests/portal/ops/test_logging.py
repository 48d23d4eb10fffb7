"""Request ids (X-Request-ID kept when well-formed, echoed) and task ids in JSON or plain text log lines."""

from __future__ import annotations

import json
import logging
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.http import HttpResponse
from django.test import RequestFactory
from pythonjsonlogger.json import JsonFormatter

from portal.celery import app as celery_app
from portal.conf.logging import LOGGING
from portal.ops import metrics
from portal.ops.context import ContextFilter, accept_or_make, request_id
from portal.ops.requestid import RequestIdMiddleware
from portal.ops.tasksignals import _stamp


def _formatted(fmt: str, record: logging.LogRecord) -> str:
    config = LOGGING["formatters"][fmt] if fmt in LOGGING["formatters"] else None
    if config is None:  # the other format than the one this run's environment chose
        import importlib
        import os

        from portal.conf import logging as conf

        saved = os.environ.get("PORTAL_LOG_FORMAT")
        os.environ["PORTAL_LOG_FORMAT"] = fmt
        try:
            config = importlib.reload(conf).LOGGING["formatters"][fmt]
        finally:
            os.environ.pop("PORTAL_LOG_FORMAT") if saved is None else os.environ.__setitem__("PORTAL_LOG_FORMAT", saved)
            importlib.reload(conf)
    config = dict(config)
    factory = config.pop("()", None)
    if factory:
        from pythonjsonlogger.json import JsonFormatter

        formatter = JsonFormatter(
            config["format"], rename_fields=config["rename_fields"], reserved_attrs=config["reserved_attrs"]
        )
    else:
        formatter = logging.Formatter(config["format"])
    ContextFilter().filter(record)
    return formatter.format(record)


def _record(message: str = "hello") -> logging.LogRecord:
    return logging.LogRecord("portal.test", logging.INFO, __file__, 1, message, None, None)


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("0f8e6c1a-3b9d-4c7e-8f21-5a6b7c8d9e0f", True),
        ("abcdef12", True),
        ("lb-node-2:1701234567.123", True),
        ("short", False),
        ("x" * 129, False),
        ("evil\nforged log line", False),
        ('"},{"level":"CRITICAL', False),
        ("", False),
        (None, False),
    ],
)
def test_an_incoming_request_id_is_kept_only_when_well_formed(incoming, kept):
    result = accept_or_make(incoming)
    assert (result == incoming) is kept
    if not kept:
        assert len(result) == 32 and int(result, 16) >= 0


def test_the_middleware_sets_the_id_for_the_request_and_echoes_it():
    seen = {}

    def view(request):
        seen["inside"] = request_id.get()
        return HttpResponse("ok")

    middleware = RequestIdMiddleware(view)
    response = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="trace-12345678"))
    assert response["X-Request-ID"] == "trace-12345678" == seen["inside"]
    assert request_id.get() is None  # reset after the response

    response = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="bad id"))
    assert response["X-Request-ID"] != "bad id" and len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_every_response_carries_a_request_id(client):
    assert len(client.get("/accounts/login/")["X-Request-ID"]) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="probe-0000000001")["X-Request-ID"] == "probe-0000000001"


def test_a_json_line_names_the_request():
    token = request_id.set("req-abcdef123456")
    try:
        line = json.loads(_formatted("json", _record("stored delivery")))
    finally:
        request_id.reset(token)
    assert line["message"] == "stored delivery"
    assert line["level"] == "INFO" and line["logger"] == "portal.test"
    assert line["request_id"] == "req-abcdef123456"
    assert line["task_id"] is None and "context" not in line


def test_a_plain_text_line_names_the_request_only_when_there_is_one():
    assert _formatted("text", _record("idle")).endswith("INFO portal.test idle")
    token = request_id.set("req-abcdef123456")
    try:
        assert "portal.test [request=req-abcdef123456] busy" in _formatted("text", _record("busy"))
    finally:
        request_id.reset(token)


def _wait_count(task: str) -> float:
    return sum(bucket.get() for bucket in metrics.TASK_WAIT.labels(task)._buckets)


@celery_app.task(name="ops.test_log_probe")
def _log_probe() -> str:
    logging.getLogger("portal.test.probe").warning("probing")
    return "done"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_log_line_names_the_task_and_the_request_that_sent_it():
    lines: list[dict] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(self.format(record)))

    handler = Collect()
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter("%(message)s %(request_id)s %(task_id)s %(task_name)s"))
    probe_logger = logging.getLogger("portal.test.probe")
    probe_logger.addHandler(handler)
    try:
        with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30):
            token = request_id.set("req-abcdef123456")
            try:
                result = _log_probe.delay()
            finally:
                request_id.reset(token)
            deadline = time.monotonic() + 30
            while not lines and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        probe_logger.removeHandler(handler)
    assert len(lines) == 1
    assert _wait_count("ops.test_log_probe") == 1  # its time in the queue was measured too
    assert {k: lines[0][k] for k in ("message", "request_id", "task_id", "task_name")} == {
        "message": "probing",
        "request_id": "req-abcdef123456",  # the request that sent it, carried in the message's headers
        "task_id": result.id,
        "task_name": "ops.test_log_probe",
    }


def test_the_request_id_and_the_sending_time_travel_in_the_task_message_headers():
    headers: dict = {}
    token = request_id.set("req-abcdef123456")
    try:
        _stamp(headers=headers)
    finally:
        request_id.reset(token)
    assert headers["request_id"] == "req-abcdef123456"
    assert abs(headers["sent_at"] - time.time()) < 5
    headers = {"eta": "2026-12-03T10:00:00+00:00"}
    _stamp(headers=headers)  # sent outside a request, to run later: neither id nor a queue wait to measure
    assert headers == {"eta": "2026-12-03T10:00:00+00:00"}


def test_a_bad_log_format_is_refused(monkeypatch):
    import importlib

    from portal.conf import logging as conf
    from portal.env import EnvError

    monkeypatch.setenv("PORTAL_LOG_FORMAT", "xml")
    with pytest.raises(EnvError, match="PORTAL_LOG_FORMAT"):
        importlib.reload(conf)
    monkeypatch.delenv("PORTAL_LOG_FORMAT")
    importlib.reload(conf)
