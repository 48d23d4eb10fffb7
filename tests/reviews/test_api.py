"""The checks API (reviews.api): token authentication, permission, validation, and what CI results do to a change."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.services.diffs import change_pull_diff
from intake.services.repositories import repository_import, repository_register
from reviews.models import ApiToken, AuditEvent, Change, GateResult
from reviews.models.tokens import token_hash
from reviews.services.signoff import change_attest

AI_TRAILER = "\n\nCo-authored-by: Claude <noreply@anthropic.com>"


def _token(user) -> str:
    out = io.StringIO()
    call_command("create_api_token", user.username, "--scopes", "read,ci,incidents", stdout=out)
    return out.getvalue().strip()


def _grant(user) -> None:
    user.user_permissions.add(Permission.objects.get(content_type__app_label="reviews", codename="add_gateresult"))


@pytest.fixture
def people(make_engineer):
    return {
        "junior": make_engineer(4, username="jun", email="jun@example.com"),
        "senior": make_engineer(6, username="sen", email="sen@example.com"),
    }


@pytest.fixture
def ci_token(django_user_model) -> str:
    user = django_user_model.objects.create_user(username="ci-bot", password="pw-for-tests-only")
    _grant(user)
    return _token(user)


@pytest.fixture
def reader_token(django_user_model) -> str:
    """A token whose user may read check results but not report them."""
    return _token(django_user_model.objects.create_user(username="reader", password="pw-for-tests-only"))


@pytest.fixture
def change(db, people, work_repo) -> Change:
    """An attested AI-assisted change of a junior, in a senior's queue."""
    work_repo.commit({"README.md": "The shop.\n"}, "Initial import", author="Sen <sen@example.com>")
    work_repo.branch("feature/widget")
    work_repo.commit(
        {"app/widget.py": "W = 1\n", "tests/test_widget.py": "W = 1\n"},
        "Add widget" + AI_TRAILER,
        author="Jun <jun@example.com>",
    )
    work_repo.checkout("main")
    repository = repository_register(name="acme/shop", url=str(work_repo.path))
    repository_import(repository=repository)
    opened = Change.objects.get(state=Change.State.OPEN)
    change_pull_diff(change_id=opened.pk)
    change_attest(change=opened, engineer=people["junior"])
    opened.refresh_from_db()
    assert opened.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    return opened


def _url(change_id: int) -> str:
    return f"/api/v1/changes/{change_id}/checks/"


def _post(client, change_id: int, token: str | None, body, *, raw: bool = False):
    headers = {"Authorization": f"Token {token}"} if token else {}
    data = body if raw else json.dumps(body)
    return client.post(_url(change_id), data=data, content_type="application/json", headers=headers)


def _get(client, change_id: int, token: str | None):
    headers = {"Authorization": f"Token {token}"} if token else {}
    return client.get(_url(change_id), headers=headers)


def _check(change: Change, **fields) -> dict:
    body = {"name": "ci/unit-tests", "status": "pass", "head_sha": change.head_sha, "message": "412 passed"}
    body.update(fields)
    return body


# --- authentication and permission ------------------------------------------------------------------------------


def test_create_api_token_prints_a_new_token_each_time_and_rotate_revokes_the_others(db, django_user_model):
    user = django_user_model.objects.create_user(username="ci-bot", password="pw-for-tests-only")

    first, again = _token(user), _token(user)
    out = io.StringIO()
    call_command("create_api_token", "ci-bot", "--rotate", stdout=out)

    assert first != again and first.startswith("cs_") and len(first) > 40
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    assert [t.key_hash for t in live] == [token_hash(out.getvalue().strip())]
    assert not ApiToken.objects.filter(key_hash=token_hash(first)).exclude(revoked_at=None).count() == 0


def test_any_token_reads_the_checks_of_the_current_revision(client, change, reader_token):
    response = _get(client, change.pk, reader_token)

    assert response.status_code == 200
    body = response.json()
    assert body["head_sha"] == change.head_sha
    assert body["gates_state"] == change.gates_state
    assert [r["name"] for r in body["results"]] == sorted(
        ["infrastructure", "lockfiles", "migrations", "secrets", "size", "tests"]
    )
    assert {r["source"] for r in body["results"]} == {"builtin"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Token " + "0" * 40}, {"Authorization": "Bearer x"}])
def test_an_unauthenticated_request_is_refused(client, change, headers):
    get = client.get(_url(change.pk), headers=headers)
    post = client.post(
        _url(change.pk), data=json.dumps(_check(change)), content_type="application/json", headers=headers
    )

    assert get.status_code == 401
    assert post.status_code == 401
    assert get["WWW-Authenticate"] == "Token"
    assert not GateResult.objects.filter(source=GateResult.Source.CI).exists()


def test_a_token_without_the_permission_cannot_report(client, change, reader_token):
    response = _post(client, change.pk, reader_token, _check(change))

    assert response.status_code == 403
    assert "reviews.add_gateresult" in response.json()["detail"]
    assert not GateResult.objects.filter(source=GateResult.Source.CI).exists()


def test_a_logged_in_session_without_the_permission_cannot_report(client, change, people):
    client.force_login(people["senior"].user)

    response = client.post(_url(change.pk), data=json.dumps(_check(change)), content_type="application/json")

    assert response.status_code == 403
    assert not GateResult.objects.filter(source=GateResult.Source.CI).exists()


def test_an_unknown_change_is_not_found(client, db, ci_token):
    assert _get(client, 987654, ci_token).status_code == 404
    assert _post(client, 987654, ci_token, {"name": "x", "status": "pass", "head_sha": "a" * 40}).status_code == 404


# --- reporting --------------------------------------------------------------------------------------------------


def test_a_reported_check_is_stored_as_ci_and_audited(client, change, ci_token):
    response = _post(client, change.pk, ci_token, _check(change, status="warn", details=["flaky: test_a"]))

    assert response.status_code == 201
    assert response.json() == {"name": "ci/unit-tests", "status": "warn", "gates_state": "warn"}
    result = GateResult.objects.get(change=change, name="ci/unit-tests")
    assert (result.source, result.status, result.head_sha) == (GateResult.Source.CI, "warn", change.head_sha)
    assert (result.message, result.details) == ("412 passed", ["flaky: test_a"])
    change.refresh_from_db()
    assert change.gates_state == "warn"
    event = AuditEvent.objects.get(action="gate.reported")
    assert event.actor.username == "ci-bot"
    assert event.payload == {"gate": "ci/unit-tests", "status": "warn"}
    assert [r["name"] for r in _get(client, change.pk, ci_token).json()["results"]].count("ci/unit-tests") == 1


def test_a_failing_check_sends_the_change_back_and_a_later_pass_lets_it_continue(client, change, ci_token):
    failed = _post(client, change.pk, ci_token, _check(change, status="fail", message="3 failed"))

    assert failed.status_code == 201
    assert failed.json()["gates_state"] == "fail"
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.GATES_FAILED
    assert "gates failing: ci/unit-tests" in change.policy_missing

    passed = _post(client, change.pk, ci_token, _check(change, status="pass"))

    assert passed.status_code == 201
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert not any(m.startswith("gates failing") for m in change.policy_missing)
    assert GateResult.objects.filter(change=change, name="ci/unit-tests").count() == 1
    assert change.assignments.filter(state="active").count() == 1


def test_a_check_for_another_revision_is_refused_with_a_message(client, change, ci_token):
    response = _post(client, change.pk, ci_token, _check(change, head_sha="f" * 40))

    assert response.status_code == 400
    assert response.json()["detail"] == f"ffffffffffff is not the current revision ({change.head_sha[:12]})"
    assert not GateResult.objects.filter(source=GateResult.Source.CI).exists()


@pytest.mark.parametrize("name", ["secrets", "size", "tests"])
def test_ci_cannot_report_under_the_name_of_a_built_in_gate(client, change, ci_token, name):
    response = _post(client, change.pk, ci_token, _check(change, name=name, status="pass"))

    assert response.status_code == 400
    assert "built-in gate" in response.json()["detail"]
    assert GateResult.objects.get(change=change, head_sha=change.head_sha, name=name).source == "builtin"


def test_ci_cannot_clear_a_failing_secrets_gate(client, db, people, work_repo, ci_token):
    work_repo.commit({"README.md": "The shop.\n"}, "Initial import", author="Sen <sen@example.com>")
    work_repo.branch("feature/keys")
    work_repo.commit(
        {"app/keys.py": 'K = "' + "AK" + "IA" + "Q7ZB2M4XK9WR3TPL" + '"\n'}, "Keys", author="Jun <jun@example.com>"
    )
    work_repo.checkout("main")
    repository_import(repository=repository_register(name="acme/shop", url=str(work_repo.path)))
    leaky = Change.objects.get(state=Change.State.OPEN)
    change_pull_diff(change_id=leaky.pk)

    response = _post(client, leaky.pk, ci_token, _check(leaky, name="secrets", status="pass"))

    assert response.status_code == 400
    leaky.refresh_from_db()
    assert leaky.review_state == Change.ReviewState.GATES_FAILED
    assert GateResult.objects.get(change=leaky, name="secrets").status == "fail"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"status": "maybe"}, "status"),
        ({"name": "   "}, "name"),
        ({"name": "lint\ttab"}, "name"),
        ({"name": "-lint"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"head_sha": "a" * 41}, "head_sha"),
        ({"head_sha": "A" * 40}, "head_sha"),
        ({"details": "one line"}, "details"),
        ({"details": [["nested"]]}, "details"),
        ({"details": ["x" * 501]}, "details"),
        ({"message": "m" * 1001}, "message"),
        ({"status": None}, "status"),
    ],
)
def test_a_malformed_check_is_refused_with_the_field_named(client, change, ci_token, override, field):
    response = _post(client, change.pk, ci_token, _check(change, **override))

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not GateResult.objects.filter(source=GateResult.Source.CI).exists()


def test_spaces_around_a_name_are_trimmed_so_that_one_check_keeps_one_name(client, change, ci_token):
    first = _post(client, change.pk, ci_token, _check(change, name="  lint", status="fail"))
    second = _post(client, change.pk, ci_token, _check(change, name="lint  ", status="pass"))

    assert (first.status_code, second.status_code) == (201, 201)
    assert list(GateResult.objects.filter(source=GateResult.Source.CI).values_list("name", "status")) == [
        ("lint", "pass")
    ]


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        "",
        "[]",
        '"text"',
        "null",
        '{"name": "lint", "status": "pass", "head_sha": NaN}',
        "[" * 100_000 + "]" * 100_000,
        '{"name": "lint", "status": "pass", "head_sha": "%s", "message": "\\ud800"}',
        '{"name": "lint", "status": "pass", "head_sha": "%s", "details": ["\\udfff"]}',
    ],
    ids=["syntax", "empty", "list", "string", "null", "nan", "deep", "surrogate-message", "surrogate-detail"],
)
def test_a_body_that_is_not_a_check_is_a_bad_request(client, change, ci_token, raw):
    body = raw.replace("%s", change.head_sha) if raw.startswith("{") else raw

    response = _post(client, change.pk, ci_token, body, raw=True)

    assert response.status_code == 400
    assert not GateResult.objects.filter(source=GateResult.Source.CI).exists()


UNSTORABLE_VALUES = {
    "nan": ("NaN", "NaN is not a JSON number"),
    "infinity": ("Infinity", "Infinity is not a JSON number"),
    "minus-infinity": ("-Infinity", "-Infinity is not a JSON number"),
    "overflowing-number": ("1e400", "the number 1e400 is out of range"),
    "lone-surrogate": ('"\\ud800"', "a lone UTF-16 surrogate (\\ud800) at $.details[0] is not a character"),
    "nul": ('"a\\u0000b"', "contains U+0000 at $.details[0], which cannot be stored"),
}


@pytest.mark.parametrize(("raw_value", "message"), UNSTORABLE_VALUES.values(), ids=UNSTORABLE_VALUES.keys())
def test_a_value_postgresql_cannot_hold_is_a_bad_request_with_the_reason(client, change, ci_token, raw_value, message):
    body = json.dumps(_check(change, status="pass", details=["placeholder"])).replace('"placeholder"', raw_value)

    response = _post(client, change.pk, ci_token, body, raw=True)

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not GateResult.objects.filter(source=GateResult.Source.CI).exists()


def test_a_nul_in_a_field_is_refused_with_the_field_named(client, change, ci_token):
    response = _post(client, change.pk, ci_token, _check(change, message="nul \x00 byte"))

    assert response.status_code == 400
    assert response.json()["detail"] == "JSON parse error - body contains U+0000 at $.message, which cannot be stored"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=60),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
_check_like = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,20}\Z"), _json),
        "status": st.one_of(st.sampled_from(["pass", "warn", "fail", "maybe"]), _json),
        "head_sha": st.one_of(st.just("HEAD"), st.from_regex(r"\A[0-9a-f]{40}\Z"), _json),
        "message": _json,
        "details": st.one_of(st.lists(st.text(max_size=30), max_size=3), _json),
    },
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(_json, _check_like))
def test_no_body_ever_makes_the_api_fail_with_a_server_error(client, change, ci_token, body):
    if isinstance(body, dict) and body.get("head_sha") == "HEAD":
        body = {**body, "head_sha": change.head_sha}

    response = _post(client, change.pk, ci_token, body)

    assert response.status_code in (201, 400)
    if response.status_code == 201:
        assert GateResult.objects.get(change=change, head_sha=change.head_sha, name=body["name"].strip()).source == "ci"
    else:
        assert response.json()


# What Python writes and PostgreSQL cannot hold: NaN, Infinity, lone surrogates and U+0000 (json.dumps escapes them).
_hostile = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters(codec=None), max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(st.characters(codec=None), max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=_hostile, details=_hostile)
def test_no_value_python_can_write_makes_the_api_fail_with_a_server_error(client, change, ci_token, message, details):
    response = _post(client, change.pk, ci_token, _check(change, message=message, details=details))

    assert response.status_code in (201, 400)
