"""Countersign benchmarks: `make bench` (needs PostgreSQL and Redis). Prints a table and writes bench/results.json.

At each size in BENCH_SIZES (default 10,000 and 1,000,000 changes) a generated organisation is built with
`manage.py generate_org`, or reused when a database bench_<size> already holds one of that size, and
bench/sized.py measures the pages, reports, suspect ranking, assignment and rollups against it (median, min and
max of several runs; the ratio between the largest and the smallest size). Apart from the sizes, in a scratch
database (BENCH_DATABASE_URL):

1. Webhook intake: correctly signed GitHub pull_request deliveries accepted per second by one gunicorn web process
   (one sync worker) on loopback, from client threads in this process, with p50/p99 latency.
2. Diff work: pulling and parsing a 300-line change through the worker's path (intake.services.diffs) against the
   raw `git diff` of the same change on the same mirror, taken in turn; apart, AI detection, and the rest of the
   worker's task (storing, and what the stored diff sets off: gates, policy, risk, assignment) with its SQL queries;
   and the git processes one pull starts.
3. Peak memory (RSS) of a worker process pulling a 20 MB diff.
4. Host writes through the outbox (bench/hostwrites.py): writes per second against a fake GitHub answering in
   50 ms, and the time from a verdict to the host showing it, p50 and p99, with one worker.

BENCH_HOST_ONLY=true measures the host writes alone. `BENCH_SIZES= BENCH_ONLY_FIXED=webhooks` measures the webhook
figure alone in about a minute (any of diff, webhooks, worker_rss, host_writes; printed, no results.json written).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.diffwork import bench_worker_rss, diff_stages  # noqa: E402 - after the path is set

SECRET = "bench-webhook-secret"  # noqa: S105 - a throwaway secret for the loopback benchmark
PORT = int(os.environ.get("BENCH_PORT", "8765"))
DELIVERIES = int(os.environ.get("BENCH_DELIVERIES", "1500"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
FIXED = ("diff", "webhooks", "worker_rss", "host_writes")


def _ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _git(cwd: Path, *args: str, env: dict | None = None) -> str:
    base = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "HOME": str(cwd), "PATH": os.environ["PATH"]}
    base.update(env or {})
    return subprocess.run(["git", *args], cwd=cwd, env=base, check=True, capture_output=True, text=True).stdout.strip()


def _source_repository(path: Path) -> tuple[str, str]:
    """A repository with a base commit and a 300-line change on a branch; returns (base, head)."""
    path.mkdir(parents=True)
    _git(path, "init", "-q", "-b", "main")
    ident = {
        "GIT_AUTHOR_NAME": "B",
        "GIT_AUTHOR_EMAIL": "b@example.com",
        "GIT_COMMITTER_NAME": "B",
        "GIT_COMMITTER_EMAIL": "b@example.com",
    }
    for i in range(6):
        (path / f"src/module_{i}.py").parent.mkdir(parents=True, exist_ok=True)
        (path / f"src/module_{i}.py").write_text("".join(f"value_{n} = compute({n})\n" for n in range(200)))
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "base", env=ident)
    base = _git(path, "rev-parse", "HEAD")
    _git(path, "checkout", "-q", "-b", "feature/bench")
    for i in range(2):  # 2 files x (50 removed, 50 added in their place, 50 appended) = 300 changed lines
        lines = (path / f"src/module_{i}.py").read_text().splitlines(keepends=True)
        lines[10:60] = [f"value_{n} = compute_faster({n})\n" for n in range(10, 35)] * 2
        lines += [f"extra_{n} = compute({n})\n" for n in range(50)]
        (path / f"src/module_{i}.py").write_text("".join(lines))
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "Tune modules\n\nCo-authored-by: Claude <noreply@anthropic.com>", env=ident)
    head = _git(path, "rev-parse", "HEAD")
    _git(path, "update-ref", "refs/pull/1/head", head)
    _git(path, "checkout", "-q", "main")
    return base, head


def bench_diff(source: Path, base: str, head: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from intake.gitrun import run_git
    from intake.mirrors import repository_mirror
    from intake.services.diffs import change_pull_diff
    from intake.services.repositories import repository_register
    from reviews.models import Change

    repository = repository_register(name="bench/diff", url=str(source), provider="github")
    Change.objects.filter(repository=repository).delete()
    change = Change.objects.create(
        repository=repository,
        external_id="pr:1",
        number=1,
        title="bench",
        head_sha=head,
        base_sha=base,
        target_branch="main",
        state="open",
        opened_at="2026-11-20T10:00:00Z",
    )
    change_pull_diff(change_id=change.pk)  # warm: the first run also fetches into the mirror
    mirror = repository_mirror(repository)
    runs = 25
    stages = diff_stages(change, runs, lambda: run_git(["diff", base, head], git_dir=mirror.path))
    whole = []
    for _ in range(runs):
        Change.objects.filter(pk=change.pk).update(diff_state="pending", diff_sha="")
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            change_pull_diff(change_id=change.pk)
            whole.append(time.perf_counter() - started)
    change.refresh_from_db()
    pull_parse_store = statistics.median(whole) * 1000
    return {
        "changed_lines": change.lines_changed,
        **stages,
        # The rest of the worker's task: storing the files and revision, and what the stored diff sets off (gates,
        # policy, risk, assignment, the host's outbox) in the same transaction.
        "pull_parse_store_ms": pull_parse_store,
        "store_and_after_ms": pull_parse_store - stages["pull_parse_ms"] - stages["ai_ms"],
        "task_queries": len(queries),
    }


def _payload(n: int, head: str) -> bytes:
    return json.dumps(
        {
            "action": "opened",
            "number": n,
            "pull_request": {
                "number": n,
                "state": "open",
                "title": f"Change {n}",
                "body": "bench",
                "draft": False,
                "user": {"login": "bench"},
                "labels": [],
                "head": {"ref": f"feature/{n}", "sha": head},
                "base": {"ref": "main", "sha": head},
                "created_at": "2026-11-20T10:00:00Z",
                "updated_at": "2026-11-20T10:00:00Z",
                "merged": False,
                "merged_at": None,
            },
            "repository": {"full_name": "bench/hooks"},
        }
    ).encode()


def bench_webhooks(env: dict, head: str) -> dict:
    from intake.services.repositories import repository_register
    from reviews.models import Delivery

    Delivery.objects.filter(repository_name="bench/hooks").delete()
    repository_register(name="bench/hooks", url="https://example.invalid/bench/hooks.git", provider="github")
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "1",
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/accounts/login/")
                break
            except OSError:
                time.sleep(0.1)
        bodies = [_payload(100000 + n, head) for n in range(DELIVERIES)]
        run_id = str(time.time_ns())

        latencies: list[float] = []

        def send(chunk: range) -> list[int]:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            codes = []
            for n in chunk:
                body = bodies[n]
                signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                headers = {
                    "Content-Type": "application/json",
                    "X-GitHub-Event": "pull_request",
                    "X-GitHub-Delivery": f"{run_id}-{n}",
                    "X-Hub-Signature-256": signature,
                }
                began = time.perf_counter()
                conn.request("POST", "/webhooks/github/", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                latencies.append((time.perf_counter() - began) * 1000)
                codes.append(response.status)
            conn.close()
            return codes

        chunks = [range(i, DELIVERIES, CLIENTS) for i in range(CLIENTS)]
        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            codes = [c for result in pool.map(send, chunks) for c in result]
        elapsed = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        # No worker applies them here: left stored, an intake worker started later (the host-write figure's) would
        # first work through this run's 1,500 deliveries, and the table would grow run after run.
        Delivery.objects.filter(repository_name="bench/hooks").delete()
    return {
        "deliveries": len(codes),
        "accepted": sum(1 for c in codes if c == 202),
        "seconds": elapsed,
        "per_second": len(codes) / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": statistics.quantiles(latencies, n=100)[98],
    }


def _label(size: int) -> str:
    for unit, name in ((1_000_000, "m"), (1_000, "k")):
        if size % unit == 0:
            return f"{size // unit}{name}"
    return str(size)


def _admin(url: str) -> str:
    return urlsplit(url)._replace(path="/postgres").geturl()


def _marker(url: str) -> str:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_admin(url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
    return (row[0] or "") if row else ""


def generated_database(size: int, env: dict) -> tuple[str, float | None]:
    """The database of a generated organisation of `size` changes: reused when one exists, else generated.
    Returns its URL and the seconds generating took (None when reused)."""
    import psycopg

    base = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    url = urlsplit(base)._replace(path=f"/bench_{_label(size)}").geturl()
    _ensure_database(url)
    sized_env = {**env, "DATABASE_URL": url}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=sized_env, check=True)
    seed = os.environ.get("BENCH_SEED", "1")
    marker = _marker(url)
    if f" changes={size} " in f" {marker} " and f" seed={seed} " in f" {marker} ":
        print(f"  reusing bench_{_label(size)} ({marker})", flush=True)
        # What a migration just added (tables it filled, indexes) gets the visibility map and statistics autovacuum
        # gives a long-lived database within minutes; on pages already vacuumed this is quick.
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
        return url, None
    print(f"  generating {size:,} changes into bench_{_label(size)} ...", flush=True)
    command = [*manage, "generate_org", "--changes", str(size), "--seed", seed]
    if marker.startswith("countersign generate_org"):
        command.append("--replace")  # another generated organisation: never real data
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=sized_env, check=True)
    return url, time.perf_counter() - started


def measure_size(url: str, env: dict) -> dict:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench/sized.py")],
        cwd=ROOT,
        env={**env, "DATABASE_URL": url},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout)


def main() -> None:
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/countersign_bench")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    sizes = sorted({int(s) for s in os.environ.get("BENCH_SIZES", "10000,1000000").replace("_", "").split(",") if s})
    only = os.environ.get("BENCH_HOST_ONLY", "") == "true"  # the host-write figures alone
    fixed = {f for f in os.environ.get("BENCH_ONLY_FIXED", "").split(",") if f} or set(FIXED)
    if only:
        sizes, fixed = [], {"host_writes"}
    _ensure_database(database_url)
    data_dir = Path(tempfile.mkdtemp(prefix="countersign-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "PORTAL_SSL_REDIRECT": "false",  # gunicorn on loopback speaks plain HTTP
        "SECRET_KEY": "bench-only-not-secret",
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_GITHUB_WEBHOOK_SECRET": SECRET,
        "PORTAL_LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    }
    import redis

    results: dict = {"sizes": {}, "generate_seconds": {}, "fixed": {}}
    for size in sizes:
        print(f"size {size:,}:", flush=True)
        url, seconds = generated_database(size, env)
        results["generate_seconds"][str(size)] = None if seconds is None else round(seconds, 1)
        results["sizes"][str(size)] = measure_size(url, env)
        redis.Redis.from_url(redis_url).flushdb()

    print("size-independent figures (scratch database):", flush=True)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(redis_url).flushdb()
    base, head = _source_repository(data_dir / "source")
    from bench.hostwrites import bench_host_writes, report_host_writes

    figures = {
        "diff": lambda: bench_diff(data_dir / "source", base, head),
        "webhooks": lambda: bench_webhooks(env, head),
        "worker_rss": lambda: bench_worker_rss(data_dir / "big", env),
        "host_writes": lambda: bench_host_writes(env),
    }
    for name in (n for n in FIXED if n in fixed):
        results["fixed"][name] = figures[name]()
        redis.Redis.from_url(redis_url).flushdb()
    from bench.table import render

    if not only and fixed == set(FIXED):
        print(render(results))
    if "host_writes" in fixed:
        report_host_writes(results["fixed"]["host_writes"])
    if os.environ.get("BENCH_ONLY_FIXED"):
        return print(json.dumps(results["fixed"], default=str))  # a partial run leaves results.json alone
    (ROOT / "bench/results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(f"written: {ROOT / 'bench/results.json'}")


if __name__ == "__main__":
    main()
