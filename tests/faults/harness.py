"""The fault suite's shared machinery: sizes, the result table, real processes, and the one invariant check.

Every scenario breaks something real on loopback (a Redis server, a worker process, the database's connections,
a git or API host, a mail server) and ends with `check_invariants`, the same check for all of them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q

from portal.celery import app as celery_app
from reviews.models import Assignment, AuditEvent, Change, Delivery, Review
from reviews.services.ledger import ledger_verify

BASE_DIR = Path(__file__).resolve().parents[2]  # the checkout: tests/faults/ is two levels down
FULL = os.environ.get("FAULTS_SCALE", "bounded") == "full"

# Bounded: the whole suite in a few minutes on a busy 2-core machine (make test, CI). Full: the figures.
SIZES = {
    "deliveries": 1000 if FULL else 60,
    "duplicated_pulls": 300 if FULL else 20,
    "changes": 5000 if FULL else 200,
    "seniors": 50,
    "moving": 500 if FULL else 60,
    "killed_pulls": 200 if FULL else 20,
    "db_load": 600 if FULL else 48,
    "notifications": 100 if FULL else 12,
}


# How long a scenario waits for the work to finish before it fails: generous, never part of what is asserted.
PATIENCE = 900 if FULL else 240


def size(name: str) -> int:
    """How many of a thing this run makes (FAULTS_SCALE=full for the issue's figures)."""
    return SIZES[name]


# --- the table ---------------------------------------------------------------------------------------


@dataclass
class Row:
    """One scenario's line of the table printed at the end of the run."""

    scenario: str
    attempted: int = 0
    accepted: int = 0
    processed: int = 0
    lost: int = 0
    duplicated: int = 0
    recovered_in: float | None = None
    notes: list[str] = field(default_factory=list)


ROWS: list[Row] = []
HEADERS = ("scenario", "attempted", "accepted", "processed", "lost", "duplicated", "time to recover")


def record(row: Row) -> Row:
    """Add a scenario's figures to the table (replacing an earlier row of the same scenario)."""
    ROWS[:] = [r for r in ROWS if r.scenario != row.scenario]
    ROWS.append(row)
    return row


def table_lines() -> list[str]:
    """The table as aligned text lines."""
    cells = [HEADERS] + [
        (
            r.scenario,
            str(r.attempted),
            str(r.accepted),
            str(r.processed),
            str(r.lost),
            str(r.duplicated),
            "-" if r.recovered_in is None else f"{r.recovered_in:.1f} s",
        )
        for r in sorted(ROWS, key=lambda r: int(r.scenario.split(".")[0]))
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(HEADERS))]
    lines = [
        " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        for row in cells
    ]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return lines


# --- waiting -----------------------------------------------------------------------------------------


def wait_for(
    predicate: Callable[[], bool], timeout: float = 120.0, what: str | Callable[[], str] = "the scenario", every=0.2
) -> float:
    """Poll until the predicate holds; the seconds it took (fails with `what` after the timeout)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what() if callable(what) else what}")


def queue_names() -> list[str]:
    """Every queue the workers consume (a worker started without -Q consumes them all)."""
    names = {q.name for q in celery_app.amqp.queues.values()} or set()
    names.add(celery_app.conf.task_default_queue or "celery")
    return sorted(names)


def queued(client: redis.Redis) -> int:
    """Messages waiting in any queue (with kombu's priority sub-lists) or reserved by a worker and not acked."""
    total = client.hlen("unacked")
    for name in queue_names():
        total += client.llen(name)
        total += sum(client.llen(key) for key in client.scan_iter(match=f"{name}\x06\x16*"))
    return total


def progress() -> str:
    """Where the work stands, for a timeout's message."""
    changes = Counter(Change.objects.values_list("diff_state", flat=True))
    deliveries = Counter(Delivery.objects.values_list("status", flat=True))
    errors = list(Change.objects.exclude(diff_error="").values_list("diff_error", flat=True)[:3])
    return f"changes by diff state {dict(changes)}, deliveries by status {dict(deliveries)}, errors {errors}"


def idle(client: redis.Redis) -> bool:
    """Nothing queued nor reserved, twice in a row (a message is briefly in neither place)."""
    for _ in range(2):
        if queued(client):
            return False
        time.sleep(0.3)
    return True


# --- processes ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of this scenario's own on a free port, that the scenario stops and starts for real."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        wait_for(lambda: self._answers(), timeout=20, what="the private redis-server to start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)
        self.process = None

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False


def test_database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database), for worker processes."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="") + (":" + quote(db["PASSWORD"], safe="") if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


class Workers:
    """Real `celery worker` processes on the test database, started and killed by the scenario."""

    def __init__(self, log_dir: Path, **env: str) -> None:
        self.log_dir = log_dir
        self.env = env
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *, concurrency: int = 2, **env: str) -> subprocess.Popen:
        environment = process_env(**{**self.env, **env})
        argv = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=threads"]
        argv += [f"--concurrency={concurrency}", "--loglevel=INFO", f"--hostname={name}@%h"]
        argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        with open(self.log_dir / f"{name}.log", "wb") as log:
            process = subprocess.Popen(argv, cwd=BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        self.processes[name] = process
        return process

    def kill(self, name: str) -> None:
        """kill -9: no shutdown, no requeue, no acknowledgement."""
        process = self.processes[name]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def log_tail(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


def process_env(**env: str) -> dict[str, str]:
    """The environment of a portal process (worker or web server) on this test's database and Redis."""
    return {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": "test-only-not-secret",
        "PORTAL_DATA_DIR": str(settings.DATA_DIR),
        "PORTAL_SSL_REDIRECT": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PORTAL_WORKER_HEARTBEAT_SECONDS": "1",
        "PORTAL_WORKER_HEARTBEAT_TTL": "3",
        **env,
    }


@contextmanager
def web_server(log_dir: Path, *, threads: int = 4, **env: str) -> Iterator[str]:
    """The portal served by gunicorn (as deployed: persistent database connections, threads); its base URL."""
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "portal.wsgi", f"--bind=127.0.0.1:{port}", "--workers=1"]
    argv += [f"--threads={threads}", "--worker-class=gthread", "--timeout=60"]
    with open(log_dir / "web.log", "wb") as log:
        process = subprocess.Popen(argv, cwd=BASE_DIR, env=process_env(**env), stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        base = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
            except OSError:
                return process.poll() is not None  # died: stop waiting, the log says why

        wait_for(answers, timeout=60, what="the web server to start")
        assert process.poll() is None, (log_dir / "web.log").read_text()[-3000:]
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def workers(log_dir: Path, **env: str) -> Iterator[Workers]:
    """Worker processes that are all ended when the scenario ends, whatever happened."""
    pool = Workers(log_dir, **env)
    try:
        yield pool
    finally:
        pool.stop_all()


# --- the invariant -----------------------------------------------------------------------------------


@dataclass
class Invariants:
    """What the shared check found: the figures for the table, and every violation."""

    accepted: int = 0
    processed: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def _change_key(delivery: Delivery) -> tuple[int | None, str]:
    pr = delivery.payload.get("pull_request") or delivery.payload.get("object_attributes") or {}
    number = pr.get("number", pr.get("iid"))
    prefix = "pr" if delivery.provider == Delivery.Provider.GITHUB else "mr"
    return delivery.repository_id, f"{prefix}:{number}"


def check_invariants(accepted_ids: set[str] | None = None, *, parked: set[str] = frozenset()) -> Invariants:
    """The one check every scenario ends with.

    Every accepted delivery (the ids answered 2xx; all stored ones if None) is stored, applied, and has its change
    with its diff pulled; no change is assigned twice; no senior is past their cap on open assignments; every
    sign-off has its audit event; the ledger verifies. `parked`: deliveries that must instead be parked as failed.
    """
    found = Invariants()
    stored = {d.delivery_id: d for d in Delivery.objects.all()}
    ids = set(stored) if accepted_ids is None else set(accepted_ids)
    found.accepted = len(ids)
    changes = {(c.repository_id, c.external_id): c for c in Change.objects.all()}
    with_files = set(Change.objects.filter(files__isnull=False).values_list("pk", flat=True).distinct())
    for delivery_id in sorted(ids):
        delivery = stored.get(delivery_id)
        if delivery is None:
            found.lost.append(f"delivery {delivery_id} was answered 2xx but is not stored")
            continue
        if delivery_id in parked:
            if delivery.status != Delivery.Status.FAILED or not delivery.error:
                found.violations.append(f"poison delivery {delivery_id} is {delivery.status}, not parked with an error")
            continue
        change = changes.get(_change_key(delivery)) if delivery.event == "pull_request" else None
        if delivery.status != Delivery.Status.PROCESSED:
            found.lost.append(f"delivery {delivery_id} is {delivery.status}: {delivery.error[:200]}")
        elif delivery.event == "pull_request" and change is None:
            found.lost.append(f"delivery {delivery_id} has no change")
        elif change is not None and (change.diff_state != Change.DiffState.DONE or change.pk not in with_files):
            found.lost.append(f"{change.external_id} of delivery {delivery_id} has no diff ({change.diff_state})")
        else:
            found.processed += 1
    twice = (
        Assignment.objects.filter(state=Assignment.State.ACTIVE)
        .values("change_id", "reviewer_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    found.duplicated += [f"change {a['change_id']} assigned twice to {a['reviewer_id']}" for a in twice]
    per_change = Counter(Assignment.objects.filter(state=Assignment.State.ACTIVE).values_list("change_id", flat=True))
    required = dict(Change.objects.filter(pk__in=list(per_change)).values_list("pk", "required_sign_offs"))
    found.duplicated += [
        f"change {pk} has {n} active assignments for {required.get(pk) or 1} sign-off(s)"
        for pk, n in per_change.items()
        if n > max(1, required.get(pk) or 1)
    ]
    over = (
        Assignment.objects.filter(state=Assignment.State.ACTIVE, reviewer__max_open_assignments__isnull=False)
        .values("reviewer_id", "reviewer__max_open_assignments")
        .annotate(n=Count("id"))
        .filter(n__gt=F("reviewer__max_open_assignments"))
    )
    found.violations += [
        f"senior {o['reviewer_id']} holds {o['n']} > cap {o['reviewer__max_open_assignments']}" for o in over
    ]
    hashes = set(AuditEvent.objects.filter(action__startswith="review.").values_list("hash", flat=True))
    unaudited = Review.objects.filter(~Q(ledger_hash__in=hashes) | Q(ledger_hash=""))
    found.violations += [f"review {r.pk} on change {r.change_id} has no audit event" for r in unaudited]
    report = ledger_verify()
    found.violations += [f"ledger: {p.message}" for p in report.problems]
    return found


def assert_invariants(found: Invariants) -> None:
    """Fail the scenario on anything lost, duplicated or broken, with the first few cases named."""
    problems = found.lost + found.duplicated + found.violations
    assert not problems, f"{len(problems)} invariant violations, first ones:\n" + "\n".join(problems[:20])
