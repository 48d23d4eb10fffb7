"""Writes of the incidents app (incidents.services): validation, one link per change, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents import services
from incidents.models import Incident, IncidentChangeLink
from reviews.ledger import GENESIS_HASH
from reviews.models import AuditEvent, Change, Service
from reviews.services import ServiceError

START = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)


def make_change(repository, author, head_sha: str) -> Change:
    return Change.objects.create(
        repository=repository,
        external_id=head_sha,
        head_sha=head_sha,
        title=f"Change {head_sha[:7]}",
        author=author,
        state=Change.State.MERGED,
        opened_at=START - timedelta(days=2),
        merged_at=START - timedelta(days=1),
    )


def create(actor, **overrides) -> Incident:
    values = {"title": "Checkout returns 502", "severity": "SEV2", "started_at": START, "services": []}
    values.update(overrides)
    return services.incident_create(actor=actor, **values)


# --- incident_create ----------------------------------------------------------------------------


def test_incident_create_records_the_incident_its_services_and_an_audit_event(repository, make_engineer):
    actor = make_engineer(6).user
    checkout = Service.objects.create(name="checkout", repository=repository)

    incident = create(actor, title="  Checkout returns 502  ", services=[checkout], detected_at=START)

    assert incident.title == "Checkout returns 502"
    assert incident.status == Incident.Status.OPEN
    assert incident.created_by == actor
    assert list(incident.services.all()) == [checkout]
    event = AuditEvent.objects.get()
    assert (event.action, event.target_type, event.target_id) == (
        "incident.created",
        "incidents.incident",
        str(incident.pk),
    )
    assert event.actor == actor
    assert event.prev_hash == GENESIS_HASH


def test_incident_create_with_a_resolution_time_marks_it_resolved(make_engineer):
    incident = create(make_engineer(6).user, resolved_at=START + timedelta(hours=1))

    assert incident.status == Incident.Status.RESOLVED


@pytest.mark.parametrize("moment", ["detected_at", "resolved_at"])
def test_incident_create_rejects_a_time_before_the_start(make_engineer, moment):
    with pytest.raises(ServiceError, match="before the start"):
        create(make_engineer(6).user, **{moment: START - timedelta(minutes=1)})

    assert not Incident.objects.exists()
    assert not AuditEvent.objects.exists()


def test_incident_create_accepts_a_resolution_at_the_very_start(make_engineer):
    incident = create(make_engineer(6).user, resolved_at=START)

    assert incident.resolved_at == START


def test_incident_create_rejects_an_unknown_severity(make_engineer):
    with pytest.raises(ServiceError, match="unknown severity"):
        create(make_engineer(6).user, severity="SEV9")

    assert not Incident.objects.exists()


# --- incident_link_change -----------------------------------------------------------------------


def test_incident_link_change_keeps_one_link_per_incident_and_change(repository, make_engineer):
    first, second = make_engineer(6).user, make_engineer(6).user
    change = make_change(repository, make_engineer(4), "a" * 40)
    incident = create(first)

    services.incident_link_change(actor=first, incident=incident, change=change, state="suspected", reason="deployed")
    services.incident_link_change(actor=second, incident=incident, change=change, state="confirmed", reason="bisected")
    link = services.incident_link_change(actor=first, incident=incident, change=change, state="ruled_out")

    assert IncidentChangeLink.objects.count() == 1
    link.refresh_from_db()
    assert (link.state, link.reason, link.decided_by) == (IncidentChangeLink.State.RULED_OUT, "", first)


def test_incident_link_change_audits_every_decision_in_the_ledger(repository, make_engineer):
    actor = make_engineer(6).user
    change = make_change(repository, make_engineer(4), "a" * 40)
    incident = create(actor)

    for state in ("suspected", "confirmed", "confirmed", "ruled_out"):
        services.incident_link_change(actor=actor, incident=incident, change=change, state=state, reason=state)

    events = list(AuditEvent.objects.filter(action="incident.link").order_by("id"))
    assert [(e.payload["from"], e.payload["to"]) for e in events] == [
        (None, "suspected"),
        ("suspected", "confirmed"),
        ("confirmed", "confirmed"),
        ("confirmed", "ruled_out"),
    ]
    assert all(e.target_id == str(incident.pk) and e.payload["change_id"] == change.pk for e in events)
    chain = list(AuditEvent.objects.order_by("id"))
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(chain, chain[1:], strict=False))


def test_incident_link_change_links_several_changes_and_incidents_separately(repository, make_engineer):
    actor = make_engineer(6).user
    author = make_engineer(4)
    one, two = make_change(repository, author, "a" * 40), make_change(repository, author, "b" * 40)
    outage, slowdown = create(actor), create(actor, title="Search is slow")

    for incident, change in [(outage, one), (outage, two), (slowdown, one)]:
        services.incident_link_change(actor=actor, incident=incident, change=change, state="suspected")

    assert IncidentChangeLink.objects.count() == 3
    assert set(one.incident_links.values_list("incident__title", flat=True)) == {
        "Checkout returns 502",
        "Search is slow",
    }


def test_incident_link_change_rejects_an_unknown_state(repository, make_engineer):
    actor = make_engineer(6).user
    change = make_change(repository, make_engineer(4), "a" * 40)
    incident = create(actor)

    with pytest.raises(ServiceError, match="unknown link state"):
        services.incident_link_change(actor=actor, incident=incident, change=change, state="guilty")

    assert not IncidentChangeLink.objects.exists()
    assert not AuditEvent.objects.filter(action="incident.link").exists()


def test_incident_link_change_runs_in_a_fixed_number_of_queries(
    repository, make_engineer, django_assert_max_num_queries
):
    actor = make_engineer(6).user
    change = make_change(repository, make_engineer(4), "a" * 40)
    incident = create(actor)
    services.incident_link_change(actor=actor, incident=incident, change=change, state="suspected")

    with django_assert_max_num_queries(8):
        services.incident_link_change(actor=actor, incident=incident, change=change, state="confirmed")
