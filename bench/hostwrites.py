"""Host writes through the outbox against a fake GitHub answering in 50 ms, with one real Celery worker.

1. Throughput: N changes marked at once; host writes (check run + summary comment each) per second until the
   outbox is clean.
2. Latency: a senior's verdict on a change, one at a time; from the verdict's commit to the fake host showing
   `success`, p50 and p99.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHANGES = int(os.environ.get("BENCH_HOST_CHANGES", "200"))
VERDICTS = int(os.environ.get("BENCH_HOST_VERDICTS", "100"))
LATENCY = float(os.environ.get("BENCH_HOST_LATENCY", "0.05"))


def _wait(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.005)
    raise RuntimeError("the outbox did not drain in time")


def bench_host_writes(env: dict) -> dict:
    """Start the fake host and one worker, run both measurements, stop the worker."""
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from reviews.hostoutbox import host_sync_mark
    from reviews.models import Change, Engineer, HostConnection, HostSyncState, Repository
    from reviews.services.signoff import review_submit
    from tests.hostsync.fakehosts import FakeGitHub

    fake = FakeGitHub()
    worker_env = {
        **env,
        "PORTAL_GITHUB_APP_ID": fake.app_id,
        "PORTAL_GITHUB_APP_PRIVATE_KEY": fake.private_key,
        "PORTAL_BASE_URL": "https://countersign.example",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=worker_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        repository = Repository.objects.create(
            name=f"bench/shop-{int(time.time())}", provider="github", clone_url=f"{fake.base}/bench/shop.git"
        )
        HostConnection.objects.create(repository=repository, installation_id=1)
        users = [User.objects.create(username=f"hostbench-{n}-{time.time_ns()}") for n in range(2)]
        author = Engineer.objects.create(
            user=users[0], display_name="Jun", email=f"{users[0].username}@x.example", level=3
        )
        senior = Engineer.objects.create(
            user=users[1], display_name="Sen", email=f"{users[1].username}@x.example", level=7
        )
        changes = [
            Change(
                repository=repository,
                external_id=f"pr:{n}",
                number=n,
                title=f"Change {n}",
                head_sha=f"{n:040x}",
                author=author,
                opened_at=timezone.now(),
                review_state="needs_sign_off",
                required_sign_offs=1,
                ai_assisted=True,
                diff_state="done",
                diff_sha=f"{n:040x}",
            )
            for n in range(1, CHANGES + 1)
        ]
        Change.objects.bulk_create(changes)
        changes = list(Change.objects.filter(repository=repository).order_by("number"))
        fake.switch.latency = LATENCY
        started = time.monotonic()
        with transaction.atomic():
            for change in changes:
                host_sync_mark(change_id=change.pk, reason="bench")
        dirty = HostSyncState.objects.filter(repository=repository)
        _wait(lambda: not any(r.is_dirty for r in dirty.only("generation", "sent_generation")), 600)
        seconds = time.monotonic() - started
        writes = len(fake.writes())

        latencies = []
        for change in changes[:VERDICTS]:
            t0 = time.monotonic()
            review_submit(
                change=change,
                reviewer=senior,
                verdict="approve",
                head_sha=change.head_sha,
                seconds_spent=120,
                confirm_fast=True,
            )
            _wait(lambda c=change: (fake.shown(c.head_sha) or {}).get("conclusion") == "success", 60)
            latencies.append(time.monotonic() - t0)
        latencies.sort()
        return {
            "changes": CHANGES,
            "writes": writes,
            "seconds": seconds,
            "writes_per_second": writes / seconds,
            "verdicts": len(latencies),
            "p50": statistics.median(latencies),
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
            "duplicates": len(fake.comments) - CHANGES,
            "violations": len(fake.violations),
            "latency_ms": LATENCY * 1000,
        }
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        fake.close()


def report_host_writes(host: dict) -> None:
    """Print the host-write figures."""
    print(f"  host writes through the outbox, 1 worker, fake GitHub answering in {host['latency_ms']:.0f} ms:")
    print(
        f"    {host['changes']} changes: {host['writes']} writes in {host['seconds']:.2f} s, "
        f"{host['writes_per_second']:.1f} writes/s ({host['duplicates']} duplicates, {host['violations']} refused)"
    )
    print(
        f"    verdict to host, {host['verdicts']} verdicts one at a time: p50 {host['p50'] * 1000:.0f} ms, "
        f"p99 {host['p99'] * 1000:.0f} ms (target p99 <= 2000 ms)"
    )
