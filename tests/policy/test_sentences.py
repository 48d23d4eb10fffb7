"""The policy in words: each rule as one sentence, settings, and the difference between two versions."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from policy.document import DEFAULT_POLICY_DATA, Conditions, Policy, Requirements, Rule, Settings, parse_policy
from policy.sentences import policy_diff, rule_sentence, settings_sentences


@pytest.mark.parametrize(
    ("when", "require", "exempt", "sentence"),
    [
        (
            Conditions(ai_assisted=True, author_level_at_most=4),
            Requirements(sign_offs=1, attestation=True),
            False,
            "AI-assisted changes by L3–L4 authors need 1 senior sign-off and the author's attestation.",
        ),
        (Conditions(), Requirements(gates_passed=True), False, "All changes need passing automated gates."),
        (
            Conditions(sensitive=True),
            Requirements(sign_offs=1, owner=True),
            False,
            "Changes touching a sensitive path need 1 senior sign-off by a code owner.",
        ),
        (
            Conditions(paths=("payments/**", "db/migrations/")),
            Requirements(sign_offs=2, owner=True, gates_passed=True),
            False,
            "Changes touching payments/** or db/migrations/ need 2 senior sign-offs, one of them by a code owner "
            "and passing automated gates.",
        ),
        (
            Conditions(risk_above=0.7),
            Requirements(owner=True),
            False,
            "Changes with a risk above 0.70 need 1 senior sign-off by a code owner.",
        ),
        (
            Conditions(author_is_bot=True),
            Requirements(),
            True,
            "Changes by bots need no sign-off (never when AI-assisted or opened by an AI agent).",
        ),
        (
            Conditions(agent_opened=True),
            Requirements(sign_offs=2),
            False,
            "Changes opened by an AI agent need 2 senior sign-offs.",
        ),
        (
            Conditions(ai_assisted=False, author_level_at_most=3, size_above=1200),
            Requirements(sign_offs=1),
            False,
            "Changes that are not AI-assisted by L3 authors of more than 1,200 changed lines need 1 senior sign-off.",
        ),
        (
            Conditions(repositories=("shop",), services=("billing", "auth")),
            Requirements(attestation=True),
            False,
            "Changes in repository shop of services billing or auth need the author's attestation.",
        ),
        (
            Conditions(repositories=("a", "b", "c"), sensitive=False, author_is_bot=False),
            Requirements(),
            False,
            "Changes by people (not bots) touching no sensitive path in repositories a, b or c need nothing more "
            "(the rule only records that it applied).",
        ),
    ],
    ids=[
        "ai-junior",
        "every-change",
        "sensitive-owner",
        "paths-two-owner-gates",
        "risk-owner-implies-one",
        "bot-exemption",
        "agent",
        "negations-and-size",
        "repos-services",
        "nothing-required",
    ],
)
def test_a_rule_reads_as_one_sentence(when, require, exempt, sentence):
    assert rule_sentence(Rule(name="r", when=when, require=require, exempt=exempt)) == sentence


def test_no_rule_of_the_default_policy_prints_a_python_object():
    for rule in parse_policy(DEFAULT_POLICY_DATA).rules:
        sentence = rule_sentence(rule)
        assert "Conditions" not in sentence and "None" not in sentence and sentence.endswith(".")


def test_settings_read_as_sentences():
    assert settings_sentences(Settings(senior_level=7, size_limit=1500, host_approvals_count=True)) == [
        "Seniors are engineers at L7 and above.",
        "The size limit is 1,500 changed lines.",
        "A change counts as AI-assisted when its author declares it or detection is at least 50% confident.",
        "A new revision dismisses earlier sign-offs.",
        "A rebase keeps approvals.",
        "Approvals given on the git host count as sign-offs.",
    ]


def _default() -> Policy:
    return parse_policy(DEFAULT_POLICY_DATA)


def test_the_same_policy_has_no_difference():
    assert policy_diff(_default(), _default()).is_empty


def test_a_rule_added_removed_and_changed_read_as_sentences():
    data = copy.deepcopy(DEFAULT_POLICY_DATA)
    data["rules"][0]["when"]["author_level_at_most"] = 4
    data["rules"] = [r for r in data["rules"] if r["name"] != "bots"]
    data["rules"].append({"name": "terraform", "when": {"paths": ["**/*.tf"]}, "require": {"sign_offs": 2}})

    diff = policy_diff(_default(), parse_policy(data))

    assert diff.added == [("terraform", "Changes touching **/*.tf need 2 senior sign-offs.")]
    assert diff.removed == [
        ("bots", "Changes by bots need no sign-off (never when AI-assisted or opened by an AI agent).")
    ]
    assert [(c.name, c.before, c.after) for c in diff.changed] == [
        (
            "ai-assisted-junior-or-mid",
            "AI-assisted changes by L3–L5 authors need 1 senior sign-off and the author's attestation.",
            "AI-assisted changes by L3–L4 authors need 1 senior sign-off and the author's attestation.",
        )
    ]
    assert not diff.settings and not diff.reordered


def test_a_description_edit_settings_and_order_show_in_the_difference():
    before = _default()
    rules = list(before.rules)
    rules[0] = replace(rules[0], description="reworded")
    rules[1], rules[2] = rules[2], rules[1]
    after = Policy(settings=replace(before.settings, size_limit=800), rules=tuple(rules))

    diff = policy_diff(before, after)

    assert [(c.name, c.before == c.after, c.description_after) for c in diff.changed] == [
        ("ai-assisted-junior-or-mid", True, "reworded")
    ]
    assert diff.settings == [("The size limit is 1,000 changed lines.", "The size limit is 800 changed lines.")]
    assert diff.reordered


def test_a_renamed_rule_reads_as_removed_and_added():
    data = copy.deepcopy(DEFAULT_POLICY_DATA)
    data["rules"][3]["name"] = "automated-gates"

    diff = policy_diff(_default(), parse_policy(data))

    assert [n for n, _ in diff.added] == ["automated-gates"]
    assert [n for n, _ in diff.removed] == ["gates"]
    assert not diff.changed
