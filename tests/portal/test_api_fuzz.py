"""schemathesis against the served OpenAPI schema (/api/v1/schema/): every operation, with a token of each scope,
answers generated requests with no 500 and no response that breaks its own schema.

The examples per operation and token are bounded for `make test`; raise them with API_FUZZ_EXAMPLES=200. Half of
the cases aim their path parameters at records that exist, so the answers are not only 404s.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.portal.matrix_world import TOKEN_ROLES, build_world

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "4"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# People's own tokens besides the service account's: a senior reviews, an incident reviewer records incidents.
PERSON_TOKENS = {
    "senior": ["read", "review"],
    "incident_reviewer": ["read", "incidents"],
    "manager": ["read", "review"],
}


def _fuzz(operation, headers: dict, real: dict, counts: dict, statuses: dict) -> None:
    """Run the bounded examples of one operation with one token; any failed check fails the test."""

    @given(case=operation.as_strategy(), aim=st.booleans())
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    def run(case, aim):
        if aim and case.path_parameters:
            case.path_parameters = {k: real.get(k, v) for k, v in case.path_parameters.items()}
        response = case.call(headers=headers)
        counts["cases"] += 1
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


@pytest.fixture
def _connection_kept():
    """The WSGI handler closes the database connection after each request; Django's test client stops it so, too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_every_operation_holds_to_its_schema_for_every_scope(_connection_kept):
    from reviews.services.accounts import api_token_create

    world = build_world()
    keys = {role: world.keys[role] for role in TOKEN_ROLES}
    for role, scopes in PERSON_TOKENS.items():
        user = world.engineers[role].user
        keys[role] = api_token_create(user=user, actor=user, name="fuzz", scopes=scopes)[1]
    app = get_wsgi_application()
    admin = {"Authorization": f"Token {world.keys['tok_admin']}", "Accept": "application/vnd.oai.openapi+json"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", app, headers=admin)
    real = {name: world.objects[name] for name in ("change_id", "engineer_id", "incident_id")}
    counts = {"cases": 0, "operations": 0}
    statuses: dict[int, int] = {}

    for result in schema.get_all_operations():
        operation = result.ok()
        counts["operations"] += 1
        for key in keys.values():
            _fuzz(operation, {"Authorization": f"Token {key}"}, real, counts, statuses)
    print(f"API fuzz: {counts['operations']} operations x {len(keys)} tokens, {counts['cases']} cases, {statuses}")
    assert counts["operations"] >= 12
