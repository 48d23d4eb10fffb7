"""The policy editor: drafts edited in the rule form or as raw JSON/YAML through one validator, the 30-day preview,
publishing with a reason (audited), and who may do any of it."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from django.utils import timezone

from assignment.services.preview import policy_preview
from policy.document import DEFAULT_POLICY_DATA, PolicyError, glob_fault, parse_policy
from policy.services.drafts import policy_draft_create, policy_draft_publish, policy_draft_save
from policy.services.policies import policy_current
from reviews.audit import NotAllowed, ServiceError
from reviews.models import AuditEvent, PolicyDraft, PolicyVersion
from tests.assignment.whatif_history import EVERY_CHANGE, build

PASSWORD = "pw-for-tests-only"


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_user(username="root", password=PASSWORD, is_staff=True)


@pytest.fixture
def as_admin(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def draft(admin) -> PolicyDraft:
    return policy_draft_create(actor=admin)


def rule_post(**overrides) -> dict:
    fields = {
        "name": "ai-assisted-junior-or-mid",
        "description": "",
        "ai_assisted": "yes",
        "agent_opened": "",
        "author_is_bot": "",
        "sensitive": "",
        "author_level_at_most": "4",
        "size_above": "",
        "risk_above": "",
        "paths": "",
        "repositories": "",
        "services": "",
        "sign_offs": "1",
        "attestation": "on",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


# --- the validator: strict CODEOWNERS-style patterns ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "fault"),
    [
        ("src/auth/", ""),
        ("db/migrations/**", ""),
        ("**/*.tf", ""),
        ("/infra/**/main.tf", ""),
        ("*", ""),
        ("src/**x", "may use ** only as a whole segment"),
        ("src/***/a", "may use ** only as a whole segment"),
        ("!docs/", "negation (!) is not supported"),
        ("src/[ab].py", "character classes ([...]) are not supported"),
        ("src/{a,b}/", "brace expansion ({a,b}) is not supported"),
        ("src\\auth", "backslashes are not supported"),
        ("#comment", "must not start with #"),
        ("src/a b.py", "must not contain spaces or control characters"),
        ("src/\ta", "must not contain spaces or control characters"),
        ("src//a", "must not contain an empty segment"),
        ("src/../etc", "must not contain . or .. segments"),
        ("./src", "must not contain . or .. segments"),
        ("/", "must name a path, not only /"),
    ],
)
def test_path_patterns_are_checked_strictly(pattern, fault):
    found = glob_fault(pattern)
    assert (found == "") if not fault else (fault in found)


def test_a_refused_pattern_names_its_place():
    data = copy.deepcopy(DEFAULT_POLICY_DATA)
    data["rules"][1]["when"]["paths"] = ["pay/**", "src/**x"]

    with pytest.raises(PolicyError) as raised:
        parse_policy(data)

    assert raised.value.place == "rules[1].when.paths[1]"
    assert str(raised.value) == "rules[1].when.paths[1] may use ** only as a whole segment, as in src/**/test.py " + (
        "(got 'src/**x')"
    )


# --- the form and raw text share the validator --------------------------------------------------------------------


def test_a_rule_saved_in_the_form_reads_as_a_sentence_in_the_draft(as_admin, draft):
    response = as_admin.post(f"/policy/drafts/{draft.pk}/rules/1/", rule_post(paths="app/**\n\n  lib/auth/ "))

    assert response.status_code == 302 and response["Location"] == f"/policy/drafts/{draft.pk}/"
    draft.refresh_from_db()
    assert draft.data["rules"][0] == {
        "name": "ai-assisted-junior-or-mid",
        "when": {"ai_assisted": True, "author_level_at_most": 4, "paths": ["app/**", "lib/auth/"]},
        "require": {"sign_offs": 1, "attestation": True},
    }
    page = as_admin.get(f"/policy/drafts/{draft.pk}/").content.decode()
    sentence = "AI-assisted changes by L3–L4 authors touching app/** or lib/auth/ need 1 senior sign-off and the"
    assert sentence in page
    assert "Changed</strong> <code>ai-assisted-junior-or-mid</code>" in page
    assert PolicyVersion.objects.count() == 1  # nothing is in force until published


def test_a_new_rule_is_appended(as_admin, draft):
    response = as_admin.post(
        f"/policy/drafts/{draft.pk}/rules/new/", rule_post(name="terraform", ai_assisted="", paths="**/*.tf")
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.data["rules"][-1]["name"] == "terraform"
    assert len(draft.data["rules"]) == len(DEFAULT_POLICY_DATA["rules"]) + 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"paths": "ok/\nsrc/**x"}, "paths", "Line 2: May use ** only as a whole segment"),
        ({"paths": "!docs/"}, "paths", "Line 1: Negation (!) is not supported"),
        ({"author_level_at_most": "12"}, "author_level_at_most", "Must be an integer from 3 to 8"),
        ({"author_level_at_most": "four"}, "author_level_at_most", "Must be an integer from 3 to 8"),
        ({"risk_above": "nan"}, "risk_above", "Must be a number from 0 to 1"),
        ({"size_above": "9" * 21}, "size_above", "at most 20 characters"),
        ({"size_above": "-5"}, "size_above", "Must be a positive integer"),
        ({"sign_offs": "9"}, "sign_offs", "Must be an integer from 0 to 5"),
        ({"name": "sensitive-paths"}, "name", "Must be unique"),
        ({"name": " "}, "name", "This field is required."),
        ({"exempt": "on", "ai_assisted": "yes"}, "ai_assisted", "Cannot be true on an exemption"),
        ({"exempt": "on", "ai_assisted": "", "author_level_at_most": ""}, None, "at least one condition"),
        ({"ai_assisted": "maybe"}, "ai_assisted", "Select a valid choice"),
        ({"paths": "a\x00b"}, "paths", "Null characters are not allowed"),
    ],
)
def test_the_form_shows_the_validators_faults_on_their_fields_with_400(as_admin, draft, fields, field, message):
    before = copy.deepcopy(draft.data)

    response = as_admin.post(f"/policy/drafts/{draft.pk}/rules/1/", rule_post(**fields))

    assert response.status_code == 400
    errors = response.context["form"].errors
    key = field or "__all__"
    assert key in errors, errors
    assert message in " ".join(errors[key])
    draft.refresh_from_db()
    assert draft.data == before


@pytest.mark.parametrize("syntax", ["json", "yaml"])
def test_raw_text_gets_the_same_message_as_the_form(as_admin, draft, syntax):
    data = copy.deepcopy(draft.data)
    data["rules"][0]["when"]["paths"] = ["ok/", "src/**x"]
    text = json.dumps(data) if syntax == "json" else yaml.safe_dump(data)

    raw = as_admin.post(f"/policy/drafts/{draft.pk}/raw/", {"syntax": syntax, "text": text})
    form = as_admin.post(f"/policy/drafts/{draft.pk}/rules/1/", rule_post(paths="ok/\nsrc/**x"))

    assert raw.status_code == form.status_code == 400
    shared = "may use ** only as a whole segment, as in src/**/test.py (got &#x27;src/**x&#x27;)"
    assert shared in raw.content.decode()
    assert shared.replace("may", "May") in form.content.decode()


def test_yaml_round_trips_and_saves(as_admin, draft):
    page = as_admin.get(f"/policy/drafts/{draft.pk}/raw/?syntax=yaml")
    text = page.context["form"].initial["text"].replace("size_above: 1000", "size_above: 800")

    response = as_admin.post(f"/policy/drafts/{draft.pk}/raw/", {"syntax": "yaml", "text": text})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.data["rules"][2]["when"] == {"size_above": 800}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &a [1]\nb: *a\n", "anchors and aliases (*name) are not supported"),
        ("rules: !!python/object/apply:os.system ['true']", "is not valid YAML"),
        ("rules: [\n", "is not valid YAML"),
        ("- 1\n- 2\n", "policy must be an object"),
        ("rules:\n  - name: x\n    when: {}\n    require: {sign_offs: 2024-01-01}\n", "must be an integer from 0"),
        ("rules: []\n" + "x" * 200_001, "Ensure this value has at most 200000 characters"),
        ("[" * 5000, "is not valid YAML"),
        ('rules:\n  - name: "a\\0b"\n    when: {}\n    require: {}\n', "U+0000"),
    ],
    ids=["alias", "python-tag", "syntax", "list", "date", "huge", "deep", "nul"],
)
def test_hostile_yaml_is_refused_with_a_message_never_a_500(as_admin, draft, text, message):
    response = as_admin.post(f"/policy/drafts/{draft.pk}/raw/", {"syntax": "yaml", "text": text})

    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")


def test_a_rule_can_be_removed_and_an_unknown_rule_is_404(as_admin, draft):
    assert as_admin.post(f"/policy/drafts/{draft.pk}/rules/5/delete/").status_code == 302
    draft.refresh_from_db()
    assert "bots" not in [r["name"] for r in draft.data["rules"]]
    assert as_admin.get(f"/policy/drafts/{draft.pk}/rules/99/").status_code == 404
    assert as_admin.get("/policy/drafts/99999/").status_code == 404


# --- publishing ----------------------------------------------------------------------------------------------------


def test_publishing_needs_a_reason(as_admin, draft):
    policy_draft_save(draft=draft, data=EVERY_CHANGE, actor=draft.created_by)

    response = as_admin.post(f"/policy/drafts/{draft.pk}/publish/", {"reason": "   "})

    assert response.status_code == 400
    assert "Say why the policy changes" in response.content.decode()
    assert PolicyVersion.objects.count() == 1
    with pytest.raises(ServiceError, match="Say why"):
        policy_draft_publish(draft=draft, actor=draft.created_by, reason="")


def test_publishing_a_draft_is_audited_as_a_policy_publication_with_its_reason(as_admin, admin, draft):
    policy_draft_save(draft=draft, data=EVERY_CHANGE, actor=admin)

    response = as_admin.post(f"/policy/drafts/{draft.pk}/publish/", {"reason": "every change is reviewed"})

    version = policy_current()
    assert response.status_code == 302 and response["Location"] == f"/policy/v{version.number}/"
    assert (version.number, version.note, version.created_by) == (2, "every change is reviewed", admin)
    event = AuditEvent.objects.get(action="policy.published")
    assert (event.actor, event.target_type, event.target_id) == (admin, "reviews.policyversion", str(version.pk))
    assert event.payload["reason"] == "every change is reviewed" and event.payload["draft"] == draft.pk
    assert event.payload["after"] == version.data and event.payload["before"]["rules"][-1]["name"] == "agent-opened"
    draft.refresh_from_db()
    assert draft.published_as == version
    history = as_admin.get("/policy/").content.decode()
    assert "every change is reviewed" in history and "All changes need 1 senior sign-off." in history
    # A published draft is closed: its editor is gone, and the what-if no longer offers it.
    assert as_admin.get(f"/policy/drafts/{draft.pk}/rules/1/").status_code == 404
    assert as_admin.post(f"/policy/drafts/{draft.pk}/publish/", {"reason": "again"}).status_code == 404


def test_a_draft_the_same_as_the_policy_in_force_is_not_published(as_admin, draft):
    response = as_admin.post(f"/policy/drafts/{draft.pk}/publish/", {"reason": "nothing"})

    assert response.status_code == 400
    assert "no change: this is already version 1" in response.content.decode()


# --- the preview ---------------------------------------------------------------------------------------------------


def test_the_preview_counts_each_rules_changes_and_senior_hours_over_30_days(make_engineer, admin, draft):
    history = build(make_engineer, end=timezone.now())
    policy_draft_save(draft=draft, data=EVERY_CHANGE, actor=admin)

    preview = policy_preview(parse_policy(draft.data), parse_policy(DEFAULT_POLICY_DATA), end=timezone.now())

    rows = {r.name: r for r in preview.rules}
    minutes = history.minutes  # the four changes of the last 30 days (the 40-day-old one is outside)
    assert preview.changes == 4
    assert (rows["every-change"].changes, rows["every-change"].senior_hours) == (
        4,
        round(sum(minutes.values()) / 60, 1),
    )
    assert (rows["sensitive-paths"].changes, rows["sensitive-paths"].senior_hours) == (
        1,
        round(minutes["Retry charges"] / 60, 1),
    )
    assert (rows["ai-assisted-junior-or-mid"].changes, rows["gates"].changes, rows["bots"].changes) == (1, 4, 0)
    assert not rows["gates"].asks_senior and rows["gates"].senior_hours == 0
    assert (preview.needs_senior, preview.needs_senior_now) == (4, 2)
    expected_now = round((minutes["Retry charges"] + minutes["Cache pages"]) / 60, 1)
    assert preview.senior_hours_now == expected_now
    assert preview.hours_delta == round(preview.senior_hours - expected_now, 1) > 0


@pytest.mark.parametrize("extra_changes", [0, 30])
def test_the_preview_page_shows_each_rule_as_a_sentence_in_a_fixed_number_of_queries(
    as_admin, make_engineer, admin, draft, django_assert_max_num_queries, extra_changes
):
    build(make_engineer, end=timezone.now(), extra_changes=extra_changes)
    policy_draft_save(draft=draft, data=EVERY_CHANGE, actor=admin)

    with django_assert_max_num_queries(10):
        response = as_admin.get(f"/policy/drafts/{draft.pk}/preview/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "All changes need 1 senior sign-off." in page and f"The {4 + extra_changes} changes opened from" in page
    assert "The draft asks" in page


# --- who may do what -----------------------------------------------------------------------------------------------


def _editor_requests(draft_id: int) -> list[tuple[str, str, dict]]:
    base = f"/policy/drafts/{draft_id}"
    return [
        ("post", "/policy/drafts/new/", {}),
        ("get", f"{base}/", {}),
        ("get", f"{base}/rules/1/", {}),
        ("post", f"{base}/rules/1/", rule_post()),
        ("get", f"{base}/rules/new/", {}),
        ("post", f"{base}/rules/new/", rule_post(name="x")),
        ("post", f"{base}/rules/1/delete/", {}),
        ("get", f"{base}/raw/", {}),
        ("post", f"{base}/raw/", {"syntax": "json", "text": "{}"}),
        ("get", f"{base}/preview/", {}),
        ("post", f"{base}/publish/", {"reason": "because"}),
    ]


@pytest.mark.parametrize("role", ["author", "senior", "manager", "incident reviewer"])
def test_only_admins_may_edit_preview_or_publish(client, make_engineer, draft, role):
    level, extra = {
        "author": (4, {}),
        "senior": (7, {}),
        "manager": (7, {"is_manager": True}),
        "incident reviewer": (6, {"is_incident_reviewer": True}),
    }[role]
    make_engineer(level, username="someone", **extra)
    client.login(username="someone", password=PASSWORD)
    before = copy.deepcopy(draft.data)

    for method, url, data in _editor_requests(draft.pk):
        assert getattr(client, method)(url, data).status_code == 403, url
    assert client.get("/policy/").status_code == 200
    assert "Edit the policy" not in client.get("/policy/").content.decode()
    draft.refresh_from_db()
    assert draft.data == before and PolicyDraft.objects.count() == 1 and PolicyVersion.objects.count() == 1
    with pytest.raises(NotAllowed):
        policy_draft_create(actor=make_engineer(7, username="other", is_manager=True).user)


def test_anonymous_visitors_are_sent_to_log_in(client, draft):
    for method, url, data in _editor_requests(draft.pk):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
