"""The sign-off policy (reviews.policy): pure, branch by branch."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews.policy import ChangeFacts, PolicyConfig, decide, matches_glob, sensitive_matches

SENIOR = PolicyConfig().senior_level


def facts(**overrides) -> ChangeFacts:
    values = {
        "author_level": 4,
        "ai_assisted": False,
        "paths": ("app/views.py",),
        "lines_changed": 10,
        "sensitive_globs": (),
    }
    values.update(overrides)
    return ChangeFacts(**values)


# --- AI assistance and author level -------------------------------------------------------------


@pytest.mark.parametrize("level", [1, 3, 4, 5, SENIOR - 1])
def test_ai_assisted_change_by_junior_or_mid_needs_one_sign_off_and_attestation(level):
    decision = decide(facts(author_level=level, ai_assisted=True))

    assert decision.required_sign_offs == 1
    assert decision.requires_attestation is True
    assert decision.requires_owner is False
    assert decision.reasons == (
        f"AI-assisted change by an L{level} author: one senior sign-off and the author's self-review attestation",
    )


@pytest.mark.parametrize("level", [SENIOR, SENIOR + 1, 9])
def test_ai_assisted_change_by_senior_author_needs_no_sign_off(level):
    decision = decide(facts(author_level=level, ai_assisted=True))

    assert decision.required_sign_offs == 0
    assert decision.requires_attestation is False
    assert decision.reasons == ("no rule requires a senior sign-off",)


def test_unknown_author_level_is_treated_as_junior():
    decision = decide(facts(author_level=None, ai_assisted=True))

    assert decision.required_sign_offs == 1
    assert decision.requires_attestation is True
    assert decision.reasons[0].startswith("AI-assisted change by an unknown author:")


@pytest.mark.parametrize("level", [None, 1, 5, SENIOR, 9])
def test_change_without_ai_assistance_needs_no_sign_off_whatever_the_level(level):
    decision = decide(facts(author_level=level, ai_assisted=False))

    assert decision.required_sign_offs == 0
    assert decision.requires_attestation is False
    assert decision.requires_owner is False
    assert decision.oversized is False
    assert decision.sensitive_paths == ()
    assert decision.reasons == ("no rule requires a senior sign-off",)


@pytest.mark.parametrize(
    ("senior_level", "author_level", "needs_sign_off"),
    [
        (4, 3, True),
        (4, 4, False),
        (8, 7, True),
        (8, 8, False),
    ],
)
def test_senior_level_comes_from_the_config(senior_level, author_level, needs_sign_off):
    decision = decide(facts(author_level=author_level, ai_assisted=True), PolicyConfig(senior_level=senior_level))

    assert (decision.required_sign_offs == 1) is needs_sign_off
    assert decision.requires_attestation is needs_sign_off


# --- sensitive paths ------------------------------------------------------------------------------


@pytest.mark.parametrize("level", [None, 1, 5, SENIOR, 9])
@pytest.mark.parametrize("ai_assisted", [True, False])
def test_sensitive_path_needs_owner_sign_off_whatever_the_level(level, ai_assisted):
    decision = decide(
        facts(
            author_level=level,
            ai_assisted=ai_assisted,
            paths=("app/views.py", "lib/auth/tokens.py"),
            sensitive_globs=("lib/auth/**",),
        )
    )

    assert decision.required_sign_offs == 1
    assert decision.requires_owner is True
    assert decision.sensitive_paths == ("lib/auth/tokens.py",)
    assert "touches sensitive paths (lib/auth/tokens.py): sign-off by a senior who owns them" in decision.reasons
    assert "no rule requires a senior sign-off" not in decision.reasons


def test_ai_assisted_junior_change_on_sensitive_path_needs_one_sign_off_by_an_owner_and_attestation():
    decision = decide(
        facts(author_level=3, ai_assisted=True, paths=("migrations/0001.py",), sensitive_globs=("migrations/**",))
    )

    assert decision.required_sign_offs == 1
    assert decision.requires_owner is True
    assert decision.requires_attestation is True
    assert len(decision.reasons) == 2
    assert decision.reasons[0].startswith("AI-assisted change by an L3 author")
    assert decision.reasons[1].startswith("touches sensitive paths (migrations/0001.py)")


def test_senior_change_on_sensitive_path_needs_no_attestation():
    decision = decide(
        facts(author_level=SENIOR, ai_assisted=True, paths=("lib/auth/x.py",), sensitive_globs=("lib/**",))
    )

    assert decision.requires_owner is True
    assert decision.requires_attestation is False


def test_paths_outside_the_sensitive_globs_need_no_owner():
    decision = decide(facts(paths=("app/views.py", "docs/auth.md"), sensitive_globs=("lib/auth/**",)))

    assert decision.requires_owner is False
    assert decision.sensitive_paths == ()
    assert decision.required_sign_offs == 0


@pytest.mark.parametrize(
    ("paths", "shown"),
    [
        (("s/a",), "s/a"),
        (("s/a", "s/b", "s/c"), "s/a, s/b, s/c"),
        (("s/a", "s/b", "s/c", "s/d"), "s/a, s/b, s/c and 1 more"),
        (("s/a", "s/b", "s/c", "s/d", "s/e", "s/f"), "s/a, s/b, s/c and 3 more"),
    ],
)
def test_sensitive_reason_shows_three_paths_and_counts_the_rest(paths, shown):
    decision = decide(facts(paths=paths, sensitive_globs=("s/**",)))

    assert decision.sensitive_paths == paths
    assert decision.reasons == (f"touches sensitive paths ({shown}): sign-off by a senior who owns them",)


# --- size ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "oversized"),
    [(0, False), (999, False), (1000, False), (1001, True), (50_000, True)],
)
def test_size_above_the_limit_is_flagged(lines, oversized):
    decision = decide(facts(lines_changed=lines))

    assert decision.oversized is oversized
    size_reasons = [r for r in decision.reasons if "changed lines" in r]
    if oversized:
        assert size_reasons == [f"{lines} changed lines, above the limit of 1000: consider splitting it"]
    else:
        assert size_reasons == []


def test_oversized_change_alone_does_not_require_a_sign_off():
    decision = decide(facts(lines_changed=5000))

    assert decision.oversized is True
    assert decision.required_sign_offs == 0
    assert decision.reasons == (
        "5000 changed lines, above the limit of 1000: consider splitting it",
        "no rule requires a senior sign-off",
    )


def test_size_limit_comes_from_the_config():
    decision = decide(facts(lines_changed=101), PolicyConfig(size_limit_lines=100))

    assert decision.oversized is True
    assert "101 changed lines, above the limit of 100: consider splitting it" in decision.reasons


def test_every_rule_at_once_lists_every_reason_in_order():
    decision = decide(
        facts(
            author_level=2,
            ai_assisted=True,
            paths=("payments/charge.py",),
            lines_changed=1200,
            sensitive_globs=("payments/**",),
        )
    )

    assert decision.required_sign_offs == 1
    assert decision.requires_owner is True
    assert decision.requires_attestation is True
    assert decision.oversized is True
    assert decision.reasons == (
        "AI-assisted change by an L2 author: one senior sign-off and the author's self-review attestation",
        "touches sensitive paths (payments/charge.py): sign-off by a senior who owns them",
        "1200 changed lines, above the limit of 1000: consider splitting it",
    )


# --- globs ---------------------------------------------------------------------------------------


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


@settings(max_examples=150)
@given(
    paths=st.lists(st.text(max_size=30), max_size=6),
    globs=st.lists(st.text(max_size=15), max_size=4),
    level=st.none() | st.integers(min_value=-5, max_value=20),
    ai_assisted=st.booleans(),
    lines=st.integers(min_value=0, max_value=10**7),
)
def test_decide_never_raises_and_always_gives_a_reason(paths, globs, level, ai_assisted, lines):
    decision = decide(
        ChangeFacts(
            author_level=level,
            ai_assisted=ai_assisted,
            paths=tuple(paths),
            lines_changed=lines,
            sensitive_globs=tuple(globs),
        )
    )

    assert decision.required_sign_offs in (0, 1)
    assert decision.reasons
    assert decision.requires_owner is bool(decision.sensitive_paths)
    assert set(decision.sensitive_paths) <= set(paths)
    assert decision.requires_attestation is (ai_assisted and (level is None or level < SENIOR))
