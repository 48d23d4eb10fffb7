"""Git host webhook parsing and authentication (intake.hostevents), on payloads shaped like the hosts' docs."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.hostevents import (
    HostChange,
    HostCommit,
    HostEvent,
    PayloadError,
    parse_github,
    parse_gitlab,
    parse_time,
)
from intake.signatures import verify_github_signature, verify_gitlab_token

FIXTURES = Path(__file__).parent / "fixtures"

BASE_SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
HEAD1 = "1b9d6bcdbbfd4b2d9a7b3c2e1f0a9b8c7d6e5f4a"
HEAD2 = "c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7"
MERGE = "e5bd3914e2e596debea16f433f57875b5b90bcd6"
GL_HEAD1 = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
GL_HEAD2 = "b83d6e391c22777fca1ed3012fce84f633d7fed0"
GL_MERGE = "279484c09fbe69ededfced8c1bb6e6d24616b468"

GITHUB_EVENTS = ["pull_request", "pull_request_review", "push", "deployment_status", "ping"]
GITLAB_EVENTS = ["Merge Request Hook", "Push Hook", "Deployment Hook"]


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 20, hour, minute, tzinfo=UTC)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- GitHub: every documented event we use, parsed in full ---------------------------------------

PR_OPENED = HostChange(
    number=42,
    title="Retry payment gateway calls",
    body="Wraps `gateway.charge` in a bounded retry with jitter.\r\n\r\nCloses #40",
    author_login="ada-lovelace",
    head_sha=HEAD1,
    head_ref="feature/retry-payments",
    base_ref="main",
    state="open",
    draft=False,
    labels=("payments", "ai-assisted"),
    opened_at=at(10),
    merged_at=None,
    updated_at=at(10),
    new_commits=True,
    base_sha=BASE_SHA,
    merge_sha="",  # GitHub sends a test-merge SHA for open pull requests: not a landed commit
)


def _pr(action: str, **fields) -> HostEvent:
    return HostEvent(kind="change", action=action, repository="octo/shop", change=replace(PR_OPENED, **fields))


GITHUB_CASES = [
    ("pull_request", "pull_request.opened.json", _pr("opened")),
    ("pull_request", "pull_request.synchronize.json", _pr("synchronize", head_sha=HEAD2, updated_at=at(11))),
    (
        "pull_request",
        "pull_request.edited.json",
        _pr("edited", title="Retry payment gateway calls with backoff", updated_at=at(10, 30)),
    ),
    (
        "pull_request",
        "pull_request.converted_to_draft.json",
        _pr("converted_to_draft", draft=True, updated_at=at(10, 5)),
    ),
    ("pull_request", "pull_request.ready_for_review.json", _pr("ready_for_review", updated_at=at(10, 10))),
    (
        "pull_request",
        "pull_request.closed_merged.json",
        _pr("closed", state="merged", head_sha=HEAD2, merged_at=at(12), updated_at=at(12), merge_sha=MERGE),
    ),
    (
        "pull_request",
        "pull_request.closed_unmerged.json",
        _pr("closed", state="closed", head_sha=HEAD2, updated_at=at(12)),
    ),
    ("pull_request", "pull_request.reopened.json", _pr("reopened", head_sha=HEAD2, updated_at=at(13))),
    (
        "pull_request_review",
        "pull_request_review.approved.json",
        HostEvent(
            kind="review",
            action="submitted",
            repository="octo/shop",
            change=replace(PR_OPENED, updated_at=at(10, 20)),
            reviewer_login="grace-hopper",
            review_state="approved",
            review_sha=HEAD1,
            reviewed_at=at(10, 20),
            host_review_id="1487395120",
            review_body="Bounded and jittered, good.",
        ),
    ),
    (
        "pull_request_review",
        "pull_request_review.changes_requested.json",
        HostEvent(
            kind="review",
            action="submitted",
            repository="octo/shop",
            change=replace(PR_OPENED, updated_at=at(10, 20)),
            reviewer_login="grace-hopper",
            review_state="changes_requested",
            review_sha=HEAD1,
            reviewed_at=at(10, 20),
            host_review_id="1487395121",
            review_body="Cap the retries at three.",
        ),
    ),
    (
        "push",
        "push.json",
        HostEvent(
            kind="push",
            action="push",
            repository="octo/shop",
            ref="main",
            after=MERGE,
            commits=(
                HostCommit(
                    sha=HEAD2,
                    message="Retry payment gateway calls\n\nCo-authored-by: Claude <noreply@anthropic.com>",
                    author_email="grace@example.com",
                ),
                HostCommit(
                    sha=MERGE,
                    message="Merge pull request #42 from octo/feature/retry-payments\n\nRetry payment gateway calls",
                    author_email="grace@example.com",
                ),
            ),
        ),
    ),
    (
        "deployment_status",
        "deployment_status.json",
        HostEvent(
            kind="deployment",
            action="created",
            repository="octo/shop",
            environment="production",
            deployment_state="success",
            deployment_sha=MERGE,
            deployed_at=at(12, 30),
            services=("shop-api", "shop-worker"),
        ),
    ),
    ("ping", "ping.json", HostEvent(kind="ping", action="", repository="octo/shop")),
]


@pytest.mark.parametrize(("event", "fixture", "expected"), GITHUB_CASES, ids=[c[1] for c in GITHUB_CASES])
def test_github_documented_payload_parses_into_the_expected_event(event, fixture, expected):
    assert parse_github(event, load(f"github/{fixture}")) == expected


# --- GitLab ----------------------------------------------------------------------------------------

MR_OPENED = HostChange(
    number=7,
    title="Retry failed payment runs",
    body="Retries a failed payment run once, after a delay.",
    author_login="ada.lovelace",
    head_sha=GL_HEAD1,
    head_ref="feature/retry-runs",
    base_ref="main",
    state="open",
    draft=False,
    labels=("payments",),
    opened_at=at(10),  # GitLab's "2026-11-20 10:00:00 UTC" form
    merged_at=None,
    updated_at=at(10),
    new_commits=True,
    author_host_id=51,
)


def _mr(action: str, **fields) -> HostEvent:
    # Every action names the author by id (object_attributes.author_id); `user` is whoever acted, so their
    # username is the author's only when their id is the author's (Ada, 51, in these fixtures; Grace merges).
    fields.setdefault("author_login", "ada.lovelace")
    return HostEvent(kind="change", action=action, repository="platform/billing", change=replace(MR_OPENED, **fields))


GITLAB_CASES = [
    ("Merge Request Hook", "merge_request.open.json", _mr("opened", author_login="ada.lovelace")),
    (
        "Merge Request Hook",
        "merge_request.update_commits.json",
        _mr("synchronize", head_sha=GL_HEAD2, updated_at=at(11), new_commits=True),
    ),
    (
        "Merge Request Hook",
        "merge_request.update_labels.json",
        _mr(
            "synchronize",
            title="Retry failed payment runs once",
            labels=("payments", "needs-sign-off"),
            updated_at=at(10, 30),
            new_commits=False,
        ),
    ),
    ("Merge Request Hook", "merge_request.close.json", _mr("closed", state="closed", updated_at=at(12))),
    ("Merge Request Hook", "merge_request.reopen.json", _mr("reopened", updated_at=at(13))),
    (
        "Merge Request Hook",
        "merge_request.merge.json",
        _mr(
            "closed",
            state="merged",
            head_sha=GL_HEAD2,
            merged_at=at(12),
            updated_at=at(12),
            merge_sha=GL_MERGE,
            author_login="",
        ),
    ),
    (
        "Merge Request Hook",
        "merge_request.approved.json",
        HostEvent(
            kind="review",
            action="approved",
            repository="platform/billing",
            change=replace(MR_OPENED, author_login="", updated_at=at(10, 20)),
            reviewer_login="grace.hopper",
            review_state="approved",
            host_review_id=f"gitlab-approval:7:6:{GL_HEAD1}",
        ),
    ),
    (
        "Push Hook",
        "push.json",
        HostEvent(
            kind="push",
            action="push",
            repository="platform/billing",
            ref="main",
            after=GL_MERGE,
            commits=(
                HostCommit(
                    sha=GL_MERGE,
                    message="Merge branch 'feature/retry-runs' into 'main'\n\nRetry failed payment runs\n\n"
                    "See merge request platform/billing!7",
                    author_email="grace@example.com",
                ),
                HostCommit(sha=GL_HEAD2, message="Retry failed payment runs once\n", author_email="ada@example.com"),
            ),
        ),
    ),
    (
        "Deployment Hook",
        "deployment.json",
        HostEvent(
            kind="deployment",
            action="success",
            repository="platform/billing",
            environment="production",
            deployment_state="success",
            deployment_sha=GL_MERGE,
            deployed_at=at(12, 30),  # "2026-11-20 13:30:00 +0100"
        ),
    ),
]


@pytest.mark.parametrize(("event", "fixture", "expected"), GITLAB_CASES, ids=[c[1] for c in GITLAB_CASES])
def test_gitlab_documented_payload_parses_into_the_expected_event(event, fixture, expected):
    assert parse_gitlab(event, load(f"gitlab/{fixture}")) == expected


def test_gitlab_payload_is_recognised_by_object_kind_when_the_event_header_is_unfamiliar():
    assert parse_gitlab("System Hook", load("gitlab/merge_request.open.json")) == GITLAB_CASES[0][2]


# --- authentication --------------------------------------------------------------------------------

BODY = b'{"zen": "Design for failure."}'


@pytest.mark.parametrize(
    ("secret", "header", "expected"),
    [
        ("s3cret", sign("s3cret", BODY), True),
        ("s3cret", "  " + sign("s3cret", BODY) + "\n", False),  # a header must start with the scheme
        ("s3cret", sign("s3cret", BODY) + " ", True),  # trailing whitespace from a proxy is tolerated
        ("s3cret", sign("wrong", BODY), False),
        ("s3cret", sign("s3cret", BODY + b" "), False),
        ("s3cret", sign("s3cret", BODY).removeprefix("sha256="), False),
        ("s3cret", "sha1=" + hmac.new(b"s3cret", BODY, hashlib.sha1).hexdigest(), False),
        ("s3cret", sign("s3cret", BODY).upper().replace("SHA256=", "sha256="), False),
        ("s3cret", "sha256=", False),
        ("s3cret", "", False),
        ("s3cret", "sha256=é" + "0" * 63, False),
        ("", sign("", BODY), False),  # no secret configured: nothing is trusted
        ("", "", False),
    ],
    ids=[
        "good",
        "leading-space",
        "trailing-space",
        "wrong-secret",
        "tampered-body",
        "missing-prefix",
        "sha1",
        "upper-case-hex",
        "empty-digest",
        "missing",
        "non-ascii",
        "empty-secret",
        "empty-both",
    ],
)
def test_github_signature_is_checked_over_the_raw_body(secret, header, expected):
    assert verify_github_signature(secret, BODY, header) is expected


@pytest.mark.parametrize(
    ("secret", "header", "expected"),
    [
        ("gl-token", "gl-token", True),
        ("gl-token", "gl-token2", False),
        ("gl-token", "GL-TOKEN", False),
        ("gl-token", "", False),
        ("gl-token", "gl-tökén", False),
        ("", "", False),
        ("", "anything", False),
    ],
)
def test_gitlab_token_must_equal_the_configured_token(secret, header, expected):
    assert verify_gitlab_token(secret, header) is expected


# --- wrong shapes ----------------------------------------------------------------------------------


def _set(path: str, value):
    """A mutation that sets a dotted path ('pull_request.head.sha') to a value, or deletes it when value is DROP."""

    def mutate(payload: dict) -> dict:
        *parents, last = path.split(".")
        node = payload
        for key in parents:
            node = node[key]
        if value is DROP:
            del node[last]
        else:
            node[last] = value
        return payload

    return mutate


DROP = object()

GITHUB_MALFORMED = [
    ("pull_request", "pull_request.opened.json", _set("pull_request.head.sha", DROP)),
    ("pull_request", "pull_request.opened.json", _set("pull_request.head.sha", HEAD1[:12])),
    ("pull_request", "pull_request.opened.json", _set("pull_request.head.sha", HEAD1.upper())),
    ("pull_request", "pull_request.opened.json", _set("pull_request.head.sha", "g" * 40)),
    ("pull_request", "pull_request.opened.json", _set("pull_request.head.sha", 12345)),
    ("pull_request", "pull_request.opened.json", _set("pull_request.number", -1)),
    ("pull_request", "pull_request.opened.json", _set("pull_request.number", True)),
    ("pull_request", "pull_request.opened.json", _set("pull_request.number", "42")),
    ("pull_request", "pull_request.opened.json", _set("pull_request.number", 42.0)),
    ("pull_request", "pull_request.opened.json", _set("pull_request.number", None)),
    ("pull_request", "pull_request.opened.json", _set("pull_request.number", 2**31)),  # past PostgreSQL's integer
    ("pull_request", "pull_request.opened.json", _set("pull_request.head.ref", "--upload-pack=x")),
    ("pull_request", "pull_request.opened.json", _set("pull_request.head.ref", "a..b")),
    ("pull_request", "pull_request.opened.json", _set("pull_request.head.ref", "")),
    ("pull_request", "pull_request.opened.json", _set("pull_request.base.ref", "-main")),
    ("pull_request", "pull_request.opened.json", _set("pull_request.base.ref", "refs/heads/../../etc")),
    ("pull_request", "pull_request.opened.json", _set("pull_request.head", DROP)),
    ("pull_request", "pull_request.opened.json", _set("pull_request.head", "feature/retry-payments")),
    ("pull_request", "pull_request.opened.json", _set("pull_request.user", ["ada-lovelace"])),
    ("pull_request", "pull_request.opened.json", _set("pull_request.title", None)),
    ("pull_request", "pull_request.opened.json", _set("pull_request.state", 1)),
    ("pull_request", "pull_request.opened.json", _set("pull_request", [])),
    ("pull_request", "pull_request.opened.json", _set("repository", "octo/shop")),
    ("pull_request", "pull_request.opened.json", _set("repository", ["octo/shop"])),
    ("pull_request", "pull_request.opened.json", _set("repository", None)),
    ("pull_request", "pull_request.opened.json", _set("repository.full_name", 1296269)),
    ("ping", "ping.json", _set("repository", ["octo/shop"])),
    ("ping", "ping.json", _set("repository", "octo/shop")),
    ("pull_request_review", "pull_request_review.approved.json", _set("review.user", DROP)),
    ("pull_request_review", "pull_request_review.approved.json", _set("review.state", None)),
    ("pull_request_review", "pull_request_review.approved.json", _set("review", "approved")),
    ("pull_request_review", "pull_request_review.approved.json", _set("review.id", DROP)),
    ("pull_request_review", "pull_request_review.approved.json", _set("review.id", "1487395120")),
    ("pull_request_review", "pull_request_review.approved.json", _set("review.id", 0)),
    ("push", "push.json", _set("commits", {"id": HEAD2})),
    ("push", "push.json", _set("commits", ["not an object"])),
    ("push", "push.json", _set("ref", "refs/heads/--upload-pack=x")),
    ("push", "push.json", _set("ref", None)),
    ("deployment_status", "deployment_status.json", _set("deployment.sha", "main")),
    ("deployment_status", "deployment_status.json", _set("deployment_status", None)),
]


@pytest.mark.parametrize(("event", "fixture", "mutate"), GITHUB_MALFORMED)
def test_github_payload_of_the_wrong_shape_is_refused(event, fixture, mutate):
    with pytest.raises(PayloadError):
        parse_github(event, mutate(load(f"github/{fixture}")))


GITLAB_MALFORMED = [
    ("Merge Request Hook", "merge_request.open.json", _set("object_attributes.last_commit", DROP)),
    ("Merge Request Hook", "merge_request.open.json", _set("object_attributes.last_commit.id", GL_HEAD1[:8])),
    ("Merge Request Hook", "merge_request.open.json", _set("object_attributes.iid", "7")),
    ("Merge Request Hook", "merge_request.open.json", _set("object_attributes.iid", -7)),
    ("Merge Request Hook", "merge_request.open.json", _set("object_attributes.iid", False)),
    ("Merge Request Hook", "merge_request.open.json", _set("object_attributes.source_branch", "--upload-pack=x")),
    ("Merge Request Hook", "merge_request.open.json", _set("object_attributes.target_branch", "main..evil")),
    ("Merge Request Hook", "merge_request.open.json", _set("object_attributes", None)),
    ("Merge Request Hook", "merge_request.open.json", _set("project", "platform/billing")),
    ("Merge Request Hook", "merge_request.open.json", _set("project.path_with_namespace", DROP)),
    ("Merge Request Hook", "merge_request.approved.json", _set("user", DROP)),
    ("Push Hook", "push.json", _set("commits", "many")),
    ("Push Hook", "push.json", _set("ref", "refs/heads/-x")),
    (
        "Deployment Hook",
        "deployment.json",
        _set("commit_url", "https://gitlab.example.com/platform/billing/-/commit/main"),
    ),
    ("Deployment Hook", "deployment.json", _set("commit_url", None)),
]


@pytest.mark.parametrize(("event", "fixture", "mutate"), GITLAB_MALFORMED)
def test_gitlab_payload_of_the_wrong_shape_is_refused(event, fixture, mutate):
    with pytest.raises(PayloadError):
        parse_gitlab(event, mutate(load(f"gitlab/{fixture}")))


@pytest.mark.parametrize("payload", [[], "text", 42, None, True])
def test_payload_that_is_not_an_object_is_refused(payload):
    with pytest.raises(PayloadError):
        parse_github("pull_request", payload)
    with pytest.raises(PayloadError):
        parse_gitlab("Merge Request Hook", payload)


def test_user_is_optional_on_a_pull_request():
    payload = load("github/pull_request.opened.json")
    payload["pull_request"]["user"] = None

    assert parse_github("pull_request", payload).change.author_login == ""


# --- what the portal does not use is ignored, not refused -----------------------------------------


@pytest.mark.parametrize(
    ("event", "fixture", "mutate", "note"),
    [
        ("issues", "pull_request.opened.json", _set("action", "opened"), "event 'issues' not used"),
        ("pull_request", "pull_request.opened.json", _set("action", "assigned"), "action 'assigned' not used"),
        ("pull_request", "pull_request.opened.json", _set("action", "review_requested"), "action 'review_requested'"),
        ("pull_request_review", "pull_request_review.approved.json", _set("review.state", "dismissed"), "dismissed"),
        ("pull_request_review", "pull_request_review.approved.json", _set("action", "edited"), "review edited"),
        ("push", "push.json", _set("ref", "refs/tags/v2026.11.20"), "not a branch push"),
    ],
)
def test_github_event_the_portal_does_not_use_is_ignored(event, fixture, mutate, note):
    parsed = parse_github(event, mutate(load(f"github/{fixture}")))

    assert parsed.kind == "ignored"
    assert parsed.repository == "octo/shop"
    assert note in parsed.note


@pytest.mark.parametrize(
    ("event", "fixture", "mutate", "note"),
    [
        ("Note Hook", "push.json", _set("object_kind", "note"), "event 'Note Hook' not used"),
        ("Merge Request Hook", "merge_request.open.json", _set("object_attributes.action", "approval_reset"), "reset"),
        ("Merge Request Hook", "merge_request.open.json", _set("object_attributes.action", DROP), "action '' not used"),
        ("Push Hook", "push.json", _set("ref", "refs/tags/v1.4.0"), "not a branch push"),
    ],
)
def test_gitlab_event_the_portal_does_not_use_is_ignored(event, fixture, mutate, note):
    parsed = parse_gitlab(event, mutate(load(f"gitlab/{fixture}")))

    assert parsed.kind == "ignored"
    assert parsed.repository == "platform/billing"
    assert note in parsed.note


def test_review_without_a_commit_id_has_no_review_sha():
    payload = load("github/pull_request_review.approved.json")
    payload["review"]["commit_id"] = None

    assert parse_github("pull_request_review", payload).review_sha == ""


def test_a_dismissed_github_review_is_a_dismissal_naming_the_review():
    payload = load("github/pull_request_review.approved.json")
    payload["action"] = "dismissed"
    payload["review"]["state"] = "dismissed"

    parsed = parse_github("pull_request_review", payload)

    assert (parsed.kind, parsed.action, parsed.review_state) == ("review", "dismissed", "dismissed")
    assert (parsed.host_review_id, parsed.reviewer_login) == ("1487395120", "grace-hopper")


def test_github_review_ids_past_32_bits_are_kept_whole():
    payload = load("github/pull_request_review.approved.json")
    payload["review"]["id"] = 3_000_000_001

    assert parse_github("pull_request_review", payload).host_review_id == "3000000001"


@pytest.mark.parametrize("action", ["unapproved", "unapproval"])
def test_a_gitlab_unapproval_withdraws_every_approval_of_that_approver_on_the_request(action):
    payload = load("gitlab/merge_request.approved.json")
    payload["object_attributes"]["action"] = action

    parsed = parse_gitlab("Merge Request Hook", payload)

    assert (parsed.kind, parsed.action, parsed.review_state) == ("review", action, "dismissed")
    assert (parsed.host_review_id, parsed.reviewer_login) == ("gitlab-approval:7:6", "grace.hopper")


@pytest.mark.parametrize("action", ["approved", "approval"])
def test_a_gitlab_approval_is_keyed_by_request_approver_and_head(action):
    payload = load("gitlab/merge_request.approved.json")
    payload["object_attributes"]["action"] = action

    assert parse_gitlab("Merge Request Hook", payload).host_review_id == f"gitlab-approval:7:6:{GL_HEAD1}"


# --- times -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20T10:00:00Z", at(10)),
        ("2026-11-20 10:00:00 UTC", at(10)),
        ("2026-11-20T11:00:00+0100", at(10)),
        ("2026-11-20 11:00:00 +0100", at(10)),
        ("2026-11-20T09:00:00-0100", at(10)),
        ("2026-11-20T11:00:00+01:00", at(10)),
        ("2026-11-20T10:00:00.250Z", at(10) + timedelta(milliseconds=250)),
        ("2026-11-20T10:00:00", at(10)),  # no offset: hosts mean UTC
        (" 2026-11-20T10:00:00Z ", at(10)),
        ("garbage", None),
        ("2026-13-45T10:00:00Z", None),
        ("20/11/2026 10:00", None),
        ("", None),
        (None, None),
        (1795168800, None),
        (["2026-11-20T10:00:00Z"], None),
        ("9999-12-31T23:59:59-23:59", None),  # later than any datetime once in UTC
        ("0001-01-01T00:00:00+01:00", None),  # earlier than any datetime once in UTC
    ],
)
def test_parse_time_reads_the_forms_hosts_send(value, expected):
    parsed = parse_time(value)

    assert parsed == expected
    assert parsed is None or parsed.tzinfo is not None


@given(
    moment=st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1)),
    minutes=st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
)
def test_parse_time_round_trips_iso_8601_with_any_offset(moment, minutes):
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))

    assert parse_time(aware.isoformat()) == aware


@given(value=st.text(max_size=40))
def test_parse_time_of_any_text_is_a_utc_aware_datetime_or_none(value):
    parsed = parse_time(value)

    assert parsed is None or parsed.utcoffset() == timedelta(0)


# --- untrusted input: only PayloadError ever escapes -----------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
json_objects = st.dictionaries(
    st.sampled_from(["action", "repository", "project", "pull_request", "object_kind", "ref", "commits"])
    | st.text(max_size=12),
    json_values,
    max_size=6,
)

# Nested objects the parsers never read: mutating them only slows the search down.
UNREAD = {"repo", "_links", "owner", "organization", "sender", "hook", "creator", "source", "target", "merged_by"}
GITHUB_FIXTURES = {case[1]: (case[0], load(f"github/{case[1]}")) for case in GITHUB_CASES}
GITLAB_FIXTURES = {case[1]: (case[0], load(f"gitlab/{case[1]}")) for case in GITLAB_CASES}


def _paths(value, prefix: tuple = ()):
    yield prefix
    if isinstance(value, dict):
        items = [(k, v) for k, v in value.items() if k not in UNREAD]
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        items = []
    for key, item in items:
        yield from _paths(item, (*prefix, key))


def _replaced(payload: dict, path: tuple, value):
    if not path:
        return value
    payload = copy.deepcopy(payload)
    node = payload
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return payload


def _mutated(fixtures: dict):
    @st.composite
    def build(draw):
        event, payload = fixtures[draw(st.sampled_from(sorted(fixtures)))]
        path = draw(st.sampled_from(list(_paths(payload))))
        return event, _replaced(payload, path, draw(json_values))

    return build()


def _parses_or_refuses(parse, event, payload) -> None:
    try:
        parsed = parse(event, payload)
    except PayloadError:
        return
    assert isinstance(parsed, HostEvent)
    assert parsed.kind in {"change", "review", "push", "deployment", "ping", "ignored"}
    if parsed.kind in {"change", "review"}:
        assert 0 <= parsed.change.number < 2**31


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(event=st.sampled_from(GITHUB_EVENTS) | st.text(max_size=20), payload=json_values | json_objects)
def test_parse_github_of_arbitrary_json_raises_nothing_but_payload_error(event, payload):
    _parses_or_refuses(parse_github, event, payload)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(event=st.sampled_from(GITLAB_EVENTS) | st.text(max_size=20), payload=json_values | json_objects)
def test_parse_gitlab_of_arbitrary_json_raises_nothing_but_payload_error(event, payload):
    _parses_or_refuses(parse_gitlab, event, payload)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(case=_mutated(GITHUB_FIXTURES))
def test_parse_github_of_a_documented_payload_with_one_field_replaced_raises_nothing_but_payload_error(case):
    _parses_or_refuses(parse_github, *case)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(case=_mutated(GITLAB_FIXTURES))
def test_parse_gitlab_of_a_documented_payload_with_one_field_replaced_raises_nothing_but_payload_error(case):
    _parses_or_refuses(parse_gitlab, *case)


@pytest.mark.parametrize(
    ("action", "author_id", "actor_id", "author_login"),
    [
        ("update", 51, 51, "ada.lovelace"),  # the author pushed
        ("update", 51, 6, ""),  # someone else pushed: their name is not the author's
        ("merge", 51, 6, ""),
        ("open", None, 51, "ada.lovelace"),  # no author_id: only the open event's user is the author
        ("update", None, 51, ""),
    ],
)
def test_gitlab_author_is_the_acting_user_only_when_their_id_is_the_authors(action, author_id, actor_id, author_login):
    payload = load("gitlab/merge_request.update_commits.json")
    payload["object_attributes"]["action"] = action
    payload["object_attributes"]["author_id"] = author_id
    payload["user"]["id"] = actor_id

    change = parse_gitlab("Merge Request Hook", payload).change

    assert (change.author_login, change.author_host_id) == (author_login, author_id)
