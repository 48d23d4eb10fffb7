"""The sign-off policy end to end on real repositories: revisions, rebases, CODEOWNERS, the policy editor,
policy files kept in a repository, and exemptions."""

from __future__ import annotations

import copy
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from intake.services.diffs import change_pull_diff
from intake.services.repositories import repository_import, repository_register
from policy.document import DEFAULT_POLICY_DATA
from policy.services.drafts import policy_draft_create, policy_draft_save
from policy.services.policies import policy_current, policy_publish
from reviews.models import Assignment, Attestation, AuditEvent, Change, PolicyVersion, Revision, Team
from reviews.services.signoff import change_attest, change_declare_ai, review_submit
from tests.conftest import git

AI_TRAILER = "\n\nCo-authored-by: Claude <noreply@anthropic.com>"
JUN = "Jun <jun@example.com>"
CODEOWNERS = "* @ana\n/payments/ @org/payments-team\n/payments/legacy/ bob@example.com\n"

ONE_SIGN_OFF = {
    "settings": DEFAULT_POLICY_DATA["settings"],
    "rules": [{"name": "every-change", "when": {}, "require": {"sign_offs": 1, "gates_passed": True}}],
}


@pytest.fixture
def people(make_engineer):
    return {
        "junior": make_engineer(4, username="jun", email="jun@example.com"),
        "senior": make_engineer(6, username="sen", email="sen@example.com"),
        "staff": make_engineer(7, username="stf", email="stf@example.com"),
    }


@pytest.fixture
def owners(make_engineer):
    """Ana owns everything by default, the payments team owns payments/, Bob owns payments/legacy/."""
    payments = Team.objects.create(name="Payments", slug="payments-team")
    return {
        "ana": make_engineer(7, username="ana", email="ana@example.com", github_login="ana"),
        "paula": make_engineer(6, username="paula", email="paula@example.com", team=payments),
        "bob": make_engineer(6, username="bob", email="bob@example.com"),
        "junior": make_engineer(4, username="jun", email="jun@example.com"),
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


def _reimport(repository) -> None:
    repository_import(repository=repository)
    for change_id in Change.objects.filter(diff_state=Change.DiffState.PENDING).values_list("pk", flat=True):
        change_pull_diff(change_id=change_id)


def _push(work_repo, branch: str, files: dict, message: str, author: str = JUN) -> str:
    work_repo.checkout(branch)
    sha = work_repo.commit(files, message, author=author, date="2026-11-03T10:00:00+00:00")
    work_repo.checkout("main")
    return sha


def _branch(work_repo, name: str, files: dict, message: str, author: str = JUN) -> None:
    work_repo.branch(name)
    work_repo.commit(files, message, author=author)
    work_repo.checkout("main")


def _approve(change: Change, reviewer, verdict: str = "approve") -> Change:
    change.refresh_from_db()
    review_submit(change=change, reviewer=reviewer, verdict=verdict, head_sha=change.head_sha, seconds_spent=60)
    change.refresh_from_db()
    return change


def _open(title: str) -> Change:
    return Change.objects.get(state=Change.State.OPEN, title=title)


# --- new revisions and rebases ----------------------------------------------------------------------------------


def test_attesting_and_approving_leave_nothing_missing(db, people, work_repo):
    work_repo.commit({"README.md": "The shop.\n"}, "Initial import", author="Sen <sen@example.com>")
    _branch(work_repo, "feature/widget", {"app/widget.py": "W = 1\n"}, "Add widget" + AI_TRAILER)
    _import_all(work_repo)
    change = _open("Add widget")
    assert change.policy_missing == ["attestation missing", "needs 1 more senior sign-off"]

    change_attest(change=change, engineer=people["junior"])
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert change.policy_missing == ["needs 1 more senior sign-off"]

    change = _approve(change, change.assignments.get().reviewer)
    assert change.review_state == Change.ReviewState.APPROVED
    assert change.policy_missing == []


def test_a_new_revision_dismisses_the_approval_and_lapses_the_attestation(db, people, work_repo):
    work_repo.commit({"README.md": "The shop.\n"}, "Initial import", author="Sen <sen@example.com>")
    _branch(work_repo, "feature/widget", {"app/widget.py": "W = 1\n"}, "Add widget" + AI_TRAILER)
    repository = _import_all(work_repo)
    change = _open("Add widget")
    change_attest(change=change, engineer=people["junior"])
    reviewer = Assignment.objects.get(change=change).reviewer
    change = _approve(change, reviewer)
    assert change.review_state == Change.ReviewState.APPROVED
    first_head = change.head_sha

    new_head = _push(work_repo, "feature/widget", {"app/widget.py": "W = 2\n"}, "Tune widget" + AI_TRAILER)
    _reimport(repository)

    change.refresh_from_db()
    assert change.head_sha == new_head != first_head
    assert list(change.revisions.values_list("number", "head_sha")) == [(1, first_head), (2, new_head)]
    assert change.review_state == Change.ReviewState.AWAITING_ATTESTATION
    assert change.policy_missing == ["attestation missing", "needs 1 more senior sign-off"]
    assert Attestation.objects.filter(change=change, head_sha=new_head).count() == 0

    change_attest(change=change, engineer=people["junior"])
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert change.assignments.filter(state=Assignment.State.ACTIVE).count() == 1
    change = _approve(change, reviewer)
    assert change.review_state == Change.ReviewState.APPROVED


def _one_sign_off_change(work_repo, people):
    policy_publish(data=ONE_SIGN_OFF, actor=None, note="every change needs a senior")
    work_repo.commit({"README.md": "The shop.\n"}, "Initial import", author="Sen <sen@example.com>")
    _branch(work_repo, "feature/widget", {"app/widget.py": "W = 1\n", "tests/test_widget.py": "W = 1\n"}, "Add widget")
    repository = _import_all(work_repo)
    change = _open("Add widget")
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert not change.requires_attestation
    return repository, change


def test_a_rebase_that_leaves_the_diff_alone_keeps_the_approval(db, people, work_repo):
    repository, change = _one_sign_off_change(work_repo, people)
    change = _approve(change, people["senior"])
    assert change.review_state == Change.ReviewState.APPROVED
    work_repo.commit({"docs/notes.md": "Release notes.\n"}, "Write notes", author="Sen <sen@example.com>")
    work_repo.checkout("feature/widget")
    committer = {"GIT_COMMITTER_NAME": "Jun", "GIT_COMMITTER_EMAIL": "jun@example.com"}
    git(work_repo.path, "rebase", "-q", "main", env=committer)
    rebased = git(work_repo.path, "rev-parse", "HEAD")
    work_repo.checkout("main")

    _reimport(repository)

    change.refresh_from_db()
    assert change.head_sha == rebased
    first, second = Revision.objects.filter(change=change).order_by("number")
    assert first.patch_id and first.patch_id == second.patch_id
    assert first.base_sha != second.base_sha
    assert change.review_state == Change.ReviewState.APPROVED
    assert change.policy_missing == []


def test_a_new_commit_after_a_rebase_needs_a_new_approval(db, people, work_repo):
    repository, change = _one_sign_off_change(work_repo, people)
    _approve(change, people["senior"])

    _push(work_repo, "feature/widget", {"app/widget.py": "W = 3\n"}, "Change widget")
    _reimport(repository)

    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert change.policy_missing == ["needs 1 more senior sign-off"]


def test_a_request_for_changes_blocks_until_a_newer_revision_is_approved(db, people, work_repo):
    repository, change = _one_sign_off_change(work_repo, people)

    change = _approve(change, people["staff"], verdict="request_changes")
    assert change.review_state == Change.ReviewState.CHANGES_REQUESTED
    change = _approve(change, people["senior"])
    assert change.review_state == Change.ReviewState.CHANGES_REQUESTED  # approving what was found wanting is no answer
    assert "changes requested by a senior" in change.policy_missing

    _push(work_repo, "feature/widget", {"app/widget.py": "W = 4\n"}, "Address review")
    _reimport(repository)
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.CHANGES_REQUESTED

    change = _approve(change, people["senior"])
    assert change.review_state == Change.ReviewState.APPROVED
    assert change.policy_missing == []


# --- CODEOWNERS -------------------------------------------------------------------------------------------------


def _owned_repo(work_repo, branch_files: dict, *, message: str = "Charge in two steps") -> tuple[object, Change]:
    work_repo.commit(
        {".github/CODEOWNERS": CODEOWNERS, "payments/x.py": "X = 1\n", "payments/y.py": "Y = 1\n"},
        "Initial import",
        author="Sen <sen@example.com>",
    )
    _branch(work_repo, "feature/payments", branch_files, message)
    repository = _import_all(work_repo, sensitive=("payments/**",))
    return repository, _open(message)


def test_a_sensitive_change_is_assigned_to_its_codeowner_team(db, owners, work_repo):
    _, change = _owned_repo(work_repo, {"payments/x.py": "X = 2\n", "payments/y.py": "Y = 2\n"})

    assert change.requires_owner
    assert change.owner_paths == ["payments/x.py", "payments/y.py"]
    assert change.path_owners == {"payments/x.py": ["@org/payments-team"], "payments/y.py": ["@org/payments-team"]}
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assignment = change.assignments.get()
    assert assignment.reviewer == owners["paula"]
    assert assignment.reasons[0] == "owner of payments/**"


def test_only_an_owners_approval_satisfies_the_owner_requirement(db, owners, work_repo):
    _, change = _owned_repo(work_repo, {"payments/x.py": "X = 2\n", "payments/y.py": "Y = 2\n"})

    change = _approve(change, owners["ana"])
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert change.policy_missing == ["needs a sign-off from an owner of payments/**"]

    change = _approve(change, owners["paula"])
    assert change.review_state == Change.ReviewState.APPROVED
    assert change.policy_missing == []


def test_the_last_matching_codeowners_line_decides(db, owners, work_repo):
    _, change = _owned_repo(work_repo, {"payments/legacy/old.py": "OLD = 1\n"}, message="Retire old code")

    assert change.path_owners == {"payments/legacy/old.py": ["bob@example.com"]}
    assert change.assignments.get().reviewer == owners["bob"]
    change = _approve(change, owners["paula"])
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    change = _approve(change, owners["bob"])
    assert change.review_state == Change.ReviewState.APPROVED


def test_codeowners_is_read_from_the_base_not_from_the_branch(db, owners, make_engineer, work_repo):
    mallory = make_engineer(6, username="mallory", email="mallory@example.com", github_login="mallory")
    _, change = _owned_repo(
        work_repo,
        {".github/CODEOWNERS": "* @mallory\n", "payments/x.py": "X = 666\n"},
        message="Take over payments",
    )

    assert change.path_owners["payments/x.py"] == ["@org/payments-team"]
    assert change.assignments.get().reviewer == owners["paula"]
    change = _approve(change, mallory)
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert change.policy_missing == ["needs a sign-off from an owner of payments/x.py"]


def test_without_any_recorded_owner_any_senior_may_sign_off_a_sensitive_change(db, people, work_repo):
    work_repo.commit({"payments/x.py": "X = 1\n"}, "Initial import", author="Sen <sen@example.com>")
    _branch(work_repo, "feature/payments", {"payments/x.py": "X = 2\n"}, "Charge twice")
    _import_all(work_repo, sensitive=("payments/**",))
    change = _open("Charge twice")
    assignment = change.assignments.get()
    assert "no owner is recorded for the sensitive paths: any senior may sign off" in assignment.reasons

    change = _approve(change, assignment.reviewer)

    assert change.review_state == Change.ReviewState.APPROVED
    assert change.policy_missing == []


# --- the policy editor ------------------------------------------------------------------------------------------


def _edited(**when) -> dict:
    data = copy.deepcopy(DEFAULT_POLICY_DATA)
    data["rules"][2]["when"].update(when)
    return data


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_user(username="admin", password="pw-for-tests-only", is_staff=True)


def test_any_logged_in_user_reads_the_policy_but_only_admins_see_the_editor(client, db, people):
    client.force_login(people["junior"].user)

    response = client.get("/policy/")

    assert response.status_code == 200
    page = response.content.decode()
    for rule in DEFAULT_POLICY_DATA["rules"]:
        assert rule["name"] in page
    assert "AI-assisted changes by L3–L5 authors need 1 senior sign-off and the author&#x27;s attestation." in page
    assert "Conditions(" not in page
    assert "Edit the policy" not in page
    assert response.context["current"].number == 1


def test_an_anonymous_visitor_is_sent_to_log_in(client, db):
    assert client.get("/policy/").status_code == 302
    assert client.post("/policy/drafts/new/").status_code == 302


def test_only_admins_may_start_a_draft(client, db, people):
    client.force_login(people["staff"].user)

    response = client.post("/policy/drafts/new/")

    assert response.status_code == 403
    assert list(PolicyVersion.objects.values_list("number", flat=True)) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "The policy is not valid JSON"),
        ("[" * 100_000, "The policy is not valid JSON"),
        (json.dumps(_edited(size_above=700)).replace('"size_above": 700', '"size_above": NaN'), "NaN is not a"),
        (json.dumps(_edited(size_above=700)).replace('"size_above": 700', '"size_above": 1e400'), "out of range"),
        ('{"rules": [{"name": "x\\u0000", "when": {}, "require": {}}]}', "contains U+0000 at $.rules[0].name"),
        ('{"rules": [{"name": "x\\ud800", "when": {}, "require": {}}]}', "a lone UTF-16 surrogate (\\ud800)"),
        (json.dumps(_edited(size_above=-1)), "rules[2].when.size_above must be a positive integer"),
        (json.dumps({"settings": {}}), "policy.rules is required"),
        (json.dumps([1, 2]), "policy must be an object"),
    ],
    ids=[*("syntax", "deep", "nan", "overflow", "nul", "surrogate"), *("schema", "no-rules", "not-an-object")],
)
def test_an_invalid_raw_policy_is_refused_with_a_message_and_the_draft_kept(client, db, admin_user, text, message):
    client.force_login(admin_user)
    draft = policy_draft_create(actor=admin_user)

    response = client.post(f"/policy/drafts/{draft.pk}/raw/", {"syntax": "json", "text": text})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["form"].data["text"] == text
    draft.refresh_from_db()
    assert draft.data == PolicyVersion.objects.get(number=1).data


def test_publishing_a_policy_is_audited_and_applies_to_revisions_that_arrive_afterwards(
    client, db, people, admin_user, work_repo
):
    work_repo.commit({"README.md": "The shop.\n"}, "Initial import", author="Sen <sen@example.com>")
    _branch(work_repo, "feature/a", {"app/a.py": "A = 1\n"}, "Add a")
    _branch(work_repo, "feature/b", {"app/b.py": "B = 1\n"}, "Add b")
    repository = _import_all(work_repo)
    assert set(Change.objects.values_list("policy_version__number", flat=True)) == {1}
    client.force_login(admin_user)
    draft = policy_draft_create(actor=admin_user)
    policy_draft_save(draft=draft, data=_edited(size_above=800), actor=admin_user)

    response = client.post(f"/policy/drafts/{draft.pk}/publish/", {"reason": "smaller changes"})

    assert response.status_code == 302
    version = policy_current()
    assert (version.number, version.note, version.source, version.created_by) == (
        2,
        "smaller changes",
        "portal",
        admin_user,
    )
    assert version.data["rules"][2]["when"] == {"size_above": 800}
    event = AuditEvent.objects.get(action="policy.published")
    assert (event.actor, event.target_id) == (admin_user, str(version.pk))
    assert event.payload["before"] == PolicyVersion.objects.get(number=1).data
    assert event.payload["after"] == version.data
    assert (event.payload["reason"], event.payload["draft"]) == ("smaller changes", draft.pk)

    _push(work_repo, "feature/a", {"app/a.py": "A = 2\n"}, "Tune a")
    _reimport(repository)
    change_declare_ai(change=_open("Add b"), engineer=people["junior"], declared=False)

    assert _open("Add a").policy_version.number == 2
    assert _open("Add b").policy_version.number == 1
    assert Change.objects.get(state=Change.State.MERGED).policy_version.number == 1


def test_a_policy_version_page_shows_what_changed(client, db, people):
    policy_current()
    policy_publish(data=_edited(size_above=800), actor=None, note="smaller changes")
    client.force_login(people["junior"].user)

    second = client.get("/policy/v2/")
    first = client.get("/policy/v1/")

    assert second.status_code == 200
    changed = second.context["diff"].changed
    assert [(c.name, c.before, c.after) for c in changed] == [
        (
            "size-limit",
            "Changes of more than 1,000 changed lines need passing automated gates.",
            "Changes of more than 800 changed lines need passing automated gates.",
        )
    ]
    assert "Changes of more than 800 changed lines need passing automated gates." in second.content.decode()
    assert first.status_code == 200
    assert len(first.context["diff"].added) == len(DEFAULT_POLICY_DATA["rules"])
    assert client.get("/policy/v3/").status_code == 404


# --- the policy file kept in a repository -----------------------------------------------------------------------


def test_load_policy_publishes_the_file_on_the_default_branch(db, work_repo):
    policy = _edited(size_above=700)
    sha = work_repo.commit({".countersign/policy.json": json.dumps(policy)}, "Policy", author="Sen <sen@example.com>")
    work_repo.branch("feature/looser")
    work_repo.commit({".countersign/policy.json": json.dumps(_edited(size_above=5000))}, "Looser")
    work_repo.checkout("main")
    repository_register(name="acme/shop", url=str(work_repo.path))
    out = io.StringIO()

    call_command("load_policy", "acme/shop", stdout=out)

    version = policy_current()
    assert version.source == f"acme/shop@{sha[:12]}:.countersign/policy.json"
    assert version.data["rules"][2]["when"] == {"size_above": 700}
    assert out.getvalue().strip() == f"policy version {version.number} published from {version.source}"
    assert AuditEvent.objects.get(action="policy.published").payload["source"] == version.source


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"README.md": "no policy here\n"}, "acme/shop has no .countersign/policy.json on main"),
        ({".countersign/policy.json": "{oops"}, ".countersign/policy.json is not valid JSON"),
        ({".countersign/policy.json": b"\xff\xfe{"}, ".countersign/policy.json is not valid JSON"),
        ({".countersign/policy.json": json.dumps(_edited(size_above=-1))}, "rules[2].when.size_above must be"),
        ({".countersign/policy.json": '{"rules": [{"name": "\\u0000"}]}'}, "contains U+0000 at $.rules[0].name"),
    ],
    ids=["missing", "syntax", "not-utf8", "schema", "nul"],
)
def test_load_policy_refuses_a_missing_or_invalid_file(db, work_repo, files, message):
    work_repo.commit(files, "Policy", author="Sen <sen@example.com>")
    repository_register(name="acme/shop", url=str(work_repo.path))

    with pytest.raises(CommandError) as excinfo:
        call_command("load_policy", "acme/shop", stdout=io.StringIO())

    assert message in str(excinfo.value)
    assert not PolicyVersion.objects.filter(number__gt=1).exists()


def test_load_policy_refuses_an_unknown_repository(db):
    with pytest.raises(CommandError, match="no repository named 'nope/nope'"):
        call_command("load_policy", "nope/nope", stdout=io.StringIO())


# --- exemptions -------------------------------------------------------------------------------------------------

DOCS_EXEMPT = {
    "settings": DEFAULT_POLICY_DATA["settings"],
    "rules": [
        {"name": "every-change", "when": {}, "require": {"sign_offs": 1}},
        {"name": "docs", "when": {"paths": ["docs/**"]}, "exempt": True},
    ],
}


def test_a_docs_exemption_exempts_a_change_without_ai_but_never_an_ai_assisted_one(db, people, work_repo):
    policy_publish(data=DOCS_EXEMPT, actor=None, note="docs need no sign-off")
    work_repo.commit({"README.md": "The shop.\n"}, "Initial import", author="Sen <sen@example.com>")
    _branch(work_repo, "guide/human", {"docs/guide.md": "How to shop.\n"}, "Write the guide")
    _branch(work_repo, "guide/ai", {"docs/faq.md": "Questions.\n"}, "Write the FAQ" + AI_TRAILER)
    _branch(work_repo, "feature/code", {"app/code.py": "C = 1\n"}, "Write code")
    _import_all(work_repo)

    human, ai, code = _open("Write the guide"), _open("Write the FAQ"), _open("Write code")

    assert human.review_state == Change.ReviewState.NOT_REQUIRED
    assert human.policy_rules == ["docs"]
    assert human.policy_reasons == ["docs: change touching docs/guide.md is exempt from sign-off"]
    assert not human.assignments.exists()
    assert ai.ai_assisted
    assert ai.required_sign_offs == 1
    assert ai.policy_rules == ["every-change"]
    assert "exemption 'docs' does not apply: the change is AI-assisted" in ai.policy_reasons
    assert ai.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert ai.assignments.count() == 1
    assert code.review_state == Change.ReviewState.NEEDS_SIGN_OFF


def test_declaring_ai_assistance_takes_the_exemption_away(db, people, work_repo):
    policy_publish(data=DOCS_EXEMPT, actor=None, note="docs need no sign-off")
    work_repo.commit({"README.md": "The shop.\n"}, "Initial import", author="Sen <sen@example.com>")
    _branch(work_repo, "guide/human", {"docs/guide.md": "How to shop.\n"}, "Write the guide")
    _import_all(work_repo)
    change = _open("Write the guide")

    change_declare_ai(change=change, engineer=people["junior"], declared=True)

    change.refresh_from_db()
    assert change.ai_assisted
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert "exemption 'docs' does not apply: the change is AI-assisted" in change.policy_reasons
    assert AuditEvent.objects.filter(action="change.ai_declared").count() == 1


def test_a_docs_exemption_does_not_cover_code_changed_alongside_the_docs(db, people, work_repo):
    policy_publish(data=DOCS_EXEMPT, actor=None, note="docs need no sign-off")
    work_repo.commit({"README.md": "The shop.\n"}, "Initial import", author="Sen <sen@example.com>")
    _branch(work_repo, "guide/mixed", {"docs/guide.md": "How to pay.\n", "payments/x.py": "X = 2\n"}, "Guide and fix")
    _import_all(work_repo, sensitive=("payments/**",))

    change = _open("Guide and fix")

    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
