"""Diff work figures for bench/run.py: the worker's diff service in stages, and a worker's peak memory on a big diff."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _git(cwd: Path, *args: str, env: dict | None = None) -> str:
    base = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "HOME": str(cwd), "PATH": os.environ["PATH"]}
    base.update(env or {})
    return subprocess.run(["git", *args], cwd=cwd, env=base, check=True, capture_output=True, text=True).stdout.strip()


def diff_stages(change, runs: int, raw_diff: Callable[[], object]) -> dict:  # noqa: ANN001 - a Change
    """The issue's figure, pull and parse through the worker path (intake.services.diffs: git, then the files with
    their patches, counts and patch id) against the raw `git diff` of the same change on the same mirror, the two
    taken in turn so that both see the same load; AI detection apart; and the git processes one pull starts (the
    first pull of a mirror in a worker process also starts the two it keeps for the next ones)."""
    import intake.gitrun as gitrun
    from intake.ai_detection import detect_ai
    from intake.services import diffs

    spawned = []
    popen = gitrun.subprocess.Popen

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - a pass-through spy
        spawned.append(args[0][3] if len(args[0]) > 3 else args[0])
        return popen(*args, **kwargs)

    gitrun.subprocess.Popen = counting
    try:
        gitrun.close_git_services()
        diffs._pull(change)  # the first pull of a mirror in a worker process starts the git processes it keeps
        first = list(spawned)
        spawned.clear()
        diffs._pull(change)
    finally:
        gitrun.subprocess.Popen = popen
    stages: dict[str, list[float]] = {"pull_parse_ms": [], "raw_git_diff_ms": [], "ai_ms": []}
    for _ in range(runs):
        began = time.perf_counter()
        raw_diff()
        pulling = time.perf_counter()
        pulled = diffs._pull(change)
        diffs._files(pulled)
        detecting = time.perf_counter()
        detect_ai([c["message"] for c in pulled.commits], [c["author_email"] for c in pulled.commits])
        done = time.perf_counter()
        stages["raw_git_diff_ms"].append((pulling - began) * 1000)
        stages["pull_parse_ms"].append((detecting - pulling) * 1000)
        stages["ai_ms"].append((done - detecting) * 1000)
    medians = {k: statistics.median(v) for k, v in stages.items()}
    ratio = medians["pull_parse_ms"] / medians["raw_git_diff_ms"]
    return {**medians, "ratio": ratio, "git_processes": spawned, "git_processes_first_pull": first}


def bench_worker_rss(path: Path, env: dict) -> dict:
    """Peak RSS of a fresh worker process that pulls, parses and stores a 20 MB diff (the task's service)."""
    path.mkdir(parents=True)
    _git(path, "init", "-q", "-b", "main")
    ident = {"GIT_AUTHOR_NAME": "B", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "B",
             "GIT_COMMITTER_EMAIL": "b@example.com"}  # fmt: skip
    files, lines = 40, 10_000
    for i in range(files):
        (path / f"big/file_{i:02d}.py").parent.mkdir(parents=True, exist_ok=True)
        (path / f"big/file_{i:02d}.py").write_text("".join(f"value_{n:06d} = compute({n})\n" for n in range(lines)))
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "base", env=ident)
    base = _git(path, "rev-parse", "HEAD")
    _git(path, "checkout", "-q", "-b", "feature/big")
    for i in range(files):
        (path / f"big/file_{i:02d}.py").write_text("".join(f"value_{n:06d} = faster({n})\n" for n in range(lines)))
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "Rewrite everything", env=ident)
    head = _git(path, "rev-parse", "HEAD")
    _git(path, "update-ref", "refs/pull/2/head", head)  # where the worker fetches a pull request's head from
    size = len(_git(path, "diff", base, head).encode())
    # The peak of this process alone (VmHWM): ru_maxrss keeps the high-water mark of the process it was forked from,
    # so after the other figures it reported the bench's own size (236 MB) instead of the worker's (200 MB).
    script = (
        "import django, json, pathlib\n"
        "django.setup()\n"
        "from intake.services.diffs import change_pull_diff\n"
        "from intake.services.repositories import repository_register\n"
        "from reviews.models import Change\n"
        f"repository = repository_register(name='bench/big', url={str(path)!r}, provider='github')\n"
        "Change.objects.filter(repository=repository).delete()\n"
        f"change = Change.objects.create(repository=repository, external_id='pr:2', number=2, title='big', "
        f"head_sha={head!r}, base_sha={base!r}, target_branch='main', state='open', "
        "opened_at='2026-11-20T10:00:00Z')\n"
        "change_pull_diff(change_id=change.pk)\n"
        "change.refresh_from_db()\n"
        "peak = next(line for line in pathlib.Path('/proc/self/status').read_text().splitlines()"
        " if line.startswith('VmHWM:'))\n"
        "print(json.dumps({'rss_mb': int(peak.split()[1]) / 1024,"
        " 'truncated': change.diff_truncated, 'lines': change.lines_changed,"
        " 'state': change.diff_state, 'error': change.diff_error[:300]}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "diff_mb": size / 1e6}
