"""Which branches are review candidates (intake.gitnames): release, back-port, docs and dev lines are not."""

import pytest

from intake.gitnames import is_candidate_branch


@pytest.mark.parametrize(
    "name",
    [
        "rel_0_1",
        "release-branch.go1.9",
        "gopls-release-branch.0.18",
        "internal-branch.go1.16-vendor",
        "dev.go2go",
        "1.10.X-fixes",
        "v5.6.x",
        "2.x",
        "release/1.2",
        "gh-pages",
        "docs",
        "stable/3.1",
        "stable",
        "version-0.28.2",
        "3.14",
        "2.0",
        "1.8",
        "10.2",
        "2024.1",
        "master",
        "main",
    ],
)
def test_release_docs_and_long_lived_branches_are_not_candidates(name):
    assert is_candidate_branch(name) is False


@pytest.mark.parametrize(
    "name",
    [
        "feature/login",
        "copilot/fix-13460",
        "dependabot/pip/towncrier-lt-25",
        "alex/pydantic_js_title",
        "fix-docs-typo",
        "version-bump",
        "1234-fix-py3.12",
        "fix-stall",
        "bot/pull-translations",
        "master-merge-fix",
    ],
)
def test_work_branches_are_candidates(name):
    assert is_candidate_branch(name) is True


def test_patterns_are_configurable():
    assert is_candidate_branch("gh-pages", skip=()) is True
    assert is_candidate_branch("feature/x", skip=("feature/*",)) is False
