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

from incidents.models import Incident, IncidentChangeLink, SuspectModel
from reviews.models import AuditEvent, Change, Deployment, Review, Service

# Session, user, the navigation's engineer and two counts, the reader's roles, the week's report (none) and
# the recent reports, then the incidents, their services, their links with changes and authors, and the
# changes' reviews with reviewers.
WEEKLY_REPORT_MAX_QUERIES = 13

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
    client.force_login(make_engineer(5, is_manager=True).user)

    response = client.get("/incidents/reports/weekly/", {"week": "2026-W47"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "2026-W47" in body
    assert "Checkout returns 502" in body
    assert "Confirmed" in body
    assert "Retry payment calls" in body
    assert "Ada" in body
    assert "AI-assisted" in body
    assert 'Grace <span class="muted">(7 min)</span>' in body
    assert "Search is slow" not in body
    assert "Login loop" not in body


def test_weekly_report_says_when_a_linked_change_had_no_sign_off(client, repository, make_engineer):
    change = make_change(repository, make_engineer(4), ai_assisted=False)
    IncidentChangeLink.objects.create(incident=make_incident(), change=change)
    client.force_login(make_engineer(5, is_manager=True).user)

    body = client.get("/incidents/reports/weekly/", {"week": "2026-W47"}).content.decode()

    assert "no sign-off" in body
    assert "AI-assisted" not in body


def test_weekly_report_opens_on_the_last_finished_week(client, make_engineer):
    make_incident("Checkout returns 502", started_at=datetime(2026, 11, 17, 10, 0, tzinfo=UTC))
    make_incident("This week's outage", started_at=datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, tzinfo=UTC), tick=False):
        client.force_login(make_engineer(5, is_manager=True).user)
        response = client.get("/incidents/reports/weekly/")

    assert response.status_code == 200
    assert 'value="2026-W47"' in response.content.decode()
    assert "Checkout returns 502" in response.content.decode()
    assert "This week's outage" not in response.content.decode()


@pytest.mark.parametrize("week", ["garbage", "2026-W60", "2026-W00", "2026W47", "2026-W4", "0000-W01", "9999-W52"])
def test_weekly_report_rejects_a_malformed_or_impossible_week(client, make_engineer, week):
    client.force_login(make_engineer(5, is_manager=True).user)

    response = client.get("/incidents/reports/weekly/", {"week": week})

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_weekly_report_query_count_does_not_grow_with_incidents_and_links(
    client, repository, make_engineer, django_assert_max_num_queries
):
    author, senior = make_engineer(4), make_engineer(7)
    client.force_login(make_engineer(5, is_manager=True).user)
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


# --- the incident page: suspects, decisions, the review and its action items ----------------------------------


@pytest.fixture
def traced(repository, make_engineer):
    """An incident on checkout with two deployed suspects: a recent small change and an older large one."""
    checkout = Service.objects.create(name="checkout", repository=repository, path_prefixes=["checkout/"])
    author = make_engineer(4, username="june")
    incident = make_incident(started_at=datetime(2026, 11, 17, 10, 0, tzinfo=UTC))
    incident.services.add(checkout)
    suspects = []
    for n, (hours, lines) in enumerate([(1, 8), (20, 600)]):
        change = make_change(
            repository,
            author,
            title=f"Suspect {n}",
            merged_at=datetime(2026, 11, 17, 10, 0, tzinfo=UTC) - timedelta(hours=hours + 1),
            lines_added=lines,
            risk_score=0.3 + n * 0.4,
        )
        change.files.create(path="checkout/cart.py", status="modified", lines_added=lines)
        deployment = Deployment.objects.create(
            service=checkout,
            sha=change.head_sha,
            deployed_at=datetime(2026, 11, 17, 10, 0, tzinfo=UTC) - timedelta(hours=hours),
        )
        deployment.changes.add(change)
        suspects.append(change)
    return incident, suspects


def test_the_incident_page_ranks_suspects_with_their_evidence(client, traced, make_engineer):
    incident, (recent, large) = traced
    client.force_login(make_engineer(5).user)

    response = client.get(f"/incidents/{incident.pk}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="suspects"' in body
    # The change deployed an hour before outranks the large, risky one deployed 20 hours before: recency in the
    # affected paths weighs more than size and risk priors (which once let the larger change win).
    assert body.index("Suspect 0") < body.index("Suspect 1")
    assert "deployed to checkout 1 h before the start" in body
    assert "deployed to checkout 20 h before the start" in body
    assert "600 changed lines" in body
    # Only incident reviewers see the buttons.
    assert "Confirm</button>" not in body
    assert "Edit the review" not in body


def test_incident_reviewers_see_the_decision_buttons_and_the_editors(client, traced, incident_reviewer):
    incident, _ = traced
    client.force_login(incident_reviewer.user)

    body = client.get(f"/incidents/{incident.pk}/").content.decode()

    assert body.count("Confirm</button>") == 2
    assert body.count("Rule out</button>") == 2
    assert "Edit the review" in body
    assert "Add action item" in body
    assert "Add to timeline" in body


def test_the_incident_page_makes_a_fixed_number_of_queries(client, traced, incident_reviewer, repository):
    incident, _ = traced
    client.force_login(incident_reviewer.user)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/incidents/{incident.pk}/").status_code == 200
        return len(ctx.captured_queries)

    def add(n: int) -> None:
        change = make_change(repository, None, merged_at=datetime(2026, 11, 17, 8, n, tzinfo=UTC))
        change.files.create(path="checkout/pricing.py", status="modified")
        IncidentChangeLink.objects.create(incident=incident, change=change, state="confirmed")
        incident.action_items.create(title=f"Item {n}")
        incident.timeline.create(at=datetime(2026, 11, 17, 10, n, tzinfo=UTC), text=f"Step {n}")

    add(0)
    before = count()
    for n in range(1, 6):
        add(n)
    assert count() == before


def decide(client, incident, change, state="confirmed", reason="the deploy lines up", htmx=True):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(
        f"/incidents/{incident.pk}/suspects/{change.pk}/decide/", {"state": state, "reason": reason}, headers=headers
    )


def test_confirming_a_suspect_answers_htmx_with_the_suspects_and_the_changed_sections(
    client, traced, incident_reviewer
):
    incident, (recent, large) = traced
    client.force_login(incident_reviewer.user)

    response = decide(client, incident, large)

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<section class="card suspects" id="suspects"')
    assert 'id="links" hx-swap-oob="true"' in body
    assert 'id="coe" hx-swap-oob="true"' in body
    assert '<span class="state confirmed">Confirmed</span>' in body
    link = IncidentChangeLink.objects.get()
    assert (link.change, link.state, link.reason, link.decided_by) == (
        large,
        "confirmed",
        "the deploy lines up",
        incident_reviewer.user,
    )
    event = AuditEvent.objects.get(action="incident.link")
    assert (event.payload["to"], event.actor) == ("confirmed", incident_reviewer.user)


def test_ruling_out_without_htmx_redirects_back_to_the_suspects(client, traced, incident_reviewer):
    incident, (recent, _) = traced
    client.force_login(incident_reviewer.user)

    response = decide(client, incident, recent, state="ruled_out", htmx=False)

    assert response.status_code == 302
    assert response.url == f"/incidents/{incident.pk}/#suspects"
    assert IncidentChangeLink.objects.get().state == "ruled_out"


def test_a_decision_needs_a_reason(client, traced, incident_reviewer):
    incident, (recent, _) = traced
    client.force_login(incident_reviewer.user)

    response = decide(client, incident, recent, reason="")

    assert response.status_code == 400
    assert "Say why." in response.content.decode()
    assert not IncidentChangeLink.objects.exists()


@pytest.mark.parametrize("level", [4, 6, 8])
def test_engineers_who_are_not_incident_reviewers_cannot_decide(client, traced, make_engineer, level):
    incident, (recent, _) = traced
    client.force_login(make_engineer(level).user)

    assert decide(client, incident, recent).status_code == 403
    assert not IncidentChangeLink.objects.exists()
    assert not AuditEvent.objects.exists()


def test_deciding_on_an_unknown_incident_or_change_is_not_found(client, traced, incident_reviewer):
    incident, (recent, _) = traced
    client.force_login(incident_reviewer.user)

    assert (
        client.post(
            f"/incidents/999999/suspects/{recent.pk}/decide/", {"state": "confirmed", "reason": "x"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/incidents/{incident.pk}/suspects/999999/decide/", {"state": "confirmed", "reason": "x"}
        ).status_code
        == 404
    )


def test_the_suspects_fragment_renders_alone_for_htmx(client, traced, make_engineer):
    incident, _ = traced
    client.force_login(make_engineer(5).user)

    fragment = client.get(f"/incidents/{incident.pk}/suspects/", headers={"HX-Request": "true"}).content.decode()
    page = client.get(f"/incidents/{incident.pk}/suspects/").content.decode()

    assert 'id="suspects"' in fragment and "<html" not in fragment
    assert "<html" in page


def test_the_review_editor_saves_markdown_and_shows_it_sanitised(client, traced, incident_reviewer):
    incident, _ = traced
    client.force_login(incident_reviewer.user)

    editor = client.get(f"/incidents/{incident.pk}/coe/", headers={"HX-Request": "true"}).content.decode()
    response = client.post(
        f"/incidents/{incident.pk}/coe/",
        {
            "summary": "Checkout **double-charged** <script>alert(1)</script>",
            "customer_impact": "[details](javascript:alert(1)) and [runbook](https://runbooks.example/checkout)",
            "root_cause": "",
            "went_well": "",
            "went_wrong": "",
            "timeline": "",
        },
        headers={"HX-Request": "true"},
    )

    assert 'name="summary"' in editor and "<html" not in editor
    body = response.content.decode()
    assert response.status_code == 200
    assert "<strong>double-charged</strong>" in body
    assert "<script" not in body and "alert(1)</script>" not in body
    assert "javascript:" not in body
    assert '<a href="https://runbooks.example/checkout" rel="noopener noreferrer nofollow">runbook</a>' in body
    assert AuditEvent.objects.get(action="incident.coe_saved").payload == {"fields": ["summary", "customer_impact"]}


def test_five_whys_chains_are_added_edited_and_deleted(client, traced, incident_reviewer):
    incident, _ = traced
    client.force_login(incident_reviewer.user)
    url = f"/incidents/{incident.pk}/whys/"

    client.post(
        url, {"problem": "Tax was wrong", "why1": "Rate typo", "why2": "No test"}, headers={"HX-Request": "true"}
    )
    client.post(url, {"problem": "Paged late", "why1": "Alert threshold too high"}, headers={"HX-Request": "true"})
    chain = incident.why_chains.get(problem="Tax was wrong")
    client.post(
        f"{url}{chain.pk}/",
        {"problem": "Tax was wrong", "why1": "Rate typo", "why2": "No test", "why3": "AI wrote it unreviewed"},
    )
    client.post(f"{url}{incident.why_chains.get(problem='Paged late').pk}/", {"problem": "x", "delete": "1"})

    chain.refresh_from_db()
    assert chain.whys == ["Rate typo", "No test", "AI wrote it unreviewed"]
    assert list(incident.why_chains.values_list("problem", flat=True)) == ["Tax was wrong"]
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "AI wrote it unreviewed" in page


def test_a_chain_with_a_gap_is_refused(client, traced, incident_reviewer):
    incident, _ = traced
    client.force_login(incident_reviewer.user)

    response = client.post(
        f"/incidents/{incident.pk}/whys/",
        {"problem": "Tax", "why1": "", "why2": "skipped one"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 400
    assert "answer each why before the next" in response.content.decode()
    assert not incident.why_chains.exists()


def test_action_items_are_added_and_their_owner_may_close_them(client, traced, incident_reviewer, make_engineer):
    incident, _ = traced
    owner = make_engineer(5, username="olga")
    client.force_login(incident_reviewer.user)

    response = client.post(
        f"/incidents/{incident.pk}/actions/",
        {"title": "Add a tax rate test", "owner": owner.pk, "due_date": "2026-12-01"},
        headers={"HX-Request": "true"},
    )
    item = incident.action_items.get()
    client.force_login(owner.user)
    done = client.post(
        f"/incidents/{incident.pk}/actions/{item.pk}/", {"status": "done"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert 'id="action-items"' in response.content.decode()
    item.refresh_from_db()
    assert (item.title, item.owner, str(item.due_date), item.status) == (
        "Add a tax rate test",
        owner,
        "2026-12-01",
        "done",
    )
    assert item.completed_at is not None
    assert done.status_code == 200
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        "incident.action_item_added",
        "incident.action_item_updated",
    ]


def test_someone_else_cannot_change_an_action_item(client, traced, make_engineer):
    incident, _ = traced
    item = incident.action_items.create(title="Add a test", owner=make_engineer(5))
    client.force_login(make_engineer(7).user)

    assert client.post(f"/incidents/{incident.pk}/actions/{item.pk}/", {"status": "done"}).status_code == 403
    assert client.post(f"/incidents/{incident.pk}/actions/", {"title": "Mine now"}).status_code == 403
    item.refresh_from_db()
    assert item.status == "open"


def test_an_action_item_needs_a_title(client, traced, incident_reviewer):
    incident, _ = traced
    client.force_login(incident_reviewer.user)

    response = client.post(f"/incidents/{incident.pk}/actions/", {"title": ""}, headers={"HX-Request": "true"})

    assert response.status_code == 400
    assert not incident.action_items.exists()


def test_the_timeline_takes_new_entries_in_order(client, traced, incident_reviewer):
    incident, _ = traced
    client.force_login(incident_reviewer.user)
    url = f"/incidents/{incident.pk}/timeline/"

    client.post(url, {"at": "2026-11-17T10:30", "text": "Rolled back checkout"})
    response = client.post(url, {"at": "2026-11-17T10:05", "text": "Paged"}, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert body.index("Paged") < body.index("Rolled back checkout")
    assert list(incident.timeline.values_list("text", flat=True)) == ["Paged", "Rolled back checkout"]


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("timeline/", {"at": "2026-11-17T10:30", "text": "x"}),
        ("coe/", {"summary": "x"}),
        ("whys/", {"problem": "x"}),
        ("edit/", incident_post()),
    ],
)
def test_only_incident_reviewers_write_the_review(client, traced, make_engineer, url, data):
    incident, _ = traced
    client.force_login(make_engineer(8).user)

    assert client.post(f"/incidents/{incident.pk}/{url}", data).status_code == 403
    assert not AuditEvent.objects.exists()


def test_editing_an_incident_sets_its_fix_commit_and_status(client, traced, incident_reviewer, repository):
    incident, _ = traced
    client.force_login(incident_reviewer.user)
    checkout = incident.services.get()

    form = client.get(f"/incidents/{incident.pk}/edit/")
    response = client.post(
        f"/incidents/{incident.pk}/edit/",
        incident_post(
            services=[checkout.pk],
            status="mitigated",
            fix_sha="ABCDEF1234",
            repository=repository.pk,
            paths="checkout/\n",
        ),
    )

    assert form.status_code == 200
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.status, incident.fix_sha, incident.repository, incident.paths) == (
        "mitigated",
        "abcdef1234",
        repository,
        ["checkout/"],
    )
    assert "fix_sha" in AuditEvent.objects.get(action="incident.updated").payload["fields"]


def test_the_incident_page_stays_within_a_query_budget_with_a_stored_model_and_many_candidates(
    client, traced, incident_reviewer, repository, django_assert_max_num_queries
):
    incident, _ = traced
    client.force_login(incident_reviewer.user)
    SuspectModel.objects.create(weights={"size": 2.0}, trained_on=20, fitted=True)
    for n in range(40):
        change = make_change(repository, None, merged_at=datetime(2026, 10, 1 + n % 28, 8, n, tzinfo=UTC))
        change.files.create(path=f"checkout/m{n}.py", status="modified")

    with django_assert_max_num_queries(40):
        response = client.get(f"/incidents/{incident.pk}/")

    assert response.status_code == 200
    # Changes merged up to seven weeks before the start are suspects too: no seven-day look-back.
    assert response.content.decode().count('id="suspect-') == 42
