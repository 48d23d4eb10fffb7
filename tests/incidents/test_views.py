"""HTML views of the incidents app (incidents.views): recording, linking and the weekly report."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident, IncidentChangeLink
from reviews.models import AuditEvent, Change, Review, Service

# Session, user, the navigation's engineer and two counts, then the incidents, their services,
# their links with changes and authors, and the changes' reviews with reviewers.
WEEKLY_REPORT_MAX_QUERIES = 9

_ids = itertools.count(1)


def sha_of(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 - a stand-in commit id, not security


def make_change(repository, author, **fields) -> Change:
    n = next(_ids)
    values = {
        "repository": repository,
        "external_id": sha_of(f"change {n}"),
        "head_sha": sha_of(f"change {n}"),
        "title": f"Retry payment calls, part {n}",
        "author": author,
        "state": Change.State.MERGED,
        "review_state": Change.ReviewState.APPROVED,
        "diff_state": Change.DiffState.DONE,
        "required_sign_offs": 1,
        "opened_at": datetime(2026, 11, 10, 9, 0, tzinfo=UTC),
        "merged_at": datetime(2026, 11, 12, 9, 0, tzinfo=UTC),
    }
    values.update(fields)
    return Change.objects.create(**values)


def make_incident(title: str = "Checkout errors", *, started_at: datetime | None = None, **fields) -> Incident:
    return Incident.objects.create(
        title=title,
        severity=fields.pop("severity", Incident.Severity.SEV2),
        started_at=started_at or datetime(2026, 11, 17, 10, 0, tzinfo=UTC),
        **fields,
    )


def approve(change: Change, reviewer, seconds: int) -> Review:
    return Review.objects.create(
        change=change,
        reviewer=reviewer,
        verdict=Review.Verdict.APPROVE,
        head_sha=change.head_sha,
        seconds_spent=seconds,
        created_at=datetime(2026, 11, 11, 15, 0, tzinfo=UTC),
    )


@pytest.fixture
def incident_reviewer(make_engineer):
    return make_engineer(6, username="ivy", is_incident_reviewer=True)


def incident_post(**overrides) -> dict:
    data = {
        "title": "Checkout returns 502",
        "severity": "SEV2",
        "started_at": "2026-11-17T10:15",
        "detected_at": "2026-11-17T10:20",
        "resolved_at": "2026-11-17T11:05",
        "summary": "Payment retries stormed the gateway.",
    }
    data.update(overrides)
    return data


# --- login and roles ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/incidents/", "/incidents/new/", "/incidents/1/", "/incidents/reports/weekly/"])
def test_anonymous_visitor_is_sent_to_the_login_page(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}"


def test_incident_list_shows_incidents_to_any_engineer_without_the_record_button(client, make_engineer):
    make_incident("Checkout errors")
    client.force_login(make_engineer(4).user)

    response = client.get("/incidents/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Checkout errors" in body
    assert "Record an incident" not in body


def test_incident_list_offers_incident_reviewers_to_record_one(client, incident_reviewer):
    client.force_login(incident_reviewer.user)

    assert "Record an incident" in client.get("/incidents/").content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_engineer_who_is_not_an_incident_reviewer_cannot_record_an_incident(client, make_engineer, method):
    client.force_login(make_engineer(8).user)

    response = getattr(client, method)("/incidents/new/", incident_post())

    assert response.status_code == 403
    assert not Incident.objects.exists()
    assert not AuditEvent.objects.exists()


def test_superuser_without_engineer_profile_may_record_an_incident(client, db):
    admin = get_user_model().objects.create_superuser(username="root", password="pw-for-tests-only")
    client.force_login(admin)

    response = client.get("/incidents/new/")

    assert response.status_code == 200
    assert 'name="title"' in response.content.decode()


# --- recording an incident ----------------------------------------------------------------------


def test_incident_reviewer_records_an_incident(client, repository, incident_reviewer):
    checkout = Service.objects.create(name="checkout", repository=repository, path_prefixes=["checkout/"])
    client.force_login(incident_reviewer.user)

    response = client.post("/incidents/new/", incident_post(services=[checkout.pk]))

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response.url == f"/incidents/{incident.pk}/"
    assert incident.title == "Checkout returns 502"
    assert incident.severity == Incident.Severity.SEV2
    assert incident.started_at == datetime(2026, 11, 17, 10, 15, tzinfo=UTC)
    assert incident.resolved_at == datetime(2026, 11, 17, 11, 5, tzinfo=UTC)
    assert incident.status == Incident.Status.RESOLVED
    assert incident.created_by == incident_reviewer.user
    assert list(incident.services.all()) == [checkout]
    event = AuditEvent.objects.get()
    assert (event.action, event.target_id, event.actor) == (
        "incident.created",
        str(incident.pk),
        incident_reviewer.user,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"title": ""}, "This field is required.", id="missing title"),
        pytest.param({"resolved_at": "2026-11-17T09:00"}, "Must not be before the start.", id="resolved before start"),
        pytest.param({"detected_at": "2026-11-17T09:00"}, "Must not be before the start.", id="detected before start"),
        pytest.param({"started_at": "yesterday-ish"}, "Enter a valid date/time.", id="garbage datetime"),
        pytest.param({"started_at": ""}, "This field is required.", id="missing start"),
        pytest.param({"severity": "SEV9"}, "Select a valid choice.", id="unknown severity"),
        pytest.param({"services": ["999999"]}, "Select a valid choice.", id="unknown service"),
    ],
)
def test_invalid_incident_is_rejected_with_the_form_and_nothing_stored(client, incident_reviewer, change, message):
    client.force_login(incident_reviewer.user)

    response = client.post("/incidents/new/", incident_post(**change))

    body = response.content.decode()
    assert response.status_code == 400
    assert '<form method="post"' in body
    assert message in body
    assert not Incident.objects.exists()
    assert not AuditEvent.objects.exists()


# --- linking changes ----------------------------------------------------------------------------


def test_incident_reviewer_links_a_change_by_repository_and_sha_prefix(client, repository, make_engineer):
    reviewer = make_engineer(6, is_incident_reviewer=True)
    change = make_change(repository, make_engineer(4))
    incident = make_incident()
    client.force_login(reviewer.user)
    url = f"/incidents/{incident.pk}/links/"

    confirmed = client.post(
        url, {"repository": repository.name, "sha": change.head_sha[:10], "state": "confirmed", "reason": "retry storm"}
    )
    ruled_out = client.post(
        url, {"repository": repository.name, "sha": change.head_sha[:7].upper(), "state": "ruled_out"}
    )

    assert confirmed.status_code == ruled_out.status_code == 302
    assert confirmed.url == f"/incidents/{incident.pk}/"
    link = IncidentChangeLink.objects.get()
    assert (link.incident, link.change, link.state) == (incident, change, IncidentChangeLink.State.RULED_OUT)
    assert link.decided_by == reviewer.user
    events = AuditEvent.objects.filter(action="incident.link").order_by("id")
    assert [(e.payload["from"], e.payload["to"]) for e in events] == [(None, "confirmed"), ("confirmed", "ruled_out")]
    assert all(e.payload["change_id"] == change.pk and e.actor == reviewer.user for e in events)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Ruled out" in page
    assert change.title in page


@pytest.mark.parametrize(
    "sha",
    [
        pytest.param(sha_of("never committed")[:12], id="unknown sha"),
        pytest.param("zzzzzzzz", id="not hexadecimal"),
    ],
)
def test_linking_an_unknown_sha_is_rejected_with_a_message(client, repository, incident_reviewer, make_engineer, sha):
    make_change(repository, make_engineer(4))
    incident = make_incident()
    client.force_login(incident_reviewer.user)

    response = client.post(
        f"/incidents/{incident.pk}/links/", {"repository": repository.name, "sha": sha, "state": "confirmed"}
    )

    assert response.status_code == 400
    assert "No single change of that repository has this SHA." in response.content.decode()
    assert not IncidentChangeLink.objects.exists()
    assert not AuditEvent.objects.exists()


def test_linking_an_ambiguous_sha_prefix_is_rejected(client, repository, incident_reviewer, make_engineer):
    author = make_engineer(4)
    make_change(repository, author, head_sha="abcdef1" + "0" * 33)
    make_change(repository, author, head_sha="abcdef1" + "1" * 33)
    incident = make_incident()
    client.force_login(incident_reviewer.user)

    response = client.post(
        f"/incidents/{incident.pk}/links/", {"repository": repository.name, "sha": "abcdef1", "state": "suspected"}
    )

    assert response.status_code == 400
    assert not IncidentChangeLink.objects.exists()


def test_linking_with_an_unknown_repository_or_state_is_rejected(client, repository, incident_reviewer, make_engineer):
    change = make_change(repository, make_engineer(4))
    incident = make_incident()
    client.force_login(incident_reviewer.user)
    url = f"/incidents/{incident.pk}/links/"

    unknown_repository = client.post(url, {"repository": "acme/other", "sha": change.head_sha, "state": "confirmed"})
    unknown_state = client.post(url, {"repository": repository.name, "sha": change.head_sha, "state": "guilty"})

    assert unknown_repository.status_code == unknown_state.status_code == 400
    assert not IncidentChangeLink.objects.exists()


def test_engineer_who_is_not_an_incident_reviewer_cannot_link_a_change(client, repository, make_engineer):
    change = make_change(repository, make_engineer(4))
    incident = make_incident()
    client.force_login(make_engineer(8).user)

    response = client.post(
        f"/incidents/{incident.pk}/links/",
        {"repository": repository.name, "sha": change.head_sha, "state": "confirmed"},
    )

    assert response.status_code == 403
    assert not IncidentChangeLink.objects.exists()
    assert not AuditEvent.objects.exists()


def test_linking_to_an_unknown_incident_is_not_found(client, repository, incident_reviewer, make_engineer):
    change = make_change(repository, make_engineer(4))
    client.force_login(incident_reviewer.user)

    response = client.post(
        "/incidents/999999/links/", {"repository": repository.name, "sha": change.head_sha, "state": "confirmed"}
    )

    assert response.status_code == 404


# --- the weekly report --------------------------------------------------------------------------


def test_weekly_report_lists_the_weeks_incidents_with_their_review_record(client, repository, make_engineer):
    author = make_engineer(4, username="ada")
    senior = make_engineer(7, username="grace")
    change = make_change(repository, author, title="Retry payment calls", ai_assisted=True)
    approve(change, senior, seconds=420)
    this_week = make_incident("Checkout returns 502", started_at=datetime(2026, 11, 17, 10, 0, tzinfo=UTC))
    IncidentChangeLink.objects.create(incident=this_week, change=change, state=IncidentChangeLink.State.CONFIRMED)
    make_incident("Search is slow", started_at=datetime(2026, 11, 15, 23, 59, tzinfo=UTC))
    make_incident("Login loop", started_at=datetime(2026, 11, 23, 0, 0, tzinfo=UTC))
    client.force_login(make_engineer(5).user)

    response = client.get("/incidents/reports/weekly/", {"week": "2026-W47"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "2026-W47" in body
    assert "Checkout returns 502" in body
    assert "Confirmed" in body
    assert "Retry payment calls" in body
    assert "Ada" in body
    assert "AI-assisted" in body
    assert 'Grace <span class="muted">(420 s)</span>' in body
    assert "Search is slow" not in body
    assert "Login loop" not in body


def test_weekly_report_says_when_a_linked_change_had_no_sign_off(client, repository, make_engineer):
    change = make_change(repository, make_engineer(4), ai_assisted=False)
    IncidentChangeLink.objects.create(incident=make_incident(), change=change)
    client.force_login(make_engineer(5).user)

    body = client.get("/incidents/reports/weekly/", {"week": "2026-W47"}).content.decode()

    assert "no sign-off" in body
    assert "AI-assisted" not in body


def test_weekly_report_defaults_to_the_current_week(client, make_engineer):
    make_incident("Checkout returns 502", started_at=datetime(2026, 11, 17, 10, 0, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 11, 19, 12, 0, tzinfo=UTC), tick=False):
        client.force_login(make_engineer(5).user)
        response = client.get("/incidents/reports/weekly/")

    assert response.status_code == 200
    assert "2026-W47" in response.content.decode()
    assert "Checkout returns 502" in response.content.decode()


@pytest.mark.parametrize("week", ["garbage", "2026-W60", "2026-W00", "2026W47", "2026-W4", "0000-W01", "9999-W52"])
def test_weekly_report_rejects_a_malformed_or_impossible_week(client, make_engineer, week):
    client.force_login(make_engineer(5).user)

    response = client.get("/incidents/reports/weekly/", {"week": week})

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_weekly_report_query_count_does_not_grow_with_incidents_and_links(
    client, repository, make_engineer, django_assert_max_num_queries
):
    author, senior = make_engineer(4), make_engineer(7)
    client.force_login(make_engineer(5).user)
    checkout = Service.objects.create(name="checkout", repository=repository)

    def report_with(incidents: int, links_each: int) -> int:
        while Incident.objects.count() < incidents:
            offset = timedelta(hours=3 * Incident.objects.count())
            incident = make_incident(started_at=datetime(2026, 11, 16, 8, 0, tzinfo=UTC) + offset)
            incident.services.add(checkout)
            for _ in range(links_each):
                change = make_change(repository, author, ai_assisted=True)
                approve(change, senior, seconds=300)
                IncidentChangeLink.objects.create(incident=incident, change=change)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/incidents/reports/weekly/", {"week": "2026-W47"})
        assert response.status_code == 200
        assert response.content.decode().count("AI-assisted") == incidents * links_each
        return len(ctx.captured_queries)

    assert report_with(incidents=1, links_each=3) == report_with(incidents=6, links_each=3)
    with django_assert_max_num_queries(WEEKLY_REPORT_MAX_QUERIES):
        client.get("/incidents/reports/weekly/", {"week": "2026-W47"})
