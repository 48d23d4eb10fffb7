"""The change page of a 2,000-line change: page bytes, server time and browser first paint.

    DATABASE_URL=postgres://.../scratch REDIS_URL=... DEBUG=false SECRET_KEY=x PORTAL_DATA_DIR=/tmp/x \
        python bench/diffpage.py

Builds (once per run, in a scratch database it migrates) a git repository whose branch changes 2,000 lines in
20 files of Go, Terraform, YAML and Python and a 300-line lock file, pulls it through intake as the worker does,
then asks for the change page as a senior: bytes of the HTML, server time in this process (Django's test client:
the whole middleware stack and rendering, no network; median of RUNS after warm-up) and queries. With BENCH_BROWSER=true
(default) Chromium loads the same page, its requests answered by the same client, and the first contentful paint
and the number of files rendered at first are reported (BENCH_SCREENSHOTS=folder also saves the page at 1440 and
390 px wide). Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
BROWSER = os.environ.get("BENCH_BROWSER", "true") == "true"
SCREENSHOTS = os.environ.get("BENCH_SCREENSHOTS", "")  # a folder: the page at 1440 and 390 px wide is saved there
CHROMIUM = "/usr/bin/chromium"


def _git(cwd: Path, *args: str) -> None:
    env = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": str(cwd), "PATH": "/usr/bin:/bin"}
    env.update(
        {
            f"GIT_{who}_{what}": value
            for who in ("AUTHOR", "COMMITTER")
            for what, value in (("NAME", "Ada"), ("EMAIL", "ada@example.com"), ("DATE", "2026-11-02T10:00:00+00:00"))
        }
    )
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def go_file(lines: int) -> str:
    out = ["package api", "", 'import (\n\t"context"\n\t"fmt"\n)', ""]
    n = 0
    while len(out) < lines - 6:
        out += [
            f"// handle{n} answers request {n}.",
            f"func handle{n}(ctx context.Context, id int) (string, error) {{",
            f"\tif id < {n} {{",
            f'\t\treturn "", fmt.Errorf("id %d below {n}", id)',
            "\t}",
            f'\treturn fmt.Sprintf("item-%d", id+{n}), nil',
            "}",
            "",
        ]
        n += 1
    return "\n".join(out[: lines - 1]) + "\n}\n"


def tf_file(lines: int) -> str:
    out = []
    n = 0
    while len(out) < lines:
        out += [
            f'resource "aws_s3_bucket" "logs_{n}" {{',
            f'  bucket = "acme-logs-{n}"',
            '  tags = { team = "core" }',
            "}",
            "",
        ]
        n += 1
    return "\n".join(out[:lines]) + "\n"


def yaml_file(lines: int) -> str:
    out = ["replicas: 3", "services:"]
    n = 0
    while len(out) < lines:
        out += [f"  - name: worker-{n}", f"    port: {8000 + n}", "    enabled: true  # on by default"]
        n += 1
    return "\n".join(out[:lines]) + "\n"


def py_file(lines: int, n: int) -> str:
    body = [f'"""Module {n}."""', "", f"def compute_{n}(value: int) -> int:"]
    body += [f"    value += {i}  # step {i}" for i in range(lines - 4)]
    return "\n".join(body + ["    return value"]) + "\n"


def lock_file(lines: int) -> str:
    return "".join(f"github.com/acme/mod{n} v1.{n}.0 h1:{'x' * 40}=\n" for n in range(lines))


FILES = {
    "go.sum": lock_file(300),
    "api/handler.go": go_file(1200),
    "api/handler_test.go": go_file(300),
    "infra/main.tf": tf_file(200),
    "deploy/values.yaml": yaml_file(150),
    **{f"pkg/mod_{n:02d}.py": py_file(10, n) for n in range(15)},
}


def build_change():
    """A repository with one open branch adding FILES (2,000 lines), pulled through intake; the Change."""
    from intake.services.diffs import change_pull_diff
    from intake.services.repositories import repository_import, repository_register
    from reviews.models import Change, Repository

    name = "bench/diffpage"
    Repository.objects.filter(name=name).delete()
    work = Path(tempfile.mkdtemp(prefix="diffpage-"))
    _git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("# bench\n")
    _git(work, "add", "README.md")
    _git(work, "commit", "-q", "-m", "Initial import")
    _git(work, "checkout", "-q", "-b", "feature/big")
    for path, content in FILES.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(content)
        _git(work, "add", "--", path)
    _git(work, "commit", "-q", "-m", "A 2,000-line change")
    _git(work, "checkout", "-q", "main")
    repository = repository_register(name=name, url=str(work))
    repository_import(repository=repository)
    change = Change.objects.get(repository=repository, state=Change.State.OPEN)
    change_pull_diff(change_id=change.pk)
    return Change.objects.get(pk=change.pk)


def senior_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    from reviews.models import Engineer, Team

    user, _ = get_user_model().objects.get_or_create(username="bench-senior")
    team, _ = Team.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    Engineer.objects.get_or_create(
        user=user, defaults={"display_name": "Bench Senior", "email": "bench@example.com", "level": 7, "team": team}
    )
    client = Client()
    client.force_login(user)
    return client


def server_figures(client, url: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        client.get(url)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return {
        "page_bytes": len(response.content),
        "server_ms_median": round(statistics.median(times), 1),
        "server_ms_min": round(min(times), 1),
        "queries": len(captured),
    }


def browser_figures(client, url: str) -> dict:
    """First contentful paint and what the page shows first, in Chromium; requests answered by `client`."""
    from playwright.sync_api import sync_playwright

    base = "http://bench.invalid"

    def answer(route) -> None:
        request = route.request
        path = request.url[len(base) :]
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("hx-")}
        response = client.get(path, headers=headers)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        route.fulfill(status=response.status_code, headers=dict(response.items()), body=body)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = chromium.new_page(viewport={"width": 1440, "height": 900})
        page.route(f"{base}/**", answer)
        paints = []
        for _ in range(3):
            page.goto(base + url, wait_until="load")
            paints.append(
                page.evaluate(
                    "performance.getEntriesByType('paint').filter(e => e.name === 'first-contentful-paint')"
                    ".map(e => e.startTime)[0] || null"
                )
            )
        rendered = page.locator(".diff-file table.diff").count()
        height = page.evaluate("document.documentElement.scrollHeight")
        if SCREENSHOTS:
            for width in (1440, 390):
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(base + url, wait_until="load")
                page.wait_for_timeout(500)
                page.screenshot(path=str(Path(SCREENSHOTS) / f"diffpage-{width}.png"))
                page.locator("#files").scroll_into_view_if_needed()
                page.wait_for_timeout(800)
                page.screenshot(path=str(Path(SCREENSHOTS) / f"diffpage-{width}-files.png"))
        chromium.close()
    paints = [p for p in paints if p is not None]
    return {
        "first_paint_ms_median": round(statistics.median(paints), 1) if paints else None,
        "files_rendered_at_load": rendered,
        "page_height_px": height,
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("PORTAL_SSL_REDIRECT", "false")
    os.environ.setdefault("PORTAL_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    change = build_change()
    client = senior_client()
    url = f"/changes/{change.pk}/"
    result = {
        "change_lines": change.lines_added + change.lines_removed,
        "files": change.files.count(),
        **server_figures(client, url),
    }
    if BROWSER:
        result.update(browser_figures(client, url))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
