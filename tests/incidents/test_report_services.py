"""Writes of the weekly report (incidents.services.report): draft, build, edit, finalise, revise, e-mail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from incidents import services
from incidents.models import Incident, WeeklyReport
from incidents.services import report as report_services
from reviews.audit import NotAllowed, ServiceError
from reviews.models import AuditEvent, Review
from tests.incidents.report_data import WEEK, seed_week


@pytest.fixture
def queued(monkeypatch):
    """Tasks the services send once their transaction commits, recorded instead of published."""
    from incidents import tasks

    sent: list[tuple[str, tuple]] = []
    for name in ("weekly_report_build", "weekly_report_email", "weekly_report_pdf"):
        task = getattr(tasks, name)
        monkeypatch.setattr(task, "delay", lambda *args, _n=name: sent.append((_n, args)))
    return sent


@pytest.fixture
def week(db, repository, make_engineer):
    return seed_week(repository, make_engineer)


@pytest.fixture
def reviewer(make_engineer):
    return make_engineer(6, username="ines", is_incident_reviewer=True)


def built(actor, django_capture_on_commit_callbacks) -> WeeklyReport:
    with django_capture_on_commit_callbacks(execute=True):
        report = services.weekly_report_draft(actor=actor, week=WEEK)
    return services.weekly_report_build(report_id=report.pk)


def test_drafting_opens_a_queued_revision_audits_it_and_queues_its_build(
    week, reviewer, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.weekly_report_draft(actor=reviewer.user, week=" 2026-W47 ")

    assert (report.week, report.revision, report.status, report.build_state) == (WEEK, 1, "draft", "queued")
    assert report.starts_at == datetime(2026, 11, 16, tzinfo=UTC)
    assert queued == [("weekly_report_build", (report.pk,))]
    assert AuditEvent.objects.filter(action="weekly_report.drafted", target_id=str(report.pk)).count() == 1


@pytest.mark.parametrize("bad", ["2026-W60", "garbage", "9999-W52"])
def test_drafting_a_bad_week_is_refused_with_a_message(db, reviewer, bad):
    with pytest.raises(ServiceError):
        services.weekly_report_draft(actor=reviewer.user, week=bad)
    assert not WeeklyReport.objects.exists()


def test_build_freezes_incidents_causes_and_action_items_into_the_snapshot(
    week, reviewer, queued, django_capture_on_commit_callbacks
):
    report = built(reviewer.user, django_capture_on_commit_callbacks)

    snap = report.snapshot
    assert (report.build_state, report.progress, report.step) == ("done", 100, "")
    assert report.built_at is not None and report.build_seconds >= 0
    assert snap["incidents"]["count"] == 2  # last week's outage is not in this week
    assert snap["incidents"]["by_severity"] == {"SEV1": 1, "SEV2": 0, "SEV3": 1, "SEV4": 0}
    first = snap["incidents"]["rows"][0]
    assert (first["title"], first["minutes"]["detect"], first["minutes"]["resolve"]) == (
        "Checkout charges the wrong tax",
        6.0,
        95.0,
    )
    assert first["coe"] == "written"
    [cause] = snap["causes"]
    change = cause["change"]
    assert (change["title"], change["author"], change["ai_assisted"]) == (
        "Rewrite tax rounding",
        {"display_name": "Ada", "level": 4},
        True,
    )
    assert change["approvals"][0]["reviewer"] == {"display_name": "Grace"}
    assert (change["seconds"], change["rubber_stamp"], change["risk_score"]) == (41, True, 0.72)
    assert [g["name"] for g in change["gates"]] == ["size"]
    assert snap["actions"]["counts"] == {"opened": 1, "closed": 0, "overdue": 1}
    assert snap["charts"]["severity"]["series"][0]["values"] == [1.0, 0.0, 1.0, 0.0]
    assert set(snap["insights"]) == {"failure_trend", "pipeline", "team"}
    assert snap["insights"]["team"]["seed"] == WEEK  # the team of the week is seeded by the week
    assert AuditEvent.objects.filter(action="weekly_report.built").count() == 1


def test_build_reports_its_progress_step_by_step(week, reviewer, queued, monkeypatch):
    report = services.weekly_report_draft(actor=reviewer.user, week=WEEK)
    seen = []
    original = report_services._progress

    def spy(report_id, percent, step):
        original(report_id, percent, step)
        row = WeeklyReport.objects.get(pk=report_id)
        seen.append((row.build_state, row.progress, row.step))

    monkeypatch.setattr(report_services, "_progress", spy)
    services.weekly_report_build(report_id=report.pk)

    assert [s[0] for s in seen] == ["running"] * len(seen)
    assert [s[1] for s in seen] == sorted(s[1] for s in seen) and len(seen) >= 4
    assert seen[0][2] == "Incidents of the week"


def test_building_twice_does_no_harm(week, reviewer, queued, django_capture_on_commit_callbacks):
    report = built(reviewer.user, django_capture_on_commit_callbacks)

    again = services.weekly_report_build(report_id=report.pk)

    assert again.built_at == report.built_at
    assert AuditEvent.objects.filter(action="weekly_report.built").count() == 1
    assert services.weekly_report_build(report_id=999999) is None


def test_a_failed_build_records_its_error(week, reviewer, queued, monkeypatch):
    report = services.weekly_report_draft(actor=reviewer.user, week=WEEK)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("incidents.selectors.report.week_incidents", broken)
    report = services.weekly_report_build(report_id=report.pk)

    assert report.build_state == "failed"
    assert "the database went away" in report.error
    with pytest.raises(ServiceError, match="not built"):
        services.weekly_report_finalise(actor=reviewer.user, report=report)


def test_finalised_report_is_frozen_and_never_recomputed(week, reviewer, queued, django_capture_on_commit_callbacks):
    report = built(reviewer.user, django_capture_on_commit_callbacks)
    services.weekly_report_save(actor=reviewer.user, report=report, summary="One SEV1, caused by a rewrite.")
    report = services.weekly_report_finalise(actor=reviewer.user, report=report)
    frozen = dict(report.snapshot)

    Incident.objects.filter(pk=week.incident.pk).update(title="Renamed afterwards")
    Review.objects.filter(change=week.change).update(seconds_spent=999, rubber_stamp=False)
    Incident.objects.create(title="Late entry", severity="SEV1", started_at=report.starts_at)
    WeeklyReport.objects.filter(pk=report.pk).update(build_state="queued")
    services.weekly_report_build(report_id=report.pk)

    report.refresh_from_db()
    assert report.snapshot == frozen
    assert report.snapshot["incidents"]["rows"][0]["title"] == "Checkout charges the wrong tax"
    assert (report.status, report.finalised_by, report.summary) == (
        "final",
        reviewer.user,
        "One SEV1, caused by a rewrite.",
    )
    with pytest.raises(NotAllowed, match="final"):
        services.weekly_report_save(actor=reviewer.user, report=report, summary="rewritten")
    with pytest.raises(ServiceError, match="already final"):
        services.weekly_report_finalise(actor=reviewer.user, report=report)
    with pytest.raises(ServiceError, match="new revision"):
        services.weekly_report_draft(actor=reviewer.user, week=WEEK)
    assert AuditEvent.objects.filter(action="weekly_report.finalised", target_id=str(report.pk)).count() == 1


def test_a_new_revision_supersedes_the_final_one_once_it_is_finalised(
    week, reviewer, queued, django_capture_on_commit_callbacks
):
    first = built(reviewer.user, django_capture_on_commit_callbacks)
    services.weekly_report_save(actor=reviewer.user, report=first, decisions="Add a canary")
    first = services.weekly_report_finalise(actor=reviewer.user, report=first)

    with django_capture_on_commit_callbacks(execute=True):
        second = services.weekly_report_revise(actor=reviewer.user, report=first)
    assert services.weekly_report_revise(actor=reviewer.user, report=first) == second  # one open draft at a time
    assert (second.revision, second.status, second.supersedes, second.decisions) == (2, "draft", first, "Add a canary")
    first.refresh_from_db()
    assert first.status == "final"  # until the new revision is final

    services.weekly_report_build(report_id=second.pk)
    second = services.weekly_report_finalise(actor=reviewer.user, report=second)

    first.refresh_from_db()
    assert (first.status, second.status) == ("superseded", "final")
    assert AuditEvent.objects.filter(action="weekly_report.superseded", target_id=str(first.pk)).count() == 1
    assert AuditEvent.objects.filter(action="weekly_report.revised", target_id=str(second.pk)).count() == 1
    with pytest.raises(ServiceError, match="only the final"):
        services.weekly_report_revise(actor=reviewer.user, report=first)


def test_drafting_a_week_with_an_open_draft_rebuilds_it(week, reviewer, queued, django_capture_on_commit_callbacks):
    report = built(reviewer.user, django_capture_on_commit_callbacks)
    Incident.objects.create(title="Late entry", severity="SEV4", started_at=report.starts_at)

    with django_capture_on_commit_callbacks(execute=True):
        again = services.weekly_report_draft(actor=reviewer.user, week=WEEK)
    assert (again.pk, again.build_state) == (report.pk, "queued")
    rebuilt = services.weekly_report_build(report_id=report.pk)

    assert rebuilt.snapshot["incidents"]["count"] == 3
    assert WeeklyReport.objects.count() == 1


def test_narrative_rejects_unknown_sections(week, reviewer, queued):
    report = services.weekly_report_draft(actor=reviewer.user, week=WEEK)

    with pytest.raises(ServiceError, match="no section"):
        services.weekly_report_save(actor=reviewer.user, report=report, title="x")


def test_beat_drafts_last_week_on_monday_morning_in_the_organisations_zone_once(
    week, queued, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_REPORT_TIME_ZONE = "Pacific/Auckland"
    # Monday 23 Nov 06:00 in Auckland is still Sunday 22 Nov in UTC: last week is 2026-W47 there.
    now = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)

    with django_capture_on_commit_callbacks(execute=True):
        report = services.weekly_report_draft_scheduled(now=now)
    assert report.week == "2026-W47" and report.time_zone == "Pacific/Auckland"
    assert report.starts_at == datetime(2026, 11, 15, 11, 0, tzinfo=UTC)  # Monday 00:00 in Auckland
    assert services.weekly_report_draft_scheduled(now=now) is None
    assert WeeklyReport.objects.count() == 1


def test_the_beat_task_drafts_the_previous_week(week, queued, django_capture_on_commit_callbacks):
    from incidents.tasks import weekly_report_draft

    with time_machine.travel(datetime(2026, 11, 23, 6, 0, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            result = weekly_report_draft()

    assert result == "drafted 2026-W47 r1"
    assert queued[0][0] == "weekly_report_build"


def test_finalising_mails_the_report_with_its_pdf_to_the_list_once(
    week, reviewer, queued, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_REPORT_RECIPIENTS = ["ops@example.com", "cto@example.com"]
    report = built(reviewer.user, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.weekly_report_finalise(actor=reviewer.user, report=report)
    assert ("weekly_report_email", (report.pk,)) in queued

    services.weekly_report_email(report_id=report.pk)
    services.weekly_report_email(report_id=report.pk)

    [message] = mail.outbox
    assert message.to == ["ops@example.com", "cto@example.com"]
    assert "2026-W47" in message.subject
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Checkout charges the wrong tax" in html and "<style>" in html
    name, pdf, pdf_type = message.attachments[0]
    assert (name, pdf_type) == ("weekly-report-2026-W47-r1.pdf", "application/pdf") and pdf.startswith(b"%PDF")
    report.refresh_from_db()
    assert report.emailed_at is not None
    assert AuditEvent.objects.filter(action="weekly_report.emailed").count() == 1


def test_without_a_list_a_worker_draws_the_final_pdf_ahead_of_its_first_download(
    week, reviewer, queued, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from incidents.report import export as report_export
    from incidents.report import pdf

    settings.PORTAL_REPORT_RECIPIENTS = []
    report = built(reviewer.user, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.weekly_report_finalise(actor=reviewer.user, report=report)
    assert ("weekly_report_pdf", (report.pk,)) in queued
    assert services.weekly_report_pdf_prepare(report_id=report.pk) > 1000

    monkeypatch.setattr(pdf, "draw_pdf", None)  # drawing again would fail: the download reads the cache
    assert report_export.report_pdf(WeeklyReport.objects.get(pk=report.pk)).startswith(b"%PDF")


def test_a_draft_pdf_is_not_prepared(week, reviewer):
    report = services.weekly_report_draft(actor=reviewer.user, week=WEEK)
    assert services.weekly_report_pdf_prepare(report_id=report.pk) == 0


def test_a_draft_is_never_mailed(week, reviewer, queued, settings):
    settings.PORTAL_REPORT_RECIPIENTS = ["ops@example.com"]
    report = services.weekly_report_draft(actor=reviewer.user, week=WEEK)

    services.weekly_report_email(report_id=report.pk)

    assert mail.outbox == []


@pytest.mark.parametrize(
    ("flags", "can_read", "can_edit"),
    [
        ({}, False, False),
        ({"is_manager": True}, True, False),
        ({"is_incident_reviewer": True}, True, True),
    ],
)
def test_who_reads_and_who_edits_reports(make_engineer, flags, can_read, can_edit):
    user = make_engineer(5, **flags).user

    assert (services.can_read_reports(user), services.can_edit_reports(user)) == (can_read, can_edit)


def test_staff_edit_reports(make_engineer):
    user = make_engineer(5).user
    user.is_staff = True

    assert services.can_edit_reports(user)
