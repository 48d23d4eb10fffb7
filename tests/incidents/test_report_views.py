"""The weekly report's pages (incidents.report_views): roles, htmx partials, freezing, exports, query counts."""

from __future__ import annotations

import io
import re
import uuid

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import Incident, IncidentChangeLink, WeeklyReport
from insights.services import facts_refresh
from reviews.models import AuditEvent, Review
from tests.incidents.report_data import WEEK, make_change, make_incident, seed_week

# Session, user, navigation (engineer and two counts), the reader's roles, the report, its revisions and the
# recent reports: the snapshot holds everything else, whatever the number of incidents.
REPORT_PAGE_MAX_QUERIES = 10
HTMX = {"HTTP_HX_REQUEST": "true"}
CHART_ID = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f-]{27}")


@pytest.fixture
def week(db, repository, make_engineer):
    return seed_week(repository, make_engineer)


@pytest.fixture
def reviewer(make_engineer):
    return make_engineer(6, username="ines", is_incident_reviewer=True)


@pytest.fixture
def users(make_engineer, reviewer):
    staff = make_engineer(5, username="stella")
    staff.user.is_staff = True
    staff.user.save()
    return {
        "engineer": make_engineer(5, username="eve").user,
        "manager": make_engineer(6, username="rosa", is_manager=True).user,
        "reviewer": reviewer.user,
        "staff": staff.user,
    }


def draft(client, user) -> WeeklyReport:
    """Draft through the page, then build as the worker would (the worker path has its own test)."""
    client.force_login(user)
    response = client.post("/incidents/reports/weekly/draft/", {"week": WEEK})
    assert response.status_code == 302
    report = WeeklyReport.objects.get(week=WEEK, status="draft")
    assert response.url == f"/incidents/reports/{report.pk}/"
    return services.weekly_report_build(report_id=report.pk)


# --- roles ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [("engineer", 403), ("manager", 200), ("reviewer", 200), ("staff", 200)])
def test_reading_the_report_and_its_exports_by_role(client, week, users, role, status):
    report = draft(client, users["reviewer"])
    client.force_login(users[role])

    for url in (
        "/incidents/reports/weekly/?week=2026-W47",
        f"/incidents/reports/{report.pk}/",
        f"/incidents/reports/{report.pk}/status/",
        f"/incidents/reports/{report.pk}/export.md",
    ):
        response = client.get(url)
        assert response.status_code in ((status, 302) if url.endswith("/status/") else (status,)), url


@pytest.mark.parametrize(
    ("role", "allowed"), [("engineer", False), ("manager", False), ("reviewer", True), ("staff", True)]
)
def test_drafting_editing_finalising_and_revising_by_role(client, week, users, role, allowed):
    client.force_login(users[role])
    response = client.post("/incidents/reports/weekly/draft/", {"week": WEEK})
    assert response.status_code == (302 if allowed else 403)
    report = WeeklyReport.objects.filter(week=WEEK).first() or services.weekly_report_draft(actor=None, week=WEEK)
    services.weekly_report_build(report_id=report.pk)

    saved = client.post(f"/incidents/reports/{report.pk}/narrative/", {"summary": f"by {role}"})
    confirm = client.get(f"/incidents/reports/{report.pk}/finalise/")
    final = client.post(f"/incidents/reports/{report.pk}/finalise/")
    report.refresh_from_db()
    if not allowed:
        services.weekly_report_finalise(actor=None, report=report)
    revise = client.post(f"/incidents/reports/{report.pk}/revise/")

    codes = [saved.status_code, confirm.status_code, final.status_code, revise.status_code]
    assert codes == ([302, 200, 302, 302] if allowed else [403, 403, 403, 403])
    report.refresh_from_db()
    assert (report.summary == f"by {role}") is allowed
    assert WeeklyReport.objects.filter(week=WEEK, revision=2).exists() is allowed


def test_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get("/incidents/reports/1/")

    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


# --- the page and its partials --------------------------------------------------------------------------


def test_week_without_a_report_offers_a_draft_to_reviewers_only(client, week, users):
    client.force_login(users["reviewer"])
    body = client.get("/incidents/reports/weekly/", {"week": WEEK}).content.decode()
    assert "Draft the report" in body and "Checkout charges the wrong tax" in body

    client.force_login(users["manager"])
    body = client.get("/incidents/reports/weekly/", {"week": WEEK}).content.decode()
    assert "Draft the report" not in body and "Checkout charges the wrong tax" in body


def test_drafted_report_shows_its_figures_and_review_record(client, week, users):
    report = draft(client, users["reviewer"])

    response = client.get("/incidents/reports/weekly/", {"week": WEEK})

    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["report"] == report
    for expected in (
        "Revision 1",
        "Checkout charges the wrong tax",
        "Search is slow",
        "Rewrite tax rounding",
        "Ada",
        "AI-assisted",
        'Grace <span class="muted">(41 s)</span>',
        "Rubber stamp",
        "size: warn",
        "Canary the checkout",  # overdue
        "Add a tax rounding test",  # opened
        "<svg",
        "Table view: Incidents by severity",
        "Change failure rate",
        "Review pipeline health",
        "Team of the week",
        "Finalise",
    ):
        assert expected in body, expected
    assert "Last week&#x27;s outage" not in body and "Last week's outage" not in body


def test_progress_partial_polls_while_building_and_reloads_the_page_when_done(client, week, users):
    client.force_login(users["reviewer"])
    report = services.weekly_report_draft(actor=None, week=WEEK)  # queued, no worker yet
    WeeklyReport.objects.filter(pk=report.pk).update(build_state="running", progress=40, step="Charts")

    page = client.get(f"/incidents/reports/{report.pk}/").content.decode()
    fragment = client.get(f"/incidents/reports/{report.pk}/status/", **HTMX)

    assert 'hx-trigger="every 1s"' in page
    body = fragment.content.decode()
    assert fragment.status_code == 200 and 'id="report-status"' in body and "<html" not in body
    assert "40%" in body and "Charts" in body

    WeeklyReport.objects.filter(pk=report.pk).update(build_state="queued")
    services.weekly_report_build(report_id=report.pk)
    done = client.get(f"/incidents/reports/{report.pk}/status/", **HTMX)
    assert done.headers["HX-Refresh"] == "true"


def test_narrative_editor_and_save_as_htmx_partials_render_sanitised_markdown(client, week, users):
    report = draft(client, users["reviewer"])

    editor = client.get(f"/incidents/reports/{report.pk}/narrative/", **HTMX)
    saved = client.post(
        f"/incidents/reports/{report.pk}/narrative/",
        {"summary": "**Calm** week <script>alert('x')</script>", "highlights": "[bad](javascript:alert(1))"},
        **HTMX,
    )

    assert 'id="report-narrative"' in editor.content.decode() and "<textarea" in editor.content.decode()
    body = saved.content.decode()
    assert saved.status_code == 200 and 'id="report-narrative"' in body and "<html" not in body
    assert "<strong>Calm</strong>" in body
    assert "<script>alert" not in body and "javascript:" not in body
    assert AuditEvent.objects.filter(action="weekly_report.edited").count() == 1


def test_narrative_too_long_is_a_400_with_the_reason(client, week, users):
    report = draft(client, users["reviewer"])

    response = client.post(f"/incidents/reports/{report.pk}/narrative/", {"summary": "x" * 20001}, **HTMX)

    assert response.status_code == 400
    assert "at most 20000 characters" in response.content.decode()


def test_bad_input_gets_a_clear_4xx(client, week, users):
    client.force_login(users["reviewer"])
    report = draft(client, users["reviewer"])

    bad_week = client.post("/incidents/reports/weekly/draft/", {"week": "2026-W99"})
    no_week = client.post("/incidents/reports/weekly/draft/", {})
    assert (bad_week.status_code, no_week.status_code) == (400, 400)
    assert "2026 has no week 99" in bad_week.content.decode()
    assert client.get(f"/incidents/reports/{report.pk}/export.docx").status_code == 400
    assert client.get("/incidents/reports/999999/").status_code == 404
    assert client.get("/incidents/reports/999999/export.pdf").status_code == 404
    assert client.get("/incidents/reports/weekly/", {"week": "2026-W60"}).status_code == 400


def test_finalising_a_report_still_building_is_refused(client, week, users):
    client.force_login(users["reviewer"])
    report = services.weekly_report_draft(actor=None, week=WEEK)

    response = client.post(f"/incidents/reports/{report.pk}/finalise/")

    assert response.status_code == 409 and "not built yet" in response.content.decode()


# --- freezing -------------------------------------------------------------------------------------------


def test_final_report_page_and_exports_do_not_change_when_the_data_does(client, week, users):
    report = draft(client, users["reviewer"])
    client.post(f"/incidents/reports/{report.pk}/narrative/", {"summary": "One SEV1 from a rewrite."})
    client.post(f"/incidents/reports/{report.pk}/finalise/")

    def exports() -> dict[str, str]:
        # pygal gives each drawing a fresh element id; everything else must be identical.
        return {
            fmt: CHART_ID.sub("chart", client.get(f"/incidents/reports/{report.pk}/export.{fmt}").content.decode())
            for fmt in ("html", "md")
        }

    before = exports()
    page_before = client.get(f"/incidents/reports/{report.pk}/").content.decode()
    Incident.objects.filter(pk=week.incident.pk).update(title="Renamed afterwards")
    Review.objects.filter(change=week.change).update(seconds_spent=999, rubber_stamp=False)
    late = make_incident("Added after finalising", hours=50)
    IncidentChangeLink.objects.create(
        incident=late, change=make_change(week.change.repository, week.author), state="confirmed"
    )

    assert exports() == before
    page = client.get(f"/incidents/reports/{report.pk}/").content.decode()
    assert "Checkout charges the wrong tax" in page and "(41 s)" in page
    assert "Renamed afterwards" not in page and "Added after finalising" not in page and "(999 s)" not in page
    assert page.count("<svg") == page_before.count("<svg")
    pdf = pypdf.PdfReader(io.BytesIO(client.get(f"/incidents/reports/{report.pk}/export.pdf").content))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert "Renamed afterwards" not in text and "Added after finalising" not in text
    edit = client.post(f"/incidents/reports/{report.pk}/narrative/", {"summary": "rewritten"})
    assert edit.status_code == 403 and "frozen" in edit.content.decode()
    assert "Edit the narrative" not in page and "New revision" in page


def test_new_revision_shows_the_history_and_supersedes_once_final(client, week, users):
    report = draft(client, users["reviewer"])
    client.post(f"/incidents/reports/{report.pk}/finalise/")
    response = client.post(f"/incidents/reports/{report.pk}/revise/")
    second = WeeklyReport.objects.get(revision=2)
    assert response.url == f"/incidents/reports/{second.pk}/"
    services.weekly_report_build(report_id=second.pk)

    client.post(f"/incidents/reports/{second.pk}/finalise/")
    old = client.get(f"/incidents/reports/{report.pk}/").content.decode()
    current = client.get("/incidents/reports/weekly/", {"week": WEEK}).content.decode()

    assert "This revision was superseded" in old and "See revision 2" in old
    assert "Revision 2" in current and "Revision 1" in current and "Superseded" in current


# --- exports --------------------------------------------------------------------------------------------


def test_pdf_export_renders_the_incident_titles_and_charts(client, week, users):
    report = draft(client, users["reviewer"])

    response = client.get(f"/incidents/reports/{report.pk}/export.pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="weekly-report-2026-W47-r1.pdf"' in response["Content-Disposition"]
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Checkout charges the wrong tax" in text and "Search is slow" in text
    assert "Rewrite tax rounding" in text and "Incidents by severity" in text


def test_a_pdf_is_drawn_once_per_content_and_again_after_an_edit(client, week, users, monkeypatch):
    from incidents.report import export as report_export
    from incidents.report import pdf

    report = draft(client, users["reviewer"])
    drawn = []
    real = pdf.draw_pdf

    def counting(html: str) -> bytes:
        drawn.append(html[:20])
        return real(html)

    monkeypatch.setattr(pdf, "draw_pdf", counting)
    report.summary = f"First cut {uuid.uuid4()}"  # content no earlier test drew
    report.save(update_fields=["summary"])
    first = report_export.report_pdf(report)
    again = report_export.report_pdf(report)
    assert first == again and len(drawn) == 1

    report.summary += " and a second thought"
    report.save(update_fields=["summary"])
    assert report_export.report_pdf(report) != first and len(drawn) == 2


def test_a_server_that_cannot_draw_pdfs_says_so_with_503(client, week, users, monkeypatch):
    import sys

    report = draft(client, users["reviewer"])
    monkeypatch.setitem(sys.modules, "incidents.report.pdf", None)  # as if WeasyPrint could not load Pango

    response = client.get(f"/incidents/reports/{report.pk}/export.pdf")

    assert response.status_code == 503 and b"Pango" in response.content
    assert client.get(f"/incidents/reports/{report.pk}/export.md").status_code == 200


def test_markdown_and_print_exports(client, week, users):
    report = draft(client, users["reviewer"])

    md = client.get(f"/incidents/reports/{report.pk}/export.md")
    html = client.get(f"/incidents/reports/{report.pk}/export.html")

    assert md["Content-Type"].startswith("text/markdown")
    assert "# Weekly operations report 2026-W47" in md.content.decode()
    page = html.content.decode()
    assert page.startswith("<!doctype html>") and "incidents/report.css" in page and "<svg" in page
    assert "Checkout charges the wrong tax" in page


def test_export_before_the_build_is_a_409(client, week, users):
    client.force_login(users["reviewer"])
    report = services.weekly_report_draft(actor=None, week=WEEK)

    assert client.get(f"/incidents/reports/{report.pk}/export.pdf").status_code == 409


# --- query counts ---------------------------------------------------------------------------------------


def test_report_page_query_count_does_not_grow_with_incidents(client, week, users, django_assert_max_num_queries):
    client.force_login(users["reviewer"])

    def page_queries(extra_incidents: int) -> int:
        for n in range(extra_incidents):
            incident = make_incident(f"Extra outage {n}", hours=10 + n)
            change = make_change(week.change.repository, week.author, ai_assisted=True)
            IncidentChangeLink.objects.create(incident=incident, change=change, state="confirmed")
        WeeklyReport.objects.all().delete()
        report = services.weekly_report_draft(actor=None, week=WEEK)
        report = services.weekly_report_build(report_id=report.pk)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/incidents/reports/weekly/", {"week": WEEK})
        assert response.status_code == 200
        assert response.content.decode().count("Extra outage") >= extra_incidents
        return len(ctx.captured_queries)

    assert page_queries(0) == page_queries(8)
    with django_assert_max_num_queries(REPORT_PAGE_MAX_QUERIES):
        client.get("/incidents/reports/weekly/", {"week": WEEK})


def test_build_query_count_does_not_grow_with_incidents(week, django_assert_max_num_queries):
    def build_queries(extra: int) -> int:
        for n in range(extra):
            incident = make_incident(f"More {n}", hours=5 + n)
            change = make_change(week.change.repository, week.author)
            IncidentChangeLink.objects.create(incident=incident, change=change, state="confirmed")
        WeeklyReport.objects.all().delete()
        report = services.weekly_report_draft(actor=None, week=WEEK)
        # The build first brings the dashboards' facts up to date; the very first refresh reads everything
        # (other queries than the incremental ones), so both measured builds refresh incrementally.
        facts_refresh()
        with CaptureQueriesContext(connection) as ctx:
            services.weekly_report_build(report_id=report.pk)
        return len(ctx.captured_queries)

    assert build_queries(0) == build_queries(10)


def test_a_build_done_before_the_page_shows_leaves_no_building_banner(client, week, users, monkeypatch):
    # Where tasks run in-process, the build is over before the redirect is followed.
    from incidents.services import report as report_services

    monkeypatch.setattr(
        report_services, "_enqueue_build", lambda r: report_services.weekly_report_build(report_id=r.pk)
    )
    client.force_login(users["reviewer"])

    response = client.post("/incidents/reports/weekly/draft/", {"week": WEEK}, follow=True)

    body = response.content.decode()
    assert "Draft built in" in body and "Checkout charges the wrong tax" in body
    assert "Building the report" not in body and 'hx-trigger="every 1s"' not in body
    assert f"Built the report of {WEEK}, revision 1." in body


def test_the_report_pages_mark_the_weekly_report_in_the_navigation(client, week, users):
    report = draft(client, users["reviewer"])

    for url in ("/incidents/reports/weekly/", f"/incidents/reports/{report.pk}/"):
        body = client.get(url, {"week": WEEK}).content.decode()
        assert re.search(r'<a href="/incidents/reports/weekly/" aria-current="page">Weekly report</a>', body), url
        assert not re.search(r'aria-current="page">Incidents</a>', body), url
