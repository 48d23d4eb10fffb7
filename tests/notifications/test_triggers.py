"""The notifications that are not the review's own hand-overs: deadlines, re-routing, incidents, the weekly report."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from assignment.services.queue import engineer_set_away
from incidents.models import Incident, WeeklyReport
from incidents.services.records import incident_link_change
from incidents.services.report import weekly_report_finalise
from notifications.services.deadlines import deadlines_scan
from reviews.models import Assignment, Notification, NotificationKind
from reviews.services.signoff import review_submit
from tests.reviews.test_views import HEAD


def told(engineer, kind) -> list[Notification]:
    return list(Notification.objects.filter(recipient=engineer, kind=kind))


def test_a_review_due_soon_reminds_the_senior_once_and_an_overdue_one_goes_to_the_teams_manager(org, settings):
    settings.PORTAL_NOTIFY_DUE_SOON_HOURS = 4
    assignment = Assignment.objects.get(change=org.change)
    assignment.due_at = timezone.now() + timedelta(hours=3)
    assignment.save()

    assert deadlines_scan() == {"due_soon": 1, "overdue": 0}
    assert deadlines_scan() == {"due_soon": 0, "overdue": 0}  # told once
    assert len(told(org.senior, NotificationKind.DUE_SOON)) == 1

    with time_machine.travel(timezone.now() + timedelta(hours=4)):
        assert deadlines_scan() == {"due_soon": 0, "overdue": 1}
    (escalation,) = told(org.manager, NotificationKind.OVERDUE)
    assert escalation.action_url == f"/assignments/{assignment.pk}/reroute/" and escalation.action_label == "Re-route"


def test_the_managers_one_click_re_route_moves_the_review_and_tells_the_senior(org, client):
    assignment = Assignment.objects.get(change=org.change)
    url = f"/assignments/{assignment.pk}/reroute/"
    client.force_login(org.author.user)
    assert client.post(url).status_code == 403
    client.force_login(org.manager.user)
    assert "Re-route this review?" in client.get(url).content.decode()

    assert client.post(url).status_code == 302

    assert Assignment.objects.get(change=org.change, state="active").reviewer == org.other
    assert len(told(org.senior, NotificationKind.REROUTED)) == 1
    assert len(told(org.other, NotificationKind.ASSIGNED)) == 1
    assert client.post(url).status_code == 302  # a second click: already moved, said so, nothing breaks


def test_going_away_re_routes_the_queue_and_tells_the_senior_where_it_went(org):
    engineer_set_away(engineer=org.senior, away=True, actor=org.senior.user)

    (notice,) = told(org.senior, NotificationKind.REROUTED)
    assert "is away" in notice.body
    assert Assignment.objects.get(change=org.change, state="active").reviewer == org.other


def test_a_suspect_or_confirmed_change_tells_its_author_and_signers_with_the_evidence(org):
    review_submit(change=org.change, reviewer=org.senior, verdict="approve", head_sha=HEAD, seconds_spent=300)
    incident = Incident.objects.create(title="Checkout errors", severity="SEV2", started_at=timezone.now())

    incident_link_change(
        actor=None, incident=incident, change=org.change, state="suspected", reason="deployed 20 min before"
    )
    incident_link_change(actor=None, incident=incident, change=org.change, state="suspected", reason="again")
    incident_link_change(
        actor=None, incident=incident, change=org.change, state="confirmed", reason="the fix reverts it"
    )

    for person in (org.author, org.senior):
        (suspect,) = told(person, NotificationKind.SUSPECT)
        assert "Why: deployed 20 min before" in suspect.details and suspect.url == f"/incidents/{incident.pk}/"
        assert len(told(person, NotificationKind.CONFIRMED)) == 1
    assert told(org.other, NotificationKind.SUSPECT) == []


def test_a_finalised_weekly_report_is_announced_to_managers_and_incident_reviewers(org, make_engineer):
    reviewer = make_engineer(5, username="ines", is_incident_reviewer=True)
    now = timezone.now()
    report = WeeklyReport.objects.create(
        week="2026-W45", starts_at=now, ends_at=now, time_zone="UTC", build_state="done", built_at=now
    )

    weekly_report_finalise(actor=None, report=report)

    assert [n.url for n in told(reviewer, NotificationKind.REPORT)] == [f"/incidents/reports/{report.pk}/"]
    assert len(told(org.manager, NotificationKind.REPORT)) == 1
    assert told(org.author, NotificationKind.REPORT) == []
