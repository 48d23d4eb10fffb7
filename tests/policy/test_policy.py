"""The sign-off policy as data (policy.document, policy.decision): schema, defaults, evaluation, reasons, globs."""

from __future__ import annotations

import copy
import math
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.decision import ChangeFacts, decide, is_ai_assisted, matches_glob, sensitive_matches
from policy.document import (
    DEFAULT_POLICY_DATA,
    Conditions,
    Policy,
    PolicyError,
    Requirements,
    Rule,
    Settings,
    parse_policy,
    policy_to_data,
)

DEFAULT = parse_policy(DEFAULT_POLICY_DATA)
AI_RULE, SENSITIVE_RULE, SIZE_RULE, GATES_RULE, BOTS_RULE, AGENT_RULE = (r.name for r in DEFAULT.rules)


def facts(**overrides: Any) -> ChangeFacts:
    values: dict[str, Any] = {
        "author_level": 4,
        "author_is_bot": False,
        "ai_assisted": False,
        "paths": ("app/views.py",),
        "lines_changed": 10,
        "risk": 0.1,
        "repository": "web",
        "services": ("web",),
        "sensitive_globs": ("payments/**", "lib/auth/"),
    }
    values.update(overrides)
    return ChangeFacts(**values)


def policy(*rules: dict[str, Any], **settings_data: Any) -> Policy:
    return parse_policy({"settings": settings_data, "rules": list(rules)})


def default_with(change: dict[str, Any], *, rule: int | None = None) -> dict[str, Any]:
    """The default policy data with keys of one rule (or of the settings) replaced; None deletes a key."""
    data = copy.deepcopy(DEFAULT_POLICY_DATA)
    target = data["settings"] if rule is None else data["rules"][rule]
    for key, value in change.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return data


# --- schema: what is refused, and how it is named ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("rules: []", "policy must be an object"),
        ([], "policy must be an object"),
        (None, "policy must be an object"),
        ({}, "policy.rules is required"),
        ({"rules": [], "version": 2}, "policy has unknown key 'version' (known: settings, rules)"),
        ({"rules": {}}, "rules must be a list of at most 200 rules"),
        (
            {"rules": [{"name": f"r{i}", "when": {}, "require": {}} for i in range(201)]},
            "rules must be a list of at most 200 rules",
        ),
        ({"settings": [], "rules": []}, "settings must be an object"),
        (
            default_with({"senior": 6}),
            "settings has unknown key 'senior' "
            "(known: senior_level, size_limit, ai_threshold, dismiss_on_new_revision, keep_approval_on_rebase, "
            "host_approvals_count)",
        ),
        (default_with({"senior_level": 9}), "settings.senior_level must be an integer from 3 to 8"),
        (default_with({"senior_level": 2}), "settings.senior_level must be an integer from 3 to 8"),
        (default_with({"senior_level": "6"}), "settings.senior_level must be an integer from 3 to 8"),
        (default_with({"senior_level": 6.0}), "settings.senior_level must be an integer from 3 to 8"),
        (default_with({"senior_level": True}), "settings.senior_level must be an integer from 3 to 8"),
        (default_with({"size_limit": 0}), "settings.size_limit must be a positive integer"),
        (default_with({"ai_threshold": 0}), "settings.ai_threshold must be a number above 0 and at most 1"),
        (default_with({"ai_threshold": 1.01}), "settings.ai_threshold must be a number above 0 and at most 1"),
        (default_with({"ai_threshold": math.nan}), "settings.ai_threshold must be a number above 0 and at most 1"),
        (default_with({"ai_threshold": 10**400}), "settings.ai_threshold must be a number above 0 and at most 1"),
        (default_with({"ai_threshold": "0.5"}), "settings.ai_threshold must be a number above 0 and at most 1"),
        (default_with({"dismiss_on_new_revision": "yes"}), "settings.dismiss_on_new_revision must be true or false"),
        (default_with({"keep_approval_on_rebase": 1}), "settings.keep_approval_on_rebase must be true or false"),
        (default_with({"host_approvals_count": "no"}), "settings.host_approvals_count must be true or false"),
        ({"rules": ["bots"]}, "rules[0] must be an object"),
        (
            default_with({"priority": 1}, rule=1),
            "rules[1] has unknown key 'priority' (known: name, description, when, require, exempt)",
        ),
        (default_with({"name": None}, rule=0), "rules[0].name is required"),
        (default_with({"name": ""}, rule=0), "rules[0].name must be a non-blank string of at most 80 characters"),
        (default_with({"name": "   "}, rule=0), "rules[0].name must be a non-blank string of at most 80 characters"),
        (default_with({"name": "x" * 81}, rule=0), "rules[0].name must be a non-blank string of at most 80 characters"),
        (default_with({"name": 7}, rule=0), "rules[0].name must be a non-blank string of at most 80 characters"),
        (
            default_with({"name": "gates"}, rule=4),
            "rules[4].name must be unique: 'gates' is already the name of rules[3]",
        ),
        (
            default_with({"description": ["x"]}, rule=0),
            "rules[0].description must be a string of at most 2000 characters",
        ),
        (
            default_with({"description": "x" * 2001}, rule=0),
            "rules[0].description must be a string of at most 2000 characters",
        ),
        (default_with({"when": None}, rule=3), "rules[3].when is required"),
        (default_with({"when": []}, rule=3), "rules[3].when must be an object"),
        (
            default_with({"when": {"author_level": 5}}, rule=0),
            "rules[0].when has unknown key 'author_level' (known: ai_assisted, agent_opened, author_level_at_most, "
            "author_is_bot, paths, sensitive, size_above, risk_above, repositories, services)",
        ),
        (default_with({"when": {"ai_assisted": "true"}}, rule=0), "rules[0].when.ai_assisted must be true or false"),
        (
            default_with({"when": {"author_level_at_most": 2}}, rule=0),
            "rules[0].when.author_level_at_most must be an integer from 3 to 8",
        ),
        (
            default_with({"when": {"author_level_at_most": 9}}, rule=0),
            "rules[0].when.author_level_at_most must be an integer from 3 to 8",
        ),
        (default_with({"when": {"author_is_bot": None}}, rule=4), "rules[4].when.author_is_bot must be true or false"),
        (default_with({"when": {"size_above": 0}}, rule=2), "rules[2].when.size_above must be a positive integer"),
        (default_with({"when": {"size_above": -5}}, rule=2), "rules[2].when.size_above must be a positive integer"),
        (default_with({"when": {"size_above": 1000.5}}, rule=2), "rules[2].when.size_above must be a positive integer"),
        (default_with({"when": {"size_above": "1000"}}, rule=2), "rules[2].when.size_above must be a positive integer"),
        (default_with({"when": {"size_above": True}}, rule=2), "rules[2].when.size_above must be a positive integer"),
        (default_with({"when": {"risk_above": 1.5}}, rule=3), "rules[3].when.risk_above must be a number from 0 to 1"),
        (default_with({"when": {"risk_above": -0.1}}, rule=3), "rules[3].when.risk_above must be a number from 0 to 1"),
        (
            default_with({"when": {"risk_above": math.inf}}, rule=3),
            "rules[3].when.risk_above must be a number from 0 to 1",
        ),
        (default_with({"when": {"paths": []}}, rule=1), "rules[1].when.paths must be a list of 1 to 200 strings"),
        (
            default_with({"when": {"paths": "payments/**"}}, rule=1),
            "rules[1].when.paths must be a list of 1 to 200 strings",
        ),
        (
            default_with({"when": {"paths": ["a"] * 201}}, rule=1),
            "rules[1].when.paths must be a list of 1 to 200 strings",
        ),
        (
            default_with({"when": {"paths": ["a/**", " "]}}, rule=1),
            "rules[1].when.paths[1] must be a non-blank string of at most 500 characters",
        ),
        (
            default_with({"when": {"paths": ["a/**", 3]}}, rule=1),
            "rules[1].when.paths[1] must be a non-blank string of at most 500 characters",
        ),
        (
            default_with({"when": {"paths": ["a" * 501]}}, rule=1),
            "rules[1].when.paths[0] must be a non-blank string of at most 500 characters",
        ),
        (
            default_with({"when": {"repositories": {"web": 1}}}, rule=1),
            "rules[1].when.repositories must be a list of 1 to 200 strings",
        ),
        (
            default_with({"when": {"services": [""]}}, rule=1),
            "rules[1].when.services[0] must be a non-blank string of at most 500 characters",
        ),
        (default_with({"when": {"sensitive": 1}}, rule=1), "rules[1].when.sensitive must be true or false"),
        (default_with({"require": None}, rule=0), 'rules[0].require is required (or "exempt": true)'),
        (default_with({"require": "1"}, rule=0), "rules[0].require must be an object"),
        (
            default_with({"require": {"reviewers": 2}}, rule=0),
            "rules[0].require has unknown key 'reviewers' (known: sign_offs, owner, attestation, gates_passed)",
        ),
        (
            default_with({"require": {"sign_offs": 6}}, rule=0),
            "rules[0].require.sign_offs must be an integer from 0 to 5",
        ),
        (
            default_with({"require": {"sign_offs": -1}}, rule=0),
            "rules[0].require.sign_offs must be an integer from 0 to 5",
        ),
        (default_with({"require": {"owner": "yes"}}, rule=1), "rules[1].require.owner must be true or false"),
        (default_with({"require": {"attestation": 0}}, rule=0), "rules[0].require.attestation must be true or false"),
        (
            default_with({"require": {"gates_passed": None}}, rule=3),
            "rules[3].require.gates_passed must be true or false",
        ),
        (default_with({"exempt": "true"}, rule=4), "rules[4].exempt must be true or false"),
        (
            default_with({"require": {"sign_offs": 1}}, rule=4),
            "rules[4].require must be empty on an exemption: exempt removes every requirement",
        ),
        (default_with({"when": {}}, rule=4), "rules[4].when must have at least one condition on an exemption"),
        (
            default_with({"when": {"ai_assisted": True, "author_is_bot": True}}, rule=4),
            "rules[4].when.ai_assisted cannot be true on an exemption: AI-assisted changes are never exempted",
        ),
        (
            {"rules": [{"name": "a", "when": {}, "require": {}}, {"name": "b", "when": {}, "require": {"owner": 1}}]},
            "rules[1].require.owner must be true or false",
        ),
        (
            {"rules": [{"name": "a\x00", "when": {}, "require": {}}]},
            "rules[0].name must not contain U+0000 or a lone UTF-16 surrogate",
        ),
        (
            {"rules": [{"name": "a", "description": "\ud800", "when": {}, "require": {}}]},
            "rules[0].description must not contain U+0000 or a lone UTF-16 surrogate",
        ),
        (
            default_with({"when": {"paths": ["a/**", "b\x00/**"]}}, rule=1),
            "rules[1].when.paths[1] must not contain U+0000 or a lone UTF-16 surrogate",
        ),
    ],
)
def test_policy_data_outside_the_schema_is_refused_with_the_place_named(data, message):
    with pytest.raises(PolicyError) as raised:
        parse_policy(data)

    assert str(raised.value) == message


def test_policy_error_is_a_value_error():
    assert issubclass(PolicyError, ValueError)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"rules": []}, Policy()),
        ({"settings": {}, "rules": []}, Policy()),
        ({"settings": {"senior_level": 7}, "rules": []}, Policy(settings=Settings(senior_level=7))),
        ({"settings": {"ai_threshold": 1}, "rules": []}, Policy(settings=Settings(ai_threshold=1.0))),
        (
            {"rules": [{"name": "always", "when": {}, "require": {}}]},
            Policy(rules=(Rule(name="always"),)),
        ),
        (
            {"rules": [{"name": "r", "when": {"risk_above": 0}, "require": {"sign_offs": 0}, "exempt": False}]},
            Policy(rules=(Rule(name="r", when=Conditions(risk_above=0.0)),)),
        ),
        (
            {"rules": [{"name": "bots", "when": {"author_is_bot": True}, "require": {}, "exempt": True}]},
            Policy(rules=(Rule(name="bots", when=Conditions(author_is_bot=True), exempt=True),)),
        ),
        (
            {"rules": [{"name": "bots", "when": {"author_is_bot": True, "ai_assisted": False}, "exempt": True}]},
            Policy(rules=(Rule(name="bots", when=Conditions(author_is_bot=True, ai_assisted=False), exempt=True),)),
        ),
        (
            {
                "rules": [
                    {
                        "name": "pay",
                        "when": {"paths": ["payments/**"], "services": ["billing"]},
                        "require": {"owner": True},
                    }
                ]
            },
            Policy(
                rules=(
                    Rule(
                        name="pay",
                        when=Conditions(paths=("payments/**",), services=("billing",)),
                        require=Requirements(owner=True),
                    ),
                )
            ),
        ),
    ],
)
def test_policy_data_within_the_schema_is_accepted(data, expected):
    assert parse_policy(data) == expected


def test_default_policy_data_is_the_brief_default_policy():
    assert DEFAULT.settings == Settings(
        senior_level=6,
        size_limit=1000,
        ai_threshold=0.5,
        dismiss_on_new_revision=True,
        keep_approval_on_rebase=True,
        host_approvals_count=False,  # never timed here: they count only where a policy says so
    )
    assert [(r.name, r.when, r.require, r.exempt) for r in DEFAULT.rules] == [
        (
            AI_RULE,
            Conditions(ai_assisted=True, author_level_at_most=5),
            Requirements(sign_offs=1, attestation=True),
            False,
        ),
        (SENSITIVE_RULE, Conditions(sensitive=True), Requirements(sign_offs=1, owner=True), False),
        (SIZE_RULE, Conditions(size_above=1000), Requirements(gates_passed=True), False),
        (GATES_RULE, Conditions(), Requirements(gates_passed=True), False),
        (BOTS_RULE, Conditions(author_is_bot=True), Requirements(), True),
        (AGENT_RULE, Conditions(agent_opened=True), Requirements(sign_offs=2), False),
    ]
    assert (AI_RULE, SENSITIVE_RULE, SIZE_RULE, GATES_RULE, BOTS_RULE, AGENT_RULE) == (
        "ai-assisted-junior-or-mid",
        "sensitive-paths",
        "size-limit",
        "gates",
        "bots",
        "agent-opened",
    )


def test_default_policy_data_round_trips_to_the_same_data():
    assert policy_to_data(DEFAULT) == DEFAULT_POLICY_DATA
    assert parse_policy(policy_to_data(DEFAULT)) == DEFAULT


def test_parsing_does_not_change_the_data_it_was_given():
    data = copy.deepcopy(DEFAULT_POLICY_DATA)

    parse_policy(data)

    assert data == DEFAULT_POLICY_DATA


# --- the default policy, rule by rule and in combination -------------------------------------------------------


# (sign-offs, owner, attestation, gates, oversized)
@pytest.mark.parametrize(
    ("overrides", "needs", "matched"),
    [
        ({}, (0, False, False, True, False), (GATES_RULE,)),
        ({"author_level": 8}, (0, False, False, True, False), (GATES_RULE,)),
        ({"ai_assisted": True, "author_level": 3}, (1, False, True, True, False), (AI_RULE, GATES_RULE)),
        ({"ai_assisted": True, "author_level": 4}, (1, False, True, True, False), (AI_RULE, GATES_RULE)),
        ({"ai_assisted": True, "author_level": 5}, (1, False, True, True, False), (AI_RULE, GATES_RULE)),
        ({"ai_assisted": True, "author_level": None}, (1, False, True, True, False), (AI_RULE, GATES_RULE)),
        ({"ai_assisted": True, "author_level": 6}, (0, False, False, True, False), (GATES_RULE,)),
        ({"ai_assisted": True, "author_level": 8}, (0, False, False, True, False), (GATES_RULE,)),
        ({"paths": ("payments/charge.py",)}, (1, True, False, True, False), (SENSITIVE_RULE, GATES_RULE)),
        ({"paths": ("lib/auth/x.py",), "author_level": 8}, (1, True, False, True, False), (SENSITIVE_RULE, GATES_RULE)),
        ({"paths": ("lib/authz/x.py",)}, (0, False, False, True, False), (GATES_RULE,)),
        ({"paths": ("payments/a.py",), "sensitive_globs": ()}, (0, False, False, True, False), (GATES_RULE,)),
        ({"lines_changed": 1000}, (0, False, False, True, False), (GATES_RULE,)),
        ({"lines_changed": 1001}, (0, False, False, True, True), (SIZE_RULE, GATES_RULE)),
        (
            {"ai_assisted": True, "author_level": 5, "paths": ("payments/a.py",)},
            (1, True, True, True, False),
            (AI_RULE, SENSITIVE_RULE, GATES_RULE),
        ),
        (
            {"ai_assisted": True, "author_level": 7, "paths": ("payments/a.py",), "lines_changed": 5000},
            (1, True, False, True, True),
            (SENSITIVE_RULE, SIZE_RULE, GATES_RULE),
        ),
        (
            {"ai_assisted": True, "author_level": 3, "paths": ("app/x.py", "lib/auth/y.py"), "lines_changed": 1500},
            (1, True, True, True, True),
            (AI_RULE, SENSITIVE_RULE, SIZE_RULE, GATES_RULE),
        ),
        ({"author_is_bot": True}, (0, False, False, False, False), (BOTS_RULE,)),
        (
            {"author_is_bot": True, "paths": ("payments/a.py",), "lines_changed": 4000},
            (0, False, False, False, True),
            (BOTS_RULE,),
        ),
        (
            {"author_is_bot": True, "ai_assisted": True, "author_level": None},
            (1, False, True, True, False),
            (AI_RULE, GATES_RULE),
        ),
        (
            {"author_is_bot": True, "ai_assisted": True, "author_level": 7},
            (0, False, False, True, False),
            (GATES_RULE,),
        ),
        (
            {"author_is_bot": True, "ai_assisted": True, "paths": ("payments/a.py",)},
            (1, True, True, True, False),
            (AI_RULE, SENSITIVE_RULE, GATES_RULE),
        ),
        # Opened by an agent's own account: two human seniors, whatever else; the bots exemption never applies.
        ({"agent_opened": True}, (2, False, False, True, False), (GATES_RULE, AGENT_RULE)),
        (
            {"agent_opened": True, "author_is_bot": True, "author_level": None},
            (2, False, False, True, False),
            (GATES_RULE, AGENT_RULE),
        ),
        (
            {"agent_opened": True, "author_is_bot": True, "ai_assisted": True, "author_level": None},
            (2, False, True, True, False),
            (AI_RULE, GATES_RULE, AGENT_RULE),
        ),
        (
            {"agent_opened": True, "paths": ("payments/a.py",)},
            (2, True, False, True, False),
            (SENSITIVE_RULE, GATES_RULE, AGENT_RULE),
        ),
        # A person's AI-assisted change is not agent-opened.
        ({"ai_assisted": True, "author_level": 7}, (0, False, False, True, False), (GATES_RULE,)),
    ],
)
def test_default_policy_decides_what_a_change_needs(overrides, needs, matched):
    decision = decide(facts(**overrides), DEFAULT)

    assert (
        decision.required_sign_offs,
        decision.requires_owner,
        decision.requires_attestation,
        decision.requires_gates,
        decision.oversized,
    ) == needs
    assert decision.matched_rules == matched


def test_ai_assisted_change_by_a_mid_gives_the_reasons_of_each_rule():
    decision = decide(facts(ai_assisted=True, author_level=4), DEFAULT)

    assert decision.reasons == (
        "ai-assisted-junior-or-mid: AI-assisted change by an L4 author needs 1 senior sign-off "
        "and the author's attestation",
        "gates: every change needs passing gates",
    )


def test_unknown_author_level_counts_as_junior_and_the_reason_says_so():
    decision = decide(facts(ai_assisted=True, author_level=None), DEFAULT)

    assert decision.reasons[0] == (
        "ai-assisted-junior-or-mid: AI-assisted change by an author of unknown level (counted as junior) "
        "needs 1 senior sign-off and the author's attestation"
    )


def test_every_default_rule_at_once_lists_each_reason_in_policy_order():
    decision = decide(
        facts(
            ai_assisted=True,
            author_level=3,
            paths=("app/x.py", "payments/a.py", "payments/b.py", "lib/auth/c.py", "lib/auth/d.py"),
            lines_changed=1200,
        ),
        DEFAULT,
    )

    assert decision.reasons == (
        "ai-assisted-junior-or-mid: AI-assisted change by an L3 author needs 1 senior sign-off "
        "and the author's attestation",
        "sensitive-paths: change touching sensitive paths (payments/a.py, payments/b.py, lib/auth/c.py and 1 more) "
        "needs 1 senior sign-off by a code owner",
        "size-limit: change of 1200 changed lines (above 1000) needs passing gates",
        "gates: every change needs passing gates",
        "1200 changed lines, above the size limit of 1000: consider splitting it",
    )
    assert decision.sensitive_paths == ("payments/a.py", "payments/b.py", "lib/auth/c.py", "lib/auth/d.py")
    assert decision.owner_paths == decision.sensitive_paths


def test_senior_change_off_sensitive_paths_says_no_rule_requires_a_sign_off():
    decision = decide(facts(author_level=7, ai_assisted=True), DEFAULT)

    assert decision.reasons == ("gates: every change needs passing gates", "no rule requires a senior sign-off")


# --- exemptions -------------------------------------------------------------------------------------------------


def test_bot_change_without_ai_is_exempt_from_everything_and_says_why():
    decision = decide(facts(author_is_bot=True, paths=("payments/a.py",), lines_changed=2000), DEFAULT)

    assert decision.required_sign_offs == 0
    assert decision.owner_paths == ()
    assert decision.sensitive_paths == ("payments/a.py",)  # still reported: it is a fact, not a requirement
    assert decision.reasons == (
        "bots: change by a bot is exempt from sign-off",
        "2000 changed lines, above the size limit of 1000: consider splitting it",
    )


def test_ai_assisted_bot_change_is_never_exempted_silently():
    decision = decide(facts(author_is_bot=True, ai_assisted=True, author_level=None), DEFAULT)

    assert decision.required_sign_offs == 1
    assert decision.requires_attestation is True
    assert "exemption 'bots' does not apply: the change is AI-assisted" in decision.reasons
    assert BOTS_RULE not in decision.matched_rules


def test_every_matching_exemption_is_named():
    exemptions = policy(
        {"name": "always", "when": {}, "require": {"sign_offs": 2}},
        {"name": "bots", "when": {"author_is_bot": True}, "exempt": True},
        {"name": "docs", "when": {"paths": ["docs/**"]}, "exempt": True},
        {"name": "other-repo", "when": {"repositories": ["other"]}, "exempt": True},
    )
    change = {"author_is_bot": True, "paths": ("docs/a.md",)}

    exempt = decide(facts(**change), exemptions)
    not_exempt = decide(facts(**change, ai_assisted=True), exemptions)

    assert exempt.matched_rules == ("bots", "docs")
    assert exempt.reasons == (
        "bots: change by a bot is exempt from sign-off",
        "docs: change touching docs/a.md is exempt from sign-off",
    )
    assert not_exempt.required_sign_offs == 2
    assert not_exempt.matched_rules == ("always",)
    assert not_exempt.reasons == (
        "always: every change needs 2 senior sign-offs",
        "exemption 'bots' does not apply: the change is AI-assisted",
        "exemption 'docs' does not apply: the change is AI-assisted",
    )


# --- conditions, one by one -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "overrides", "applies"),
    [
        ({}, {}, True),
        ({"ai_assisted": True}, {"ai_assisted": True}, True),
        ({"ai_assisted": True}, {"ai_assisted": False}, False),
        ({"ai_assisted": False}, {"ai_assisted": False}, True),
        ({"ai_assisted": False}, {"ai_assisted": True}, False),
        ({"author_level_at_most": 5}, {"author_level": 5}, True),
        ({"author_level_at_most": 5}, {"author_level": 6}, False),
        ({"author_level_at_most": 3}, {"author_level": None}, True),
        ({"author_is_bot": True}, {"author_is_bot": True}, True),
        ({"author_is_bot": True}, {"author_is_bot": False}, False),
        ({"author_is_bot": False}, {"author_is_bot": False}, True),
        ({"paths": ["payments/**"]}, {"paths": ("app/a.py", "payments/b.py")}, True),
        ({"paths": ["payments/"]}, {"paths": ("payments/deep/b.py",)}, True),
        ({"paths": ["payments/**"]}, {"paths": ("paymentsx/b.py",)}, False),
        ({"paths": ["**/migrations/**"]}, {"paths": ("migrations/0001.py",)}, True),
        ({"paths": ["*.tf", "infra/"]}, {"paths": ("infra/main.hcl",)}, True),
        ({"paths": ["payments/**"]}, {"paths": ()}, False),
        ({"sensitive": True}, {"paths": ("lib/auth/x.py",)}, True),
        ({"sensitive": True}, {"paths": ("lib/x.py",)}, False),
        ({"sensitive": False}, {"paths": ("lib/x.py",)}, True),
        ({"sensitive": False}, {"paths": ("lib/auth/x.py",)}, False),
        ({"size_above": 100}, {"lines_changed": 101}, True),
        ({"size_above": 100}, {"lines_changed": 100}, False),
        ({"risk_above": 0.7}, {"risk": 0.71}, True),
        ({"risk_above": 0.7}, {"risk": 0.7}, False),
        ({"risk_above": 0.7}, {"risk": math.nan}, True),
        ({"risk_above": 0.7}, {"risk": -math.inf}, True),
        ({"repositories": ["web", "api"]}, {"repository": "api"}, True),
        ({"repositories": ["web"]}, {"repository": "Web"}, False),
        ({"services": ["billing"]}, {"services": ("web", "billing")}, True),
        ({"services": ["billing"]}, {"services": ("web",)}, False),
        ({"services": ["billing"]}, {"services": ()}, False),
        ({"ai_assisted": True, "paths": ["a/**"]}, {"ai_assisted": True, "paths": ("a/x",)}, True),
        ({"ai_assisted": True, "paths": ["a/**"]}, {"ai_assisted": False, "paths": ("a/x",)}, False),
        ({"ai_assisted": True, "paths": ["a/**"]}, {"ai_assisted": True, "paths": ("b/x",)}, False),
    ],
)
def test_rule_applies_only_when_all_its_conditions_hold(when, overrides, applies):
    decision = decide(facts(**overrides), policy({"name": "r", "when": when, "require": {"sign_offs": 2}}))

    assert (decision.matched_rules == ("r",)) is applies
    assert decision.required_sign_offs == (2 if applies else 0)


@pytest.mark.parametrize(
    ("when", "overrides", "described"),
    [
        ({}, {}, "every change"),
        ({"ai_assisted": True}, {"ai_assisted": True}, "AI-assisted change"),
        ({"ai_assisted": False}, {}, "change without AI assistance"),
        ({"author_level_at_most": 5}, {"author_level": 5}, "change by an L5 author"),
        ({"author_is_bot": True}, {"author_is_bot": True}, "change by a bot"),
        ({"author_is_bot": False}, {}, "change by a person"),
        (
            {"paths": ["docs/**"]},
            {"paths": ("a.py", "docs/a.md", "docs/b.md")},
            "change touching docs/a.md and docs/b.md",
        ),
        ({"sensitive": True}, {"paths": ("payments/x.py",)}, "change touching sensitive paths (payments/x.py)"),
        ({"sensitive": False}, {}, "change touching no sensitive path"),
        ({"size_above": 500}, {"lines_changed": 501}, "change of 501 changed lines (above 500)"),
        ({"risk_above": 0.5}, {"risk": 0.8}, "change with risk 0.80 (above 0.50)"),
        ({"risk_above": 0.5}, {"risk": math.nan}, "change with unknown risk (counted as above 0.50)"),
        ({"repositories": ["web"]}, {}, "change in repository web"),
        ({"services": ["web", "api"]}, {"services": ("api", "web", "other")}, "change in services api and web"),
        ({"services": ["web"]}, {}, "change in service web"),
        (
            {"ai_assisted": True, "author_level_at_most": 5, "paths": ["payments/**"], "size_above": 10},
            {"ai_assisted": True, "author_level": 3, "paths": ("payments/a.py",), "lines_changed": 20},
            "AI-assisted change by an L3 author touching payments/a.py of 20 changed lines (above 10)",
        ),
    ],
)
def test_reason_describes_the_change_by_the_conditions_of_the_rule(when, overrides, described):
    decision = decide(facts(**overrides), policy({"name": "r", "when": when, "require": {"sign_offs": 1}}))

    assert decision.reasons[0] == f"r: {described} needs 1 senior sign-off"


@pytest.mark.parametrize(
    ("require", "phrase"),
    [
        ({}, "no sign-off"),
        ({"sign_offs": 1}, "1 senior sign-off"),
        ({"sign_offs": 3}, "3 senior sign-offs"),
        ({"owner": True}, "1 senior sign-off by a code owner"),
        ({"sign_offs": 2, "owner": True}, "2 senior sign-offs, one of them by a code owner"),
        ({"attestation": True}, "the author's attestation"),
        ({"gates_passed": True}, "passing gates"),
        (
            {"sign_offs": 1, "attestation": True, "gates_passed": True},
            "1 senior sign-off, the author's attestation and passing gates",
        ),
    ],
)
def test_reason_names_what_the_rule_requires(require, phrase):
    decision = decide(facts(), policy({"name": "r", "when": {}, "require": require}))

    assert decision.reasons[0] == f"r: every change needs {phrase}"


# --- combining requirements ----------------------------------------------------------------------------------


def test_requirements_of_every_applying_rule_combine():
    combined = policy(
        {"name": "one", "when": {}, "require": {"sign_offs": 1, "attestation": True}},
        {"name": "three", "when": {"repositories": ["web"]}, "require": {"sign_offs": 3}},
        {"name": "gates", "when": {"size_above": 5}, "require": {"gates_passed": True}},
        {"name": "never", "when": {"repositories": ["other"]}, "require": {"sign_offs": 5, "owner": True}},
    )

    decision = decide(facts(), combined)

    assert decision.required_sign_offs == 3
    assert decision.requires_attestation is True
    assert decision.requires_gates is True
    assert decision.requires_owner is False
    assert decision.owner_paths == ()
    assert decision.matched_rules == ("one", "three", "gates")


def test_owner_requirement_alone_implies_one_sign_off():
    decision = decide(facts(), policy({"name": "own", "when": {}, "require": {"owner": True}}))

    assert decision.requires_owner is True
    assert decision.required_sign_offs == 1


@pytest.mark.parametrize(
    ("rules", "paths", "owner_paths"),
    [
        # the default: the sensitive paths
        (
            [{"name": "s", "when": {"sensitive": True}, "require": {"owner": True}}],
            ("app/a.py", "payments/b.py"),
            ("payments/b.py",),
        ),
        # a rule's own paths, and the sensitive ones as well
        (
            [{"name": "infra", "when": {"paths": ["infra/**"]}, "require": {"owner": True}}],
            ("infra/main.tf", "app/a.py", "lib/auth/x.py"),
            ("infra/main.tf", "lib/auth/x.py"),
        ),
        # an owner rule that names no paths: an owner of whatever the change touches
        (
            [{"name": "risky", "when": {"risk_above": 0.05}, "require": {"owner": True}}],
            ("app/a.py", "app/b.py"),
            ("app/a.py", "app/b.py"),
        ),
        # paths matched by a rule that needs no owner are not owner paths
        (
            [
                {"name": "infra", "when": {"paths": ["infra/**"]}, "require": {"sign_offs": 2}},
                {"name": "pay", "when": {"paths": ["payments/**"]}, "require": {"owner": True}},
            ],
            ("infra/main.tf", "payments/a.py", "payments/a.py"),
            ("payments/a.py",),
        ),
        # no owner required: no owner paths, even on sensitive paths
        ([{"name": "any", "when": {}, "require": {"sign_offs": 1}}], ("payments/a.py",), ()),
    ],
)
def test_owner_paths_are_what_an_owner_must_cover(rules, paths, owner_paths):
    decision = decide(facts(paths=paths), policy(*rules))

    assert decision.owner_paths == owner_paths
    assert decision.requires_owner is bool(owner_paths)


def test_policy_without_rules_requires_nothing():
    decision = decide(facts(ai_assisted=True, paths=("payments/a.py",)), Policy())

    assert decision.required_sign_offs == 0
    assert decision.matched_rules == ()
    assert decision.sensitive_paths == ("payments/a.py",)
    assert decision.reasons == ("no rule requires a senior sign-off",)


@pytest.mark.parametrize(("limit", "lines", "oversized"), [(100, 100, False), (100, 101, True), (5000, 4999, False)])
def test_oversized_follows_the_size_limit_setting(limit, lines, oversized):
    decision = decide(facts(lines_changed=lines), policy(size_limit=limit))

    assert decision.oversized is oversized
    size_note = f"{lines} changed lines, above the size limit of {limit}: consider splitting it"
    assert (size_note in decision.reasons) is oversized


# --- AI assistance -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "confidence", "threshold", "assisted"),
    [
        (True, 0.0, 0.5, True),
        (None, 0.5, 0.5, True),
        (None, 0.49, 0.5, False),
        (False, 0.9, 0.5, True),
        (False, 0.0, 0.5, False),
        (None, 0.7, 0.8, False),
        (None, math.nan, 0.5, False),
    ],
)
def test_change_is_ai_assisted_when_declared_or_detected_above_the_threshold(declared, confidence, threshold, assisted):
    result = is_ai_assisted(declared=declared, confidence=confidence, settings=Settings(ai_threshold=threshold))

    assert result is assisted


# --- globs (kept from before: services use them) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        ("lib/auth/tokens.py", "lib/auth/**"),
        ("lib/auth/deep/nested/file.py", "lib/auth/**"),
        ("lib/auth", "lib/auth/**"),
        ("lib/auth/tokens.py", "/lib/auth/**"),
        ("lib/auth/tokens.py", "  lib/auth/**  "),
        ("lib/auth/tokens.py", "lib/auth"),
        ("lib/auth/tokens.py", "lib/auth/"),
        ("lib/auth/tokens.py", "/lib/auth/"),
        ("services/gateway/auth.go", "services/gateway/auth.go"),
        ("config/prod.yaml", "config/*.yaml"),
        ("key.pem", "*.pem"),
        ("certs/deep/key.pem", "*.pem"),
        ("migrations/0001_initial.py", "**/migrations/**"),
        ("app/migrations/0001_initial.py", "**/migrations/**"),
        ("terraform/main.tf", "terraform/**"),
        ("lib/x1.py", "lib/x?.py"),
        ("lib/x1.py", "lib/x[0-9].py"),
        ("anything/at/all", "**"),
    ],
)
def test_path_matches_glob(path, pattern):
    assert matches_glob(path, pattern) is True


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        ("lib/authz/tokens.py", "lib/auth/**"),
        ("lib/authz/tokens.py", "lib/auth"),
        ("lib/authz/tokens.py", "lib/auth/"),
        ("other/lib/auth/x.py", "lib/auth/**"),
        ("Lib/Auth/x.py", "lib/auth/**"),
        ("config/prod.yml", "config/*.yaml"),
        ("services/gateway/auth.go.bak", "services/gateway/auth.go"),
        ("app/migrations_old/x.py", "**/migrations/**"),
        ("app/views.py", ""),
        ("lib/x10.py", "lib/x?.py"),
    ],
)
def test_path_does_not_match_glob(path, pattern):
    assert matches_glob(path, pattern) is False


def test_sensitive_matches_keeps_the_order_of_paths_and_lists_each_once():
    paths = ["b/secret.key", "a/readme.md", "lib/auth/x.py", "c/other.key"]

    assert sensitive_matches(paths, ["*.key", "lib/auth/**", "b/**"]) == (
        "b/secret.key",
        "lib/auth/x.py",
        "c/other.key",
    )


@pytest.mark.parametrize(("paths", "globs"), [((), ("**",)), (("a", "b"), ()), ((), ())])
def test_sensitive_matches_is_empty_without_paths_or_globs(paths, globs):
    assert sensitive_matches(paths, globs) == ()


path_segment = st.text(alphabet="abcdefghij._-", min_size=1, max_size=8)
repo_path = st.lists(path_segment, min_size=1, max_size=5).map("/".join)


@settings(max_examples=150)
@given(directory=repo_path, rest=repo_path)
def test_every_file_below_a_directory_matches_its_double_star_glob(directory, rest):
    assert matches_glob(f"{directory}/{rest}", f"{directory}/**")
    assert matches_glob(f"{directory}/{rest}", f"{directory}/")


# --- properties: untrusted data never breaks parsing or deciding ------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25,
)
KNOWN_KEYS = sorted(
    {"settings", "rules", "name", "description", "when", "require", "exempt", "bogus"}
    | set(DEFAULT_POLICY_DATA["settings"])
    | {f.name for f in fields(Conditions)}
    | {f.name for f in fields(Requirements)}
)


@st.composite
def mutated_default_policy(draw: st.DrawFn) -> Any:
    """The default policy data with a few values replaced, keys removed or keys added, at any depth."""
    data = copy.deepcopy(DEFAULT_POLICY_DATA)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        node: Any = data
        while True:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = node[key]
            if isinstance(child, dict | list) and child and draw(st.booleans()):
                node = child
                continue
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                node[key] = draw(json_values)
            elif action == "delete":
                del node[key]
            elif isinstance(node, dict):
                node[draw(st.sampled_from(KNOWN_KEYS))] = draw(json_values)
            else:
                node.append(draw(json_values))
            break
    return data


def _raises_only_policy_error(data: Any) -> Policy | None:
    try:
        return parse_policy(data)
    except PolicyError as exc:
        assert str(exc)
        return None


@settings(max_examples=300)
@given(data=json_values)
def test_parse_policy_on_arbitrary_json_raises_nothing_but_policy_error(data):
    _raises_only_policy_error(data)


@settings(max_examples=400)
@given(data=mutated_default_policy())
def test_parse_policy_on_an_edited_default_raises_nothing_but_policy_error(data):
    parsed = _raises_only_policy_error(data)

    if parsed is not None:
        assert parse_policy(policy_to_data(parsed)) == parsed


# Text a policy can hold: anything but U+0000 and lone surrogates (PostgreSQL cannot store them).
policy_text = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
names = st.lists(st.text(policy_text, min_size=1, max_size=8).filter(str.strip), min_size=1, max_size=3)
globs = st.lists(
    st.sampled_from(["payments/**", "lib/auth/", "**/migrations/**", "*.tf", "docs/*", "a"]), min_size=1, max_size=4
)
conditions = st.fixed_dictionaries(
    {},
    optional={
        "ai_assisted": st.booleans(),
        "author_level_at_most": st.integers(min_value=3, max_value=8),
        "author_is_bot": st.booleans(),
        "paths": globs,
        "sensitive": st.booleans(),
        "size_above": st.integers(min_value=1, max_value=10**6),
        "risk_above": st.floats(min_value=0, max_value=1),
        "repositories": names,
        "services": names,
    },
)
requirements = st.fixed_dictionaries(
    {},
    optional={
        "sign_offs": st.integers(min_value=0, max_value=5),
        "owner": st.booleans(),
        "attestation": st.booleans(),
        "gates_passed": st.booleans(),
    },
)
rule_bodies = st.fixed_dictionaries({"when": conditions, "require": requirements}) | st.fixed_dictionaries(
    {"when": conditions.filter(lambda w: w and w.get("ai_assisted") is not True), "exempt": st.just(True)}
)
valid_policy_data = st.builds(
    lambda settings_data, names_, bodies: {
        "settings": settings_data,
        "rules": [{"name": n, **b} for n, b in zip(names_, bodies, strict=False)],
    },
    st.fixed_dictionaries(
        {},
        optional={
            "senior_level": st.integers(min_value=3, max_value=8),
            "size_limit": st.integers(min_value=1, max_value=10**6),
            "ai_threshold": st.floats(min_value=0.01, max_value=1),
            "dismiss_on_new_revision": st.booleans(),
            "keep_approval_on_rebase": st.booleans(),
            "host_approvals_count": st.booleans(),
        },
    ),
    st.lists(st.text(policy_text, min_size=1, max_size=80).filter(str.strip), max_size=6, unique=True),
    st.lists(rule_bodies, min_size=6, max_size=6),
)
arbitrary_facts = st.builds(
    ChangeFacts,
    author_level=st.none() | st.integers(min_value=-5, max_value=20),
    author_is_bot=st.booleans(),
    ai_assisted=st.booleans(),
    paths=st.lists(
        st.sampled_from(["payments/a.py", "lib/auth/x", "docs/r.md", "infra/m.tf"]) | st.text(max_size=20), max_size=6
    ).map(tuple),
    lines_changed=st.integers(min_value=-10, max_value=10**7),
    risk=st.floats(),
    repository=st.text(max_size=8),
    services=st.lists(st.text(max_size=8), max_size=3).map(tuple),
    sensitive_globs=st.lists(st.sampled_from(["payments/**", "lib/"]) | st.text(max_size=12), max_size=4).map(tuple),
)


@settings(max_examples=300)
@given(data=valid_policy_data)
def test_valid_policy_data_round_trips(data):
    parsed = parse_policy(data)

    assert parse_policy(policy_to_data(parsed)) == parsed


@settings(max_examples=400)
@given(data=valid_policy_data, change=arbitrary_facts)
def test_decide_never_raises_on_arbitrary_facts_and_keeps_its_promises(data, change):
    rules = parse_policy(data)

    decision = decide(change, rules)

    assert decision.reasons
    assert 0 <= decision.required_sign_offs <= 5
    assert decision.required_sign_offs >= 1 or not decision.requires_owner
    assert decision.requires_owner is bool(decision.owner_paths) or not change.paths
    assert set(decision.owner_paths) <= set(change.paths)
    assert decision.sensitive_paths == sensitive_matches(change.paths, change.sensitive_globs)
    assert set(decision.matched_rules) <= {r.name for r in rules.rules}


@settings(max_examples=300)
@given(data=valid_policy_data, change=arbitrary_facts)
def test_ai_assisted_change_needs_what_it_would_need_without_any_exemption(data, change):
    rules = parse_policy(data)
    without_exemptions = Policy(settings=rules.settings, rules=tuple(r for r in rules.rules if not r.exempt))
    ai_change = ChangeFacts(**{**vars(change), "ai_assisted": True})

    with_them, without_them = decide(ai_change, rules), decide(ai_change, without_exemptions)

    assert with_them.matched_rules == without_them.matched_rules
    assert (
        with_them.required_sign_offs,
        with_them.requires_owner,
        with_them.requires_attestation,
        with_them.requires_gates,
        with_them.owner_paths,
    ) == (
        without_them.required_sign_offs,
        without_them.requires_owner,
        without_them.requires_attestation,
        without_them.requires_gates,
        without_them.owner_paths,
    )


@pytest.mark.parametrize(
    ("when", "agent_opened", "applies", "phrase"),
    [
        ({"agent_opened": True}, True, True, "opened by an AI agent's own account"),
        ({"agent_opened": True}, False, False, ""),
        ({"agent_opened": False}, False, True, "opened by a person"),
        ({"agent_opened": False}, True, False, ""),
        ({}, True, True, "every change"),
    ],
)
def test_the_agent_opened_condition(when, agent_opened, applies, phrase):
    rules = policy({"name": "r", "when": when, "require": {"sign_offs": 2}})

    decision = decide(facts(agent_opened=agent_opened), rules)

    assert (decision.matched_rules == ("r",)) is applies
    if applies:
        assert decision.required_sign_offs == 2
        assert phrase in decision.reasons[0]


def test_an_exemption_never_applies_to_an_agent_opened_change():
    rules = policy({"name": "bots", "when": {"author_is_bot": True}, "exempt": True})

    decision = decide(facts(author_is_bot=True, agent_opened=True), rules)

    assert decision.matched_rules == ()
    assert decision.reasons[0] == "exemption 'bots' does not apply: the change is opened by an AI agent"


def test_an_exemption_of_agent_opened_changes_is_refused():
    with pytest.raises(PolicyError, match=r"rules\[0\]\.when\.agent_opened cannot be true on an exemption"):
        policy({"name": "agents", "when": {"agent_opened": True}, "exempt": True})
