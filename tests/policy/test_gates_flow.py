"""Gates on real diffs, from git through the diff worker to the review state, and seniors' overrides of them."""

from __future__ import annotations

import pytest

from intake.services.diffs import change_pull_diff
from intake.services.repositories import repository_import, repository_register
from reviews.audit import NotAllowed, ServiceError
from reviews.models import Assignment, AuditEvent, Change, GateOverride, GateResult
from reviews.services.signoff import change_attest, gate_override

AI_TRAILER = "\n\nCo-authored-by: Claude <noreply@anthropic.com>"
DASHES = "-" * 5


def _aws_key() -> str:
    # Built at run time so that this file holds no credential-shaped literal for scanners to flag.
    return "AK" + "IA" + "Q7ZB2M4X" + "K9WR3TPL"


def _private_key() -> str:
    kind = "RSA " + "PRIV" + "ATE KEY"
    return f"{DASHES}BEGIN {kind}{DASHES}\nnot-a-real-key-body\n{DASHES}END {kind}{DASHES}\n"


@pytest.fixture
def people(make_engineer):
    return {
        "junior": make_engineer(4, username="jun", email="jun@example.com"),
        "mid": make_engineer(5, username="mid", email="mid@example.com"),
        "senior": make_engineer(6, username="sen", email="sen@example.com"),
        "staff": make_engineer(7, username="stf", email="stf@example.com"),
    }


def _import_all(work_repo, *, sensitive: tuple[str, ...] = ()):
    repository = repository_register(name="acme/shop", url=str(work_repo.path))
    if sensitive:
        repository.sensitive_paths = list(sensitive)
        repository.save(update_fields=["sensitive_paths"])
    repository_import(repository=repository)
    # Tasks go to the broker and are not run here: do the diff worker's job directly.
    for change_id in Change.objects.order_by("pk").values_list("pk", flat=True):
        change_pull_diff(change_id=change_id)
    return repository


def _open_change(
    work_repo,
    files: dict[str, str],
    *,
    message: str = "Add a feature",
    author: str = "Jun <jun@example.com>",
    sensitive: tuple[str, ...] = (),
) -> Change:
    work_repo.commit({"README.md": "The shop.\n"}, "Initial import", author="Sen <sen@example.com>")
    work_repo.branch("feature/topic")
    work_repo.commit(files, message, author=author)
    work_repo.checkout("main")
    _import_all(work_repo, sensitive=sensitive)
    return Change.objects.get(state=Change.State.OPEN)


def _gates(change: Change) -> dict[str, str]:
    return dict(GateResult.objects.filter(change=change, head_sha=change.head_sha).values_list("name", "status"))


def _secret_change(work_repo, *, message: str = "Configure the S3 client" + AI_TRAILER, **kwargs) -> Change:
    files = {"app/storage.py": f'AWS_ACCESS_KEY_ID = "{_aws_key()}"\n', "tests/test_storage.py": "def test_x():\n"}
    return _open_change(work_repo, files, message=message, **kwargs)


def _override(client, change: Change, engineer, *, gate: str = "secrets", reason: str = "a revoked test key"):
    client.force_login(engineer.user)
    return client.post(f"/changes/{change.pk}/override-gate/", {"gate": gate, "reason": reason})


# --- the built-in gates on real diffs ---------------------------------------------------------------------------


def test_an_aws_key_in_an_open_branch_fails_the_secrets_gate_and_sends_the_change_back(db, people, work_repo):
    change = _secret_change(work_repo)

    secrets = GateResult.objects.get(change=change, head_sha=change.head_sha, name="secrets")
    assert secrets.status == GateResult.Status.FAIL
    assert secrets.source == GateResult.Source.BUILTIN
    assert secrets.details == ["app/storage.py:1: AWS Access Key (AKIA********)"]
    assert change.gates_state == GateResult.Status.FAIL
    assert change.review_state == Change.ReviewState.GATES_FAILED
    assert "gates failing: secrets" in change.policy_missing
    assert not Assignment.objects.exists()


def test_attesting_a_change_whose_gates_fail_does_not_put_it_in_a_queue(db, people, work_repo):
    change = _secret_change(work_repo)

    change_attest(change=change, engineer=people["junior"])

    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.GATES_FAILED
    assert not Assignment.objects.exists()


def test_the_secret_itself_is_never_stored_in_the_gate_result(db, people, work_repo):
    change = _secret_change(work_repo)

    for result in GateResult.objects.filter(change=change):
        assert _aws_key() not in result.message
        assert not any(_aws_key() in detail for detail in result.details)


@pytest.mark.parametrize(
    ("files", "gate", "status", "blocks"),
    [
        ({"keys/server.pem": _private_key()}, "secrets", "fail", True),
        ({"migrations/0001_x.sql": "CREATE TABLE orders (id bigint PRIMARY KEY);\n"}, "migrations", "warn", False),
        ({"notes/big.txt": "".join(f"note {i}\n" for i in range(2000))}, "size", "fail", True),
        ({"poetry.lock": '[[package]]\nname = "requests"\nversion = "2.32.3"\n'}, "lockfiles", "fail", True),
        ({"app/widget.py": "def widget():\n    return 1\n"}, "tests", "warn", False),
    ],
    ids=["private-key", "migration", "size", "lockfile", "no-tests"],
)
def test_each_gate_judges_a_real_diff(db, people, work_repo, files, gate, status, blocks):
    change = _open_change(work_repo, files)

    gates = _gates(change)
    assert gates[gate] == status
    assert {name for name, s in gates.items() if s != "pass"} == {gate}
    assert change.gates_state == status
    assert (change.review_state == Change.ReviewState.GATES_FAILED) is blocks
    assert (f"gates failing: {gate}" in change.policy_missing) is blocks


def test_a_warning_gate_does_not_hold_up_an_ai_assisted_change(db, people, work_repo):
    change = _open_change(
        work_repo,
        {"migrations/0001_x.sql": "CREATE TABLE orders (id bigint PRIMARY KEY);\n"},
        message="Add the orders table" + AI_TRAILER,
    )
    assert change.review_state == Change.ReviewState.AWAITING_ATTESTATION

    change_attest(change=change, engineer=people["junior"])

    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert change.assignments.get().reviewer in (people["senior"], people["staff"])


def test_the_size_gate_explains_the_limit_and_the_policy_says_to_split(db, people, work_repo):
    change = _open_change(work_repo, {"notes/big.txt": "".join(f"note {i}\n" for i in range(2000))})

    size = GateResult.objects.get(change=change, name="size")
    assert size.message.startswith("2000 changed lines, above the limit of 1000")
    assert "size-limit" in change.policy_rules
    assert any("above the size limit of 1000" in reason for reason in change.policy_reasons)


def test_merged_history_with_a_failing_gate_is_audited_but_not_sent_back(db, people, work_repo):
    work_repo.commit({"README.md": "The shop.\n"}, "Initial import", author="Sen <sen@example.com>")
    work_repo.commit({"app/storage.py": f'KEY = "{_aws_key()}"\n'}, "Hotfix storage", author="Jun <jun@example.com>")
    _import_all(work_repo)

    merged = Change.objects.get(title="Hotfix storage")
    assert merged.state == Change.State.MERGED
    assert _gates(merged)["secrets"] == "fail"
    assert merged.gates_state == GateResult.Status.FAIL
    assert merged.review_state != Change.ReviewState.GATES_FAILED
    assert not any(m.startswith("gates failing") for m in merged.policy_missing)


# --- overrides --------------------------------------------------------------------------------------------------


def test_a_senior_overrides_a_failed_gate_and_the_change_moves_on(client, db, people, work_repo):
    change = _secret_change(work_repo)
    change_attest(change=change, engineer=people["junior"])

    response = _override(client, change, people["senior"], reason="  the key in this fixture was revoked  ")

    assert response.status_code == 302
    override = GateOverride.objects.get(change=change)
    assert (override.gate_name, override.head_sha, override.senior) == ("secrets", change.head_sha, people["senior"])
    assert override.reason == "the key in this fixture was revoked"
    event = AuditEvent.objects.get(action="gate.overridden")
    assert event.actor == people["senior"].user
    assert event.payload == {"gate": "secrets", "sha": change.head_sha, "reason": "the key in this fixture was revoked"}
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert change.gates_state != GateResult.Status.FAIL
    assert not any(m.startswith("gates failing") for m in change.policy_missing)
    assignment = change.assignments.get()
    assert assignment.state == Assignment.State.ACTIVE
    assert assignment.reviewer in (people["senior"], people["staff"])


def test_an_override_before_attestation_leaves_the_change_waiting_for_it(db, people, work_repo):
    change = _secret_change(work_repo)

    gate_override(change=change, senior=people["staff"], gate_name="secrets", reason="revoked fixture key")

    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.AWAITING_ATTESTATION
    assert change.policy_missing == ["attestation missing", "needs 1 more senior sign-off"]
    assert not change.assignments.exists()
    change_attest(change=change, engineer=people["junior"])
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert change.assignments.filter(state=Assignment.State.ACTIVE).count() == 1


def test_the_change_page_shows_the_override(client, db, people, work_repo):
    change = _secret_change(work_repo)
    gate_override(change=change, senior=people["staff"], gate_name="secrets", reason="revoked fixture key")

    client.force_login(people["senior"].user)
    response = client.get(f"/changes/{change.pk}/")

    assert response.status_code == 200
    assert "overridden" in response.content.decode()
    assert "revoked fixture key" in response.content.decode()


def test_the_author_cannot_override_a_gate_on_their_own_change(client, db, people, work_repo):
    change = _secret_change(work_repo, message="Configure the S3 client", author="Stf <stf@example.com>")
    assert change.review_state == Change.ReviewState.GATES_FAILED

    response = _override(client, change, people["staff"])

    assert response.status_code == 403
    with pytest.raises(NotAllowed, match="own change"):
        gate_override(change=change, senior=people["staff"], gate_name="secrets", reason="revoked test key")
    assert not GateOverride.objects.exists()
    assert not AuditEvent.objects.filter(action="gate.overridden").exists()


@pytest.mark.parametrize("level_name", ["junior", "mid"])
def test_an_engineer_below_senior_cannot_override_a_gate(client, db, people, work_repo, level_name):
    change = _secret_change(work_repo, message="Configure the S3 client", author="Stf <stf@example.com>")

    response = _override(client, change, people[level_name])

    assert response.status_code == 403
    with pytest.raises(NotAllowed, match="senior"):
        gate_override(change=change, senior=people[level_name], gate_name="secrets", reason="revoked key!")
    assert not GateOverride.objects.exists()
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.GATES_FAILED


def test_a_visitor_without_an_engineer_profile_cannot_override(client, db, people, work_repo, django_user_model):
    change = _secret_change(work_repo)
    client.force_login(django_user_model.objects.create_user(username="visitor", password="pw-for-tests-only"))

    response = client.post(f"/changes/{change.pk}/override-gate/", {"gate": "secrets", "reason": "looks harmless"})

    assert response.status_code == 403
    assert not GateOverride.objects.exists()


@pytest.mark.parametrize("reason", ["", "too short", "   short    "])
def test_an_override_needs_a_reason_of_ten_characters(client, db, people, work_repo, reason):
    change = _secret_change(work_repo)

    response = _override(client, change, people["senior"], reason=reason)

    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "write a reason of at least 10 characters" in page
    with pytest.raises(ServiceError, match="at least 10 characters"):
        gate_override(change=change, senior=people["senior"], gate_name="secrets", reason=reason)
    assert not GateOverride.objects.exists()
    assert not AuditEvent.objects.filter(action="gate.overridden").exists()
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.GATES_FAILED


@pytest.mark.parametrize("gate", ["tests", "size", "no-such-gate", ""])
def test_only_a_failing_gate_can_be_overridden(client, db, people, work_repo, gate):
    change = _open_change(work_repo, {"app/widget.py": "def widget():\n    return 1\n"})
    assert _gates(change)["tests"] == "warn"

    response = _override(client, change, people["senior"], gate=gate)

    assert response.status_code == 302
    assert "is not failing on this revision" in client.get(response.url).content.decode()
    with pytest.raises(ServiceError, match="not failing"):
        gate_override(change=change, senior=people["senior"], gate_name=gate, reason="nothing to see here")
    assert not GateOverride.objects.exists()


def test_a_gate_cannot_be_overridden_twice_on_the_same_revision(db, people, work_repo):
    change = _secret_change(work_repo)
    gate_override(change=change, senior=people["senior"], gate_name="secrets", reason="revoked fixture key")

    with pytest.raises(ServiceError, match="not failing"):
        gate_override(change=change, senior=people["staff"], gate_name="secrets", reason="revoked again!!")
    assert GateOverride.objects.count() == 1


def test_an_override_holds_for_its_revision_only(db, people, work_repo):
    change = _secret_change(work_repo)
    gate_override(change=change, senior=people["senior"], gate_name="secrets", reason="revoked fixture key")
    work_repo.checkout("feature/topic")
    work_repo.commit(
        {"app/storage.py": f'AWS_ACCESS_KEY_ID = "{_aws_key()}"\nREGION = "eu-west-1"\n'},
        "Set the region" + AI_TRAILER,
        author="Jun <jun@example.com>",
    )
    work_repo.checkout("main")

    repository_import(repository=change.repository)
    change_pull_diff(change_id=change.pk)

    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.GATES_FAILED
    assert "gates failing: secrets" in change.policy_missing
    assert change.gates_state == GateResult.Status.FAIL


def test_pulling_the_same_revision_again_keeps_the_override(db, people, work_repo):
    change = _secret_change(work_repo)
    change_attest(change=change, engineer=people["junior"])
    gate_override(change=change, senior=people["senior"], gate_name="secrets", reason="revoked fixture key")
    Change.objects.filter(pk=change.pk).update(diff_sha="")

    change_pull_diff(change_id=change.pk)

    change.refresh_from_db()
    assert _gates(change)["secrets"] == "fail"
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert change.assignments.filter(state=Assignment.State.ACTIVE).count() == 1
