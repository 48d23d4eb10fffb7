"""Countersign benchmarks: prints figures and ratios; run with `make bench` (needs PostgreSQL and Redis).

1. Webhook intake: correctly signed GitHub pull_request deliveries accepted per second by one
   gunicorn web process (one sync worker) on loopback.
2. Diff work: pulling, parsing and storing a 300-line change (the task's service) against the raw
   `git diff` of the same change.
3. Host writes through the outbox (bench/hostwrites.py): writes per second against a fake GitHub answering in
   50 ms, and the time from a verdict to the host showing it, p50 and p99, with one worker.
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
SECRET = "bench-webhook-secret"  # noqa: S105 - a throwaway secret for the loopback benchmark
PORT = int(os.environ.get("BENCH_PORT", "8765"))
DELIVERIES = int(os.environ.get("BENCH_DELIVERIES", "1500"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))


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
    pull = []
    for _ in range(runs):
        Change.objects.filter(pk=change.pk).update(diff_state="pending", diff_sha="")
        started = time.perf_counter()
        change_pull_diff(change_id=change.pk)
        pull.append(time.perf_counter() - started)
    raw = []
    for _ in range(runs):
        started = time.perf_counter()
        run_git(["diff", base, head], git_dir=mirror.path)
        raw.append(time.perf_counter() - started)
    change.refresh_from_db()
    return {
        "changed_lines": change.lines_changed,
        "pull_parse_store_ms": statistics.median(pull) * 1000,
        "raw_git_diff_ms": statistics.median(raw) * 1000,
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
                conn.request("POST", "/webhooks/github/", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
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
    return {
        "deliveries": len(codes),
        "accepted": sum(1 for c in codes if c == 202),
        "seconds": elapsed,
        "per_second": len(codes) / elapsed,
    }


def main() -> None:
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/countersign_bench")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
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
    }
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    base, head = _source_repository(data_dir / "source")

    from bench.hostwrites import bench_host_writes

    only = os.environ.get("BENCH_ONLY", "")  # "host": the host-write figures alone
    diff = bench_diff(data_dir / "source", base, head) if only != "host" else None
    hooks = bench_webhooks(env, head) if only != "host" else None
    redis.Redis.from_url(redis_url).flushdb()
    host = bench_host_writes(env)
    redis.Redis.from_url(redis_url).flushdb()
    _report(hooks, diff, host)


def _report(hooks: dict | None, diff: dict | None, host: dict) -> None:
    print("Countersign benchmarks")
    if hooks is None or diff is None:
        return _report_host(host)
    print(f"  webhook intake, 1 gunicorn sync worker, {CLIENTS} loopback clients:")
    print(f"    {hooks['deliveries']} signed deliveries in {hooks['seconds']:.2f} s, {hooks['accepted']} answered 202")
    print(f"    {hooks['per_second']:.0f} deliveries/s")
    print(f"  diff of a {diff['changed_lines']}-line change (median of 25):")
    print(f"    pull + parse + store: {diff['pull_parse_store_ms']:.1f} ms")
    print(f"    raw git diff:         {diff['raw_git_diff_ms']:.1f} ms")
    print(f"    ratio:                {diff['pull_parse_store_ms'] / diff['raw_git_diff_ms']:.1f}x")
    _report_host(host)


def _report_host(host: dict) -> None:
    print(f"  host writes through the outbox, 1 worker, fake GitHub answering in {host['latency_ms']:.0f} ms:")
    print(
        f"    {host['changes']} changes: {host['writes']} writes in {host['seconds']:.2f} s, "
        f"{host['writes_per_second']:.1f} writes/s ({host['duplicates']} duplicates, {host['violations']} refused)"
    )
    print(
        f"    verdict to host, {host['verdicts']} verdicts one at a time: p50 {host['p50'] * 1000:.0f} ms, "
        f"p99 {host['p99'] * 1000:.0f} ms (target p99 <= 2000 ms)"
    )


if __name__ == "__main__":
    main()
