"""Measurements that depend on the size of the organisation, against one generated database.

Run by bench/run.py once per size, with DATABASE_URL naming the generated database; prints one JSON object.
Times are server times in this process (Django's test client: the whole middleware stack and template
rendering, no network), each figure measured RUNS times after warm-up runs; SQL queries are counted apart.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
WARM = 2


def timed(fn: Callable[[], object], runs: int = RUNS, warm: int = WARM) -> list[float]:
    """Milliseconds of each of `runs` calls after `warm` unmeasured ones."""
    for _ in range(warm):
        fn()
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def queries(fn: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def _get(client, url: str) -> Callable[[], object]:
    def call() -> object:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    return call


def pages(results: dict) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from demo.generate.org import BENCH_SENIOR, ORG_ADMIN
    from reviews.models import Change

    users = get_user_model().objects
    senior, admin = Client(), Client()
    senior.force_login(users.get(username=BENCH_SENIOR))
    admin.force_login(users.get(username=ORG_ADMIN))
    queue = _get(senior, "/")
    results["queue_page"] = {"ms": timed(queue), "queries": queries(queue)}
    for external_id, name in (("bench-300", "change_page_300"), ("bench-5000", "change_page_5000")):
        change = Change.objects.get(external_id=external_id)
        page = _get(senior, f"/changes/{change.pk}/")
        results[name] = {"ms": timed(page), "queries": queries(page), "lines": change.lines_changed}
    end = timezone.localdate() + timedelta(days=1)
    period = f"start={(end - timedelta(days=90)).isoformat()}&end={end.isoformat()}"
    for section, path in (
        ("pipeline", ""),
        ("seniors", "seniors/"),
        ("quality", "quality/"),
        ("knowledge", "knowledge/"),
    ):
        page = _get(admin, f"/dashboards/{path}?{period}")
        results[f"dashboard_{section}"] = {"ms": timed(page), "queries": queries(page)}
    api(results, senior)


def api(results: dict, client) -> None:
    """The API's change list (filtered, cursor-paginated) and change detail."""
    from django.urls import reverse

    from reviews.models import Change

    list_url = reverse("api-changes")
    change = Change.objects.get(external_id="bench-300")
    listing = _get(client, f"{list_url}?state=open&ai_assisted=true")
    first = listing().json()
    following = first.get("next") if isinstance(first, dict) else None
    results["api_change_list"] = {"ms": timed(listing), "queries": queries(listing)}
    if following:
        nxt = _get(client, following)
        results["api_change_list_next_page"] = {"ms": timed(nxt), "queries": queries(nxt)}
    detail = _get(client, reverse("api-change", kwargs={"change_id": change.pk}))
    results["api_change_detail"] = {"ms": timed(detail), "queries": queries(detail)}


def weekly_report(results: dict) -> None:
    """The report of the week with the most incidents, built (snapshot) and drawn as PDF."""
    from django.db.models import Count
    from django.db.models.functions import TruncWeek

    from incidents.models import Incident, WeeklyReport
    from incidents.report.export import report_pdf
    from incidents.services.report import weekly_report_build, weekly_report_draft

    busiest = (
        Incident.objects.annotate(week=TruncWeek("started_at"))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by("-n", "-week")
        .first()
    )
    year, week, _ = busiest["week"].isocalendar()
    label = f"{year}-W{week:02d}"
    WeeklyReport.objects.filter(week=label).delete()

    def build() -> None:
        report = weekly_report_draft(actor=None, week=label, queue_build=False)
        weekly_report_build(report_id=report.pk)

    results["weekly_report_build"] = {"ms": timed(build, runs=max(3, RUNS // 2), warm=1), "week": label,
                                      "incidents": busiest["n"]}  # fmt: skip
    report = WeeklyReport.objects.get(week=label, status="draft")
    results["weekly_report_pdf"] = {"ms": timed(lambda: report_pdf(report), runs=3, warm=1)}


def suspects(results: dict) -> None:
    """Suspect ranking for the newest incident on the service with the most deployments."""
    from django.db.models import Count

    from incidents.models import Incident
    from incidents.services.ranking import incident_suspects
    from reviews.models import Service

    service = Service.objects.annotate(n=Count("deployments")).order_by("-n", "pk").first()
    incident = Incident.objects.filter(services=service).order_by("-started_at").first()
    rank = lambda: incident_suspects(incident=incident, limit=50)  # noqa: E731
    results["suspect_ranking"] = {
        "ms": timed(rank),
        "queries": queries(rank),
        "candidates": len(rank()),
        "deployments_of_service": service.n,
    }


def assignment(results: dict) -> None:
    """Assignment decisions per second through the production path (assignment.knowledge, read-only): the seniors'
    load and the history of a batch of the newest open changes read in five queries, then every pick; the
    latency of one change alone; and the pick alone (the scoring over every senior, the reads done)."""
    from django.conf import settings
    from django.utils import timezone

    from assignment.bandpick import knowing_candidate, pick_in_batch
    from assignment.expertise import assignment_candidates
    from assignment.knowledge import batch_picks, changes_knowledge, seniors_read
    from assignment.picking import pick_reviewer
    from reviews.models import Change, Engineer

    level = settings.PORTAL_SENIOR_LEVEL
    seniors = Engineer.objects.filter(level__gte=level).count()
    newest = list(Change.objects.filter(state="open").order_by("-opened_at")[:200])
    # A small organisation has fewer open changes than a batch of 200: the newest others fill it (same reads).
    newest += list(Change.objects.exclude(state="open").order_by("-opened_at")[: 200 - len(newest)])
    now = timezone.now()
    out: dict = {"seniors": seniors}
    for size in (20, 200):
        batch = newest[:size]
        if len(batch) < size:
            continue
        ms = timed(lambda batch=batch: batch_picks(batch, senior_level=level, now=now), runs=3, warm=1)
        out[f"per_second_batch_{size}"] = [size / (m / 1000) for m in ms]
        out[f"queries_batch_{size}"] = queries(lambda batch=batch: batch_picks(batch, senior_level=level, now=now))
    out["per_second"] = out.get("per_second_batch_200", [])  # the headline: what assign_waiting does
    one = newest[:1]
    out["single_ms"] = timed(lambda: batch_picks(one, senior_level=level, now=now), runs=7, warm=2)
    ready = seniors_read(senior_level=level, now=now)
    knowledge = changes_knowledge(newest[:20], now=now)
    picks = lambda: [pick_in_batch(ready, knowledge[c.pk], author_id=c.author_id) for c in newest[:20]]  # noqa: E731
    pure = timed(lambda: [picks() for _ in range(10)], runs=3, warm=1)
    out["pick_only_per_second"] = [200 / (m / 1000) for m in pure]
    # The rule scored over every senior as pick_reviewer does it (the reference the batch pick equals).
    first = newest[0]
    scored = [knowing_candidate(c, ready.keys[c.engineer_id], knowledge[first.pk]) for c in ready.by_id.values()]
    full = lambda: pick_reviewer(scored, author_id=first.author_id, touched_files=len(knowledge[first.pk].paths))  # noqa: E731
    out["pick_every_senior_per_second"] = [
        200 / (m / 1000) for m in timed(lambda: [full() for _ in range(200)], runs=3)
    ]

    # Before the batch reads: assignment_candidates (every senior as a model instance) and pick_reviewer per change.
    def one_by_one() -> None:
        for change in newest[:20]:
            candidates, touched = assignment_candidates(change, senior_level=level, now=now)
            pick_reviewer(candidates, author_id=change.author_id, senior_level=level, touched_files=touched)

    out["per_second_one_by_one"] = [20 / (m / 1000) for m in timed(one_by_one, runs=2, warm=1)]
    results["assignment_decisions"] = out


def rollup_refresh(results: dict) -> None:
    """Incremental refresh of the fact rollups after 1,000 new changes (each with a verdict); removed after."""
    from django.db import connection

    from insights.services.facts import facts_refresh
    from insights.services.figures import day_figures_refresh, fact_days

    facts_refresh()  # whatever earlier runs left
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(id) FROM reviews_change")
        top = cursor.fetchone()[0]
        columns = _change_columns()
        copied = columns.replace("external_id", "'bench-new-' || id")
        cursor.execute(  # fixed column names, no input
            f"INSERT INTO reviews_change ({columns}) SELECT {copied} FROM reviews_change"  # noqa: S608
            " WHERE state = 'merged' ORDER BY id DESC LIMIT 1000"
        )
        cursor.execute(
            "UPDATE reviews_change SET created_at = now(), updated_at = now() WHERE external_id LIKE 'bench-new-%%'"
        )
        cursor.execute(
            "INSERT INTO reviews_review (verdict, head_sha, seconds_spent, comment, ledger_hash, created_at, change_id,"
            " reviewer_id, source, confirmed_fast, files_total, files_viewed, rubber_stamp, host_review_id)"
            " SELECT 'approve', c.head_sha, 120, '', '', now(), c.id, 1 + (c.id %% 300), 'portal', false, 1, 1, false,"
            " ''"
            " FROM reviews_change c WHERE c.id > %s",
            [top],
        )
    started = time.perf_counter()
    done = facts_refresh()
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM reviews_change WHERE id > %s", [top])
        changes = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM reviews_review WHERE change_id > %s", [top])
        days = fact_days(changes, [row[0] for row in cursor.fetchall()])
        cursor.execute("DELETE FROM insights_reviewfact WHERE change_id > %s", [top])
        cursor.execute("DELETE FROM insights_changefact WHERE change_id > %s", [top])
        cursor.execute("DELETE FROM reviews_review WHERE change_id > %s", [top])
        cursor.execute("DELETE FROM reviews_change WHERE id > %s", [top])
    day_figures_refresh(days=days)  # the days the removed facts were counted on
    results["rollup_refresh_1000"] = {"ms": [seconds * 1000], "changes": done["changes"], "reviews": done["reviews"]}


def _change_columns() -> str:
    """Every stored column of a change but its id, read from the model so that a new column is copied too."""
    from reviews.models import Change

    return ", ".join(f.column for f in Change._meta.concrete_fields if not f.primary_key)


def _rss_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def through_gunicorn(results: dict) -> None:
    """The change page (300 lines) and the dashboards through one gunicorn sync worker on loopback, with the
    worker's peak memory after serving every dashboard."""
    import http.client
    import signal
    import subprocess

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from demo.generate.org import BENCH_SENIOR, ORG_ADMIN
    from reviews.models import Change

    def session_for(username: str) -> str:
        user = get_user_model().objects.get(username=username)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = next(b for b in settings.AUTHENTICATION_BACKENDS if "ModelBackend" in b)
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    port = int(os.environ.get("BENCH_PORT", "8765")) + 1
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--worker-class", "sync", "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, "ALLOWED_HOSTS": "127.0.0.1,localhost"},
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/accounts/login/")
                break
            except OSError:
                time.sleep(0.1)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def getter(path: str, session: str) -> Callable[[], object]:
            def call() -> object:
                conn.request("GET", path, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"})
                response = conn.getresponse()
                body = response.read()
                if response.status != 200:
                    raise RuntimeError(f"GET {path} through gunicorn answered {response.status}")
                return body

            return call

        senior, admin = session_for(BENCH_SENIOR), session_for(ORG_ADMIN)
        change = Change.objects.get(external_id="bench-300")
        results["change_page_300_gunicorn"] = {"ms": timed(getter(f"/changes/{change.pk}/", senior))}
        results["queue_page_gunicorn"] = {"ms": timed(getter("/", senior))}
        end = timezone.localdate() + timedelta(days=1)
        period = f"start={(end - timedelta(days=90)).isoformat()}&end={end.isoformat()}"
        for path in ("", "seniors/", "quality/", "knowledge/"):
            timed(getter(f"/dashboards/{path}?{period}", admin), runs=2, warm=0)
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        results["web_rss_dashboards"] = {"mb": [round(_rss_peak_mb(int(children[0])), 1)] if children else []}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from demo.generate.db import marker

    results: dict = {"database": marker()}
    which = os.environ.get("BENCH_ONLY", "")
    steps = [pages, through_gunicorn, weekly_report, suspects, assignment, rollup_refresh]
    for step in steps:
        if which and step.__name__ not in which.split(","):
            continue
        started = time.perf_counter()
        step(results)
        print(f"  {step.__name__}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    for value in results.values():
        if isinstance(value, dict):
            for key in value:
                if key.endswith(("ms", "per_second")) or key.startswith("per_second"):
                    value[key] = [round(v, 3) for v in value[key]]
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
