"""The incidents API (incidents.api): token authentication, who may do what, validation, and the contract."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from incidents.models import FixTrace, Incident, IncidentChangeLink
from intake.services.deployments import deployment_record_for_sha
from intake.services.diffs import change_pull_diff
from intake.services.repositories import repository_import, repository_register
from reviews.models import AuditEvent, Change, Deployment, Repository, Service

PRICING = "def total(items):\n    return sum(i.price for i in items)\n\n\ndef tax(amount):\n    return amount * 0.2\n"
BUGGY = PRICING.replace("    return amount * 0.2\n", "    rate = 0.02\n    return amount * rate\n")
FIXED = PRICING.replace("    return amount * 0.2\n", "    rate = 0.2\n    return amount * rate\n")


def token_for(user) -> str:
    out = io.StringIO()
    call_command("create_api_token", user.username, "--scopes", "read,ci,incidents", stdout=out)
    return out.getvalue().strip()


def call(client, method: str, url: str, token: str | None = None, body=None):
    headers = {"Authorization": f"Token {token}"} if token else {}
    if method == "get":
        return client.get(url, headers=headers)
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", headers=headers)


@pytest.fixture
def reviewer(make_engineer):
    return make_engineer(6, username="ivy", is_incident_reviewer=True)


@pytest.fixture
def reviewer_token(reviewer) -> str:
    return token_for(reviewer.user)


@pytest.fixture
def engineer_token(make_engineer) -> str:
    return token_for(make_engineer(7, username="sam").user)


@pytest.fixture
def ci_token(django_user_model) -> str:
    user = django_user_model.objects.create_user(username="ci-bot", password="pw-for-tests-only")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="reviews", codename="add_deployment"))
    return token_for(user)


@dataclass
class Shop:
    repository: Repository
    checkout: Service
    base: str
    bug: str
    other: str
    fix: str

    def change(self, sha: str) -> Change:
        return Change.objects.get(repository=self.repository, head_sha=sha)


@pytest.fixture
def shop(db, work_repo) -> Shop:
    """A repository whose tax bug is known: base, the bug, an unrelated change, and the fix."""
    base = work_repo.commit({"services/checkout/pricing.py": PRICING, "README.md": "Shop\n"}, "Initial import")
    bug = work_repo.commit(
        {"services/checkout/pricing.py": BUGGY},
        "Make the tax rate configurable",
        author="Bea <bea@example.com>",
        date="2026-11-10T09:00:00+00:00",
    )
    other = work_repo.commit(
        {"README.md": "Shop, with docs\n"},
        "Document the shop",
        author="Cy <cy@example.com>",
        date="2026-11-10T11:00:00+00:00",
    )
    fix = work_repo.commit(
        {"services/checkout/pricing.py": FIXED},
        "Fix the tax rate",
        author="Fay <fay@example.com>",
        date="2026-11-10T15:00:00+00:00",
    )
    repository = repository_register(name="acme/shop", url=str(work_repo.path))
    repository_import(repository=repository)
    # The import queues the diffs on Redis; no worker runs here, so pull them in-process.
    for change_id in Change.objects.filter(repository=repository).values_list("pk", flat=True):
        change_pull_diff(change_id=change_id)
    checkout = Service.objects.create(name="checkout-api", repository=repository, path_prefixes=["services/checkout/"])
    return Shop(repository, checkout, base, bug, other, fix)


def incident_body(**fields) -> dict:
    body = {"title": "Checkout charges the wrong tax", "severity": "SEV2", "started_at": "2026-11-10T13:00:00Z"}
    body.update(fields)
    return body


# --- authentication and roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/incidents/"),
        ("get", "/api/v1/incidents/1/suspects/"),
        ("post", "/api/v1/incidents/1/links/"),
        ("post", "/api/v1/deployments/"),
    ],
)
@pytest.mark.parametrize("token", [None, "0" * 40])
def test_every_endpoint_needs_a_valid_token(client, db, method, url, token):
    response = call(client, method, url, token, {})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_only_incident_reviewers_may_record_incidents(client, engineer_token):
    response = call(client, "post", "/api/v1/incidents/", engineer_token, incident_body())

    assert response.status_code == 403
    assert response.json()["detail"] == "Only incident reviewers may do this."
    assert not Incident.objects.exists()


def test_only_incident_reviewers_may_link_changes(client, shop, engineer_token):
    incident = Incident.objects.create(title="x", severity="SEV3", started_at="2026-11-10T13:00:00Z")

    response = call(
        client,
        "post",
        f"/api/v1/incidents/{incident.pk}/links/",
        engineer_token,
        {"change": shop.change(shop.bug).pk, "state": "confirmed", "reason": "it was me"},
    )

    assert response.status_code == 403
    assert not IncidentChangeLink.objects.exists()


def test_a_superuser_may_record_incidents(client, django_user_model):
    admin = django_user_model.objects.create_superuser(username="root", password="pw-for-tests-only")

    assert call(client, "post", "/api/v1/incidents/", token_for(admin), incident_body()).status_code == 201


# --- POST /api/v1/incidents/ --------------------------------------------------------------------------------------


def test_an_incident_reviewer_records_an_incident_and_gets_its_id(client, shop, reviewer, reviewer_token):
    response = call(
        client,
        "post",
        "/api/v1/incidents/",
        reviewer_token,
        incident_body(services=["checkout-api"], paths=["./services/checkout/"], fix_commit=shop.fix[:12].upper()),
    )

    assert response.status_code == 201
    body = response.json()
    incident = Incident.objects.get(pk=body["id"])
    assert body["url"] == f"/incidents/{incident.pk}/"
    assert body["services"] == ["checkout-api"]
    assert body["paths"] == ["services/checkout/"]
    assert body["fix_commit"] == shop.fix[:12]
    assert body["repository"] == "acme/shop"  # taken from the only repository of the services
    assert incident.created_by == reviewer.user
    assert AuditEvent.objects.filter(action="incident.created", target_id=str(incident.pk)).exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": ""}, "title", "This field may not be blank."),
        ({"severity": "SEV9"}, "severity", '"SEV9" is not a valid choice.'),
        ({"started_at": "yesterday"}, "started_at", "Datetime has wrong format"),
        ({"services": ["nope"]}, "services", "unknown service(s): nope"),
        ({"services": "checkout-api"}, "services", 'Expected a list of items but got type "str".'),
        ({"repository": "acme/other"}, "repository", "unknown repository 'acme/other'"),
        ({"fix_commit": "xyz"}, "fix_commit", "This value does not match the required pattern."),
    ],
)
def test_an_invalid_incident_is_refused_with_the_field_and_nothing_stored(
    client, shop, reviewer_token, change, field, message
):
    response = call(client, "post", "/api/v1/incidents/", reviewer_token, incident_body(**change))

    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"][field])
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fix_commit": "abcdef12"}, "a fix commit needs its repository"),
        ({"paths": ["../etc"]}, "is not a usable path prefix"),
        ({"resolved_at": "2026-11-10T12:00:00Z"}, "resolved time is before the start"),
    ],
)
def test_an_incident_the_service_refuses_is_a_bad_request(client, shop, reviewer_token, change, message):
    response = call(client, "post", "/api/v1/incidents/", reviewer_token, incident_body(**change))

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Incident.objects.exists()


@pytest.mark.parametrize("raw", ["not json", "[" * 3000 + "]" * 3000, "[]"])
def test_a_malformed_body_is_a_bad_request(client, db, reviewer_token, raw):
    response = call(client, "post", "/api/v1/incidents/", reviewer_token, raw)

    assert response.status_code == 400


# --- GET /api/v1/incidents/{id}/suspects/ -------------------------------------------------------------------------


def _deploy(shop: Shop, sha: str, at: str) -> None:
    deployment_record_for_sha(
        repository=shop.repository, services=[shop.checkout], environment="production", sha=sha, deployed_at=at
    )


def test_suspects_follow_the_contract_best_first_with_evidence(client, shop, reviewer_token, engineer_token):
    _deploy(shop, shop.base, "2026-11-02T12:00:00Z")
    _deploy(shop, shop.other, "2026-11-10T11:30:00Z")  # carries the bug (and nothing else of checkout)
    incident_id = call(
        client, "post", "/api/v1/incidents/", reviewer_token, incident_body(services=["checkout-api"])
    ).json()["id"]

    response = call(client, "get", f"/api/v1/incidents/{incident_id}/suspects/", engineer_token)

    assert response.status_code == 200
    results = response.json()["results"]
    bug = shop.change(shop.bug)
    assert results[0]["change"] == {
        "id": bug.pk,
        "repository": "acme/shop",
        "sha": shop.bug,
        "title": "Make the tax rate configurable",
        "author": "Bea",
        "merged_at": "2026-11-10T09:00:00+00:00",
        "ai_assisted": False,
    }
    assert results[0]["score"] == max(r["score"] for r in results)
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    evidence = {e["kind"]: e for e in results[0]["evidence"]}
    assert evidence["deployed"]["detail"] == "deployed to checkout-api 1 h 30 min before the start"
    assert set(results[0]["evidence"][0]) == {"kind", "label", "detail", "weight"}
    assert evidence["deployed"]["label"] == "Deployed"
    assert shop.fix not in {r["change"]["sha"] for r in results}  # merged after the start
    assert results[0]["link"] is None


def test_with_the_fix_commit_the_blamed_change_comes_first_with_its_lines(client, shop, reviewer_token):
    _deploy(shop, shop.base, "2026-11-02T12:00:00Z")
    _deploy(shop, shop.bug, "2026-11-10T09:30:00Z")
    body = incident_body(services=["checkout-api"], repository="acme/shop", fix_commit=shop.fix)
    incident_id = call(client, "post", "/api/v1/incidents/", reviewer_token, body).json()["id"]

    response = call(client, "get", f"/api/v1/incidents/{incident_id}/suspects/", reviewer_token)

    results = response.json()["results"]
    assert results[0]["change"]["sha"] == shop.bug
    blame = next(e for e in results[0]["evidence"] if e["kind"] == "blame_share")
    assert blame["detail"] == (
        f"fix {shop.fix[:10]} deletes or modifies 1 of 1 traced line last changed by this change "
        "in services/checkout/pricing.py"
    )
    assert response.json()["fix_trace"] == {"state": "done", "error": None, "lines": 1}
    assert FixTrace.objects.get().state == FixTrace.State.DONE


def test_suspects_are_at_most_fifty(client, shop, reviewer_token, django_assert_max_num_queries):
    base = shop.change(shop.base)
    for n in range(60):
        change = Change.objects.create(
            repository=shop.repository,
            external_id=f"{n:040x}",
            head_sha=f"{n:040x}",
            title=f"Change {n}",
            state=Change.State.MERGED,
            opened_at="2026-11-09T08:00:00Z",
            merged_at=f"2026-11-09T{n % 24:02d}:{n % 60:02d}:00Z",
        )
        change.files.create(path="services/checkout/pricing.py", status="modified")
    incident_id = call(
        client, "post", "/api/v1/incidents/", reviewer_token, incident_body(services=["checkout-api"])
    ).json()["id"]

    with django_assert_max_num_queries(20):
        response = call(client, "get", f"/api/v1/incidents/{incident_id}/suspects/", reviewer_token)

    assert len(response.json()["results"]) == 50
    assert base.pk not in {r["change"]["id"] for r in response.json()["results"]}


def test_suspects_of_an_unknown_incident_are_not_found(client, db, reviewer_token):
    assert call(client, "get", "/api/v1/incidents/999999/suspects/", reviewer_token).status_code == 404


# --- POST /api/v1/incidents/{id}/links/ ---------------------------------------------------------------------------


def test_confirming_then_ruling_out_a_change_is_recorded_and_audited(client, shop, reviewer, reviewer_token):
    incident = Incident.objects.create(title="Tax", severity="SEV2", started_at="2026-11-10T13:00:00Z")
    url = f"/api/v1/incidents/{incident.pk}/links/"
    bug = shop.change(shop.bug)

    confirmed = call(client, "post", url, reviewer_token, {"change": bug.pk, "state": "confirmed", "reason": "blamed"})
    ruled_out = call(
        client,
        "post",
        url,
        reviewer_token,
        {"repository": "acme/shop", "sha": shop.bug[:10], "state": "ruled_out", "reason": "wrong service"},
    )

    assert confirmed.status_code == 201
    assert ruled_out.status_code == 200
    assert ruled_out.json() == {
        "id": confirmed.json()["id"],
        "incident": incident.pk,
        "change": bug.pk,
        "state": "ruled_out",
        "reason": "wrong service",
        "decided_by": "ivy",
    }
    link = IncidentChangeLink.objects.get()
    assert (link.state, link.decided_by) == ("ruled_out", reviewer.user)
    events = AuditEvent.objects.filter(action="incident.link").order_by("id")
    assert [(e.payload["from"], e.payload["to"]) for e in events] == [(None, "confirmed"), ("confirmed", "ruled_out")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"state": "confirmed", "reason": "x"}, "non_field_errors"),
        ({"change": 999999, "state": "confirmed", "reason": "x"}, "change"),
        ({"repository": "acme/shop", "sha": "0000000", "state": "confirmed", "reason": "x"}, "change"),
        ({"change": "BUG", "state": "guilty", "reason": "x"}, "state"),
        ({"change": "BUG", "state": "confirmed"}, "reason"),
        ({"change": "BUG", "state": "confirmed", "reason": "   "}, "reason"),
    ],
)
def test_a_link_without_a_known_change_a_state_or_a_reason_is_refused(client, shop, reviewer_token, body, field):
    incident = Incident.objects.create(title="Tax", severity="SEV2", started_at="2026-11-10T13:00:00Z")
    if body.get("change") == "BUG":
        body = {**body, "change": shop.change(shop.bug).pk}

    response = call(client, "post", f"/api/v1/incidents/{incident.pk}/links/", reviewer_token, body)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not IncidentChangeLink.objects.exists()


def test_linking_to_an_unknown_incident_is_not_found(client, shop, reviewer_token):
    body = {"change": shop.change(shop.bug).pk, "state": "confirmed", "reason": "x"}

    assert call(client, "post", "/api/v1/incidents/999999/links/", reviewer_token, body).status_code == 404


# --- POST /api/v1/deployments/ ------------------------------------------------------------------------------------


def test_ci_reports_a_deployment_and_gets_the_changes_it_carried(client, shop, ci_token):
    response = call(
        client,
        "post",
        "/api/v1/deployments/",
        ci_token,
        {"service": "checkout-api", "sha": shop.other, "deployed_at": "2026-11-10T12:00:00Z"},
    )

    assert response.status_code == 201
    [deployment] = response.json()["deployments"]
    assert deployment["service"] == "checkout-api"
    assert deployment["environment"] == "production"
    assert deployment["changes"] == sorted([shop.change(shop.base).pk, shop.change(shop.bug).pk])
    assert Deployment.objects.get().deployed_at.isoformat() == "2026-11-10T12:00:00+00:00"
    assert AuditEvent.objects.filter(action="deployment.reported").count() == 1


def test_reporting_the_same_deployment_twice_records_it_once(client, shop, ci_token):
    body = {"services": ["checkout-api"], "sha": shop.bug, "environment": "production"}

    call(client, "post", "/api/v1/deployments/", ci_token, body)
    call(client, "post", "/api/v1/deployments/", ci_token, body)

    assert Deployment.objects.count() == 1


def test_a_token_without_the_permission_cannot_report_deployments(client, shop, reviewer_token):
    response = call(
        client, "post", "/api/v1/deployments/", reviewer_token, {"service": "checkout-api", "sha": shop.bug}
    )

    assert response.status_code == 403
    assert "reviews.add_deployment" in response.json()["detail"]
    assert not Deployment.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"sha": "BUG"}, "name the service"),
        ({"service": "nope", "sha": "BUG"}, "unknown service(s): nope"),
        ({"service": "checkout-api", "sha": "abc123"}, "does not match"),
        ({"service": "checkout-api", "sha": "BUG", "environment": "-rf"}, "does not match"),
        ({"service": "checkout-api", "sha": "f" * 40}, "is not in acme/shop"),
    ],
)
def test_an_invalid_deployment_is_refused(client, shop, ci_token, body, message):
    body = {k: (shop.bug if v == "BUG" else v) for k, v in body.items()}

    response = call(client, "post", "/api/v1/deployments/", ci_token, body)

    assert response.status_code == 400
    assert message in json.dumps(response.json())
    assert not Deployment.objects.exists()
