"""PagerDuty v3 webhooks: signatures, payload shapes from PagerDuty's documentation, dedupe, and what they do."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.models import Incident, PagerDutyService, PagerDutyWebhookSecret, TimelineEntry
from incidents.pagerduty import PayloadError, parse_event, severity_for, verify_signature
from reviews.models import AuditEvent, Delivery, Service

SECRET = "pd-secret-for-tests"
URL = "/webhooks/pagerduty/"

# The documented incident.priority_updated example, trimmed of nothing.
INCIDENT_DATA = {
    "id": "PGR0VU2",
    "type": "incident",
    "self": "https://api.pagerduty.com/incidents/PGR0VU2",
    "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2",
    "number": 2,
    "status": "triggered",
    "incident_key": "d3640fbd41094207a1c11e58e46b1662",
    "created_at": "2020-04-09T15:16:27Z",
    "title": "A little bump in the road",
    "service": {
        "html_url": "https://acme.pagerduty.com/services/PF9KMXH",
        "id": "PF9KMXH",
        "self": "https://api.pagerduty.com/services/PF9KMXH",
        "summary": "API Service",
        "type": "service_reference",
    },
    "assignees": [
        {
            "html_url": "https://acme.pagerduty.com/users/PTUXL6G",
            "id": "PTUXL6G",
            "self": "https://api.pagerduty.com/users/PTUXL6G",
            "summary": "User 123",
            "type": "user_reference",
        }
    ],
    "escalation_policy": {
        "html_url": "https://acme.pagerduty.com/escalation_policies/PUS0KTE",
        "id": "PUS0KTE",
        "self": "https://api.pagerduty.com/escalation_policies/PUS0KTE",
        "summary": "Default",
        "type": "escalation_policy_reference",
    },
    "teams": [
        {
            "html_url": "https://acme.pagerduty.com/teams/PFCVPS0",
            "id": "PFCVPS0",
            "self": "https://api.pagerduty.com/teams/PFCVPS0",
            "summary": "Engineering",
            "type": "team_reference",
        }
    ],
    "priority": {
        "html_url": "https://acme.pagerduty.com/account/incident_priorities",
        "id": "PSO75BM",
        "self": "https://api.pagerduty.com/priorities/PSO75BM",
        "summary": "P1",
        "type": "priority_reference",
    },
    "urgency": "high",
    "conference_bridge": {"conference_number": "+1 1234123412,,987654321#", "conference_url": "https://example.com"},
    "resolve_reason": None,
}
AGENT = {
    "html_url": "https://acme.pagerduty.com/users/PLH1HKV",
    "id": "PLH1HKV",
    "self": "https://api.pagerduty.com/users/PLH1HKV",
    "summary": "Tenex Engineer",
    "type": "user_reference",
}
NOTE_DATA = {
    "incident": {
        "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2",
        "id": "PGR0VU2",
        "self": "https://api.pagerduty.com/incidents/PGR0VU2",
        "summary": "A little bump in the road",
        "type": "incident_reference",
    },
    "id": "P2LA89X",
    "content": "I sure am glad we are using PagerDuty!",
    "trimmed": False,
    "type": "incident_note",
}


def event(event_type: str, occurred_at: str = "2020-04-09T15:20:00.000Z", **data_changes) -> dict:
    data = copy.deepcopy(NOTE_DATA if event_type == "incident.annotated" else INCIDENT_DATA)
    data.update(data_changes)
    return {
        "event": {
            "id": f"01{event_type}{occurred_at}",
            "event_type": event_type,
            "resource_type": "incident",
            "occurred_at": occurred_at,
            "agent": AGENT,
            "client": {"name": "PagerDuty"},
            "data": data,
        }
    }


def sign(body: bytes, secret: str = SECRET) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(client, payload, *, webhook_id: str = "wh-1", signature: str | None = None, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"HTTP_X_WEBHOOK_ID": webhook_id} if webhook_id else {}
    headers["HTTP_X_PAGERDUTY_SIGNATURE"] = sign(body) if signature is None else signature
    return client.post(URL, data=body, content_type="application/json", **headers)


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.PORTAL_PAGERDUTY_WEBHOOK_SECRET = SECRET


@pytest.fixture
def client(db, client):
    """Every request here reaches the database."""
    return client


@pytest.fixture
def api_service(repository) -> Service:
    return Service.objects.create(name="api service", repository=repository, path_prefixes=["services/api/"])


# --- signatures (pure) ---------------------------------------------------------------------------------------------


def test_a_v1_signature_of_the_raw_body_is_accepted():
    body = b'{"event": {}}'

    assert verify_signature([SECRET], body, sign(body))


def test_during_a_rotation_any_matching_signature_is_enough():
    body = b'{"event": {}}'
    header = f"{sign(body, 'old-secret')},{sign(body, SECRET)}"

    assert verify_signature([SECRET], body, header)
    assert verify_signature(["old-secret"], body, header)
    assert verify_signature(["elsewhere", SECRET], body, sign(body))


@pytest.mark.parametrize(
    "header",
    [
        "",
        "v1=",
        "v1=deadbeef",
        "v0=" + hmac.new(SECRET.encode(), b"{}", hashlib.sha256).hexdigest(),
        hmac.new(SECRET.encode(), b"{}", hashlib.sha256).hexdigest(),
        "v1=" + hmac.new(b"wrong", b"{}", hashlib.sha256).hexdigest(),
    ],
)
def test_missing_malformed_or_wrong_signatures_are_refused(header):
    assert not verify_signature([SECRET], b"{}", header)


def test_no_secret_trusts_nothing():
    assert not verify_signature(["", ""], b"{}", sign(b"{}", ""))


@pytest.mark.parametrize(
    ("priority", "urgency", "severity"),
    [
        ("P1", "high", "SEV1"),
        ("p2", "low", "SEV2"),
        ("P5", "high", "SEV4"),
        ("", "high", "SEV2"),
        ("Sev-X", "low", "SEV3"),
    ],
)
def test_severity_follows_the_priority_else_the_urgency(priority, urgency, severity):
    assert severity_for(priority, urgency) == severity


# --- payloads (pure) ----------------------------------------------------------------------------------------------


def test_the_documented_incident_payload_is_read():
    parsed = parse_event(event("incident.priority_updated"))

    assert parsed.event_type == "incident.priority_updated"
    assert parsed.action == "priority_updated"
    assert (parsed.incident_id, parsed.number, parsed.title) == ("PGR0VU2", 2, "A little bump in the road")
    assert (parsed.service_id, parsed.service_name) == ("PF9KMXH", "API Service")
    assert (parsed.priority, parsed.urgency, parsed.agent) == ("P1", "high", "Tenex Engineer")
    assert parsed.assignees == ("User 123",)
    assert parsed.created_at == datetime(2020, 4, 9, 15, 16, 27, tzinfo=UTC)
    assert parsed.html_url == "https://acme.pagerduty.com/incidents/PGR0VU2"


def test_the_documented_note_payload_is_read():
    parsed = parse_event(event("incident.annotated"))

    assert (parsed.incident_id, parsed.note) == ("PGR0VU2", "I sure am glad we are using PagerDuty!")
    assert not parsed.is_full_incident


def test_other_event_types_are_read_but_not_supported():
    payload = {"event": {"id": "x1", "event_type": "service.updated", "data": {"type": "service"}}}

    assert not parse_event(payload).is_supported


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"event": []},
        {"event": {"event_type": "incident.triggered"}},
        {"event": {"id": "x", "event_type": ""}},
        {"event": {"id": "x", "event_type": "incident.triggered", "data": "nope"}},
        {"event": {"id": "x", "event_type": "incident.triggered", "data": {"type": "incident"}}},
        {"event": {"id": "x", "event_type": "incident.triggered", "data": {"type": "service", "id": "P1"}}},
        {"event": {"id": "x", "event_type": "incident.triggered", "occurred_at": "yesterday", "data": INCIDENT_DATA}},
        {"event": {"id": "x", "event_type": "incident.annotated", "data": {"type": "incident_note"}}},
    ],
)
def test_payloads_not_shaped_like_pagerdutys_are_refused(payload):
    with pytest.raises(PayloadError):
        parse_event(payload)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=10), c, max_size=4),
        max_leaves=20,
    )
)
def test_parse_event_raises_only_payload_errors(payload):
    try:
        parse_event(payload)
    except PayloadError:
        pass


def test_a_link_that_is_not_a_web_address_is_dropped():
    assert parse_event(event("incident.triggered", html_url="javascript:alert(1)")).html_url == ""


# --- the endpoint -------------------------------------------------------------------------------------------------


def test_a_signed_triggered_event_records_an_incident_on_the_mapped_service(client, api_service):
    response = post(client, event("incident.triggered"))

    assert response.status_code == 202
    incident = Incident.objects.get()
    assert (incident.title, incident.severity, incident.status) == ("A little bump in the road", "SEV1", "open")
    assert (incident.external_source, incident.external_id) == ("pagerduty", "PGR0VU2")
    assert incident.external_url == "https://acme.pagerduty.com/incidents/PGR0VU2"
    assert incident.started_at == datetime(2020, 4, 9, 15, 16, 27, tzinfo=UTC)
    assert list(incident.services.all()) == [api_service]  # mapped by the same name, case aside
    delivery = Delivery.objects.get()
    assert (delivery.provider, delivery.delivery_id, delivery.status) == ("pagerduty", "wh-1", "processed")
    assert TimelineEntry.objects.get().text == "Triggered in PagerDuty #2 on API Service: A little bump in the road"
    assert AuditEvent.objects.filter(action="incident.pagerduty.triggered").count() == 1
    assert PagerDutyService.objects.get().name == "API Service"


def test_the_admin_mapping_of_a_pagerduty_service_wins(client, repository, api_service):
    checkout = Service.objects.create(name="checkout", repository=repository)
    mapped = PagerDutyService.objects.create(pagerduty_id="PF9KMXH", name="API Service")
    mapped.services.set([checkout])

    post(client, event("incident.triggered"))

    assert list(Incident.objects.get().services.all()) == [checkout]


def test_an_unsigned_delivery_is_refused_and_nothing_is_stored(client):
    body = json.dumps(event("incident.triggered")).encode()

    response = client.post(URL, data=body, content_type="application/json", HTTP_X_WEBHOOK_ID="wh-1")

    assert response.status_code == 401
    assert not Delivery.objects.exists()
    assert not Incident.objects.exists()


def test_a_wrongly_signed_delivery_is_refused(client):
    response = post(client, event("incident.triggered"), signature=sign(b"other body"))

    assert response.status_code == 401
    assert not Delivery.objects.exists()


def test_without_any_secret_nothing_is_trusted(client, settings):
    settings.PORTAL_PAGERDUTY_WEBHOOK_SECRET = ""

    assert post(client, event("incident.triggered"), signature=sign(b"x", "")).status_code == 401


def test_a_secret_set_in_the_admin_is_accepted(client, settings):
    settings.PORTAL_PAGERDUTY_WEBHOOK_SECRET = ""
    PagerDutyWebhookSecret.objects.create(label="subscription P1", secret="from-the-admin")
    body = json.dumps(event("incident.triggered")).encode()

    response = post(client, None, raw=body, signature=sign(body, "from-the-admin"))

    assert response.status_code == 202


def test_an_inactive_admin_secret_is_not_accepted(client, settings):
    settings.PORTAL_PAGERDUTY_WEBHOOK_SECRET = ""
    PagerDutyWebhookSecret.objects.create(label="old", secret="retired", is_active=False)
    body = json.dumps(event("incident.triggered")).encode()

    assert post(client, None, raw=body, signature=sign(body, "retired")).status_code == 401


def test_during_a_rotation_the_endpoint_accepts_either_signature(client):
    body = json.dumps(event("incident.triggered")).encode()

    response = post(client, None, raw=body, signature=f"{sign(body, 'previous')},{sign(body)}")

    assert response.status_code == 202


def test_the_same_webhook_id_twice_is_stored_and_applied_once(client):
    first = post(client, event("incident.triggered"))
    second = post(client, event("incident.triggered"))

    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["detail"] == "duplicate delivery, already received"
    assert Delivery.objects.count() == 1
    assert Incident.objects.count() == 1
    assert TimelineEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("raw", "webhook_id", "message"),
    [
        (b"not json", "wh-1", "body is not valid JSON"),
        (b"[1, 2]", "wh-1", "body must be a JSON object"),
        (b'{"event": {"id": "x"}}', "wh-1", "payload is not a PagerDuty v3 event"),
        (json.dumps(event("incident.triggered")).encode(), "", "missing or overlong X-Webhook-Id"),
        (json.dumps(event("incident.triggered")).encode(), "w" * 201, "missing or overlong X-Webhook-Id"),
        (json.dumps({"event": {"id": "a\u0000b", "event_type": "x"}}).encode(), "wh-1", "U+0000"),
        (b"[" * 5000 + b"]" * 5000, "wh-1", "body"),
    ],
)
def test_malformed_signed_deliveries_are_a_bad_request_and_store_nothing(client, raw, webhook_id, message):
    response = post(client, None, raw=raw, webhook_id=webhook_id)

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Delivery.objects.exists()


def test_an_event_type_the_portal_does_not_use_is_stored_and_ignored(client):
    payload = {"event": {"id": "e1", "event_type": "service.updated", "data": {"id": "PF9KMXH", "type": "service"}}}

    response = post(client, payload)

    assert response.status_code == 202
    assert Delivery.objects.get().status == Delivery.Status.IGNORED
    assert not Incident.objects.exists()


def test_the_incident_follows_its_lifecycle(client, make_engineer):
    commander = make_engineer(6, username="user123")
    commander.display_name = "User 123"
    commander.save(update_fields=["display_name"])
    post(client, event("incident.triggered", "2020-04-09T15:16:30Z"), webhook_id="w1")
    post(client, event("incident.acknowledged", "2020-04-09T15:18:00Z", status="acknowledged"), webhook_id="w2")
    post(client, event("incident.annotated", "2020-04-09T15:19:00Z"), webhook_id="w3")
    post(
        client, event("incident.priority_updated", "2020-04-09T15:20:00Z", priority={"summary": "P3"}), webhook_id="w4"
    )
    post(client, event("incident.resolved", "2020-04-09T16:00:00Z", status="resolved"), webhook_id="w5")

    incident = Incident.objects.get()
    assert incident.status == Incident.Status.RESOLVED
    assert incident.resolved_at == datetime(2020, 4, 9, 16, 0, tzinfo=UTC)
    assert incident.severity == "SEV3"
    assert incident.commander == commander
    assert list(incident.timeline.values_list("text", flat=True)) == [
        "Triggered in PagerDuty #2 on API Service: A little bump in the road",
        "Acknowledged in PagerDuty by Tenex Engineer",
        "Note by Tenex Engineer: I sure am glad we are using PagerDuty!",
        "Priority set to P3 in PagerDuty by Tenex Engineer: SEV3",
        "Resolved in PagerDuty by Tenex Engineer",
    ]

    post(client, event("incident.reopened", "2020-04-09T17:00:00Z", status="triggered"), webhook_id="w6")

    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at) == (Incident.Status.OPEN, None)


def test_a_late_older_event_goes_to_the_timeline_without_undoing_a_newer_state(client):
    post(client, event("incident.resolved", "2020-04-09T16:00:00Z", status="resolved"), webhook_id="w1")
    response = post(client, event("incident.reopened", "2020-04-09T15:30:00Z"), webhook_id="w2")

    incident = Incident.objects.get()
    assert incident.status == Incident.Status.RESOLVED
    assert incident.timeline.count() == 2
    assert "timeline only" in response.json()["detail"]


def test_an_event_about_an_unseen_incident_creates_it(client):
    response = post(client, event("incident.annotated"))

    assert response.status_code == 202
    incident = Incident.objects.get()
    assert incident.title == "A little bump in the road"
    assert incident.timeline.get().text.startswith("Note by Tenex Engineer")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=30),
            lambda c: (
                st.lists(c, max_size=3)
                | st.dictionaries(
                    st.sampled_from(
                        ["event", "id", "event_type", "data", "type", "occurred_at", "title", "service", "priority"]
                    ),
                    c,
                    max_size=5,
                )
            ),
            max_leaves=25,
        ).map(lambda v: json.dumps(v).encode()),
    ),
    webhook_id=st.text(min_size=1, max_size=30).filter(lambda s: s.isprintable() and s.isascii()),
)
def test_no_signed_body_at_all_gets_a_server_error(client, body, webhook_id):
    response = post(client, None, raw=body, webhook_id=webhook_id)

    assert response.status_code < 500


def test_a_stored_delivery_applies_again_once_its_service_is_mapped(client, repository):
    from incidents.services import pagerduty_redeliver

    post(client, event("incident.triggered"))
    delivery = Delivery.objects.get()
    checkout = Service.objects.create(name="checkout", repository=repository)
    PagerDutyService.objects.get(pagerduty_id="PF9KMXH").services.set([checkout])
    Incident.objects.get().services.clear()

    delivery = pagerduty_redeliver(delivery=delivery, actor=None)

    assert (delivery.status, delivery.attempts) == (Delivery.Status.PROCESSED, 2)
    assert list(Incident.objects.get().services.all()) == [checkout]
    assert TimelineEntry.objects.count() == 1
