"""One name per person among git's addresses, and which authors are no person (intake.gitnames)."""

import pytest

from intake.gitnames import canonical_address, is_bot_author


@pytest.mark.parametrize(
    ("address", "canonical"),
    [
        ("61329810+cobaltt7@users.noreply.github.com", "61329810@users.noreply.github.com"),
        ("61329810+RedGuy12@users.noreply.github.com", "61329810@users.noreply.github.com"),
        (" Jelle.Zijlstra@Gmail.com ", "jelle.zijlstra@gmail.com"),
        ("cobaltt7@users.noreply.github.com", "cobaltt7@users.noreply.github.com"),
        ("49699333+dependabot[bot]@users.noreply.github.com", "49699333+dependabot[bot]@users.noreply.github.com"),
        ("12+x@users.noreply.github.com.evil.test", "12+x@users.noreply.github.com.evil.test"),
        ("", ""),
    ],
)
def test_renamed_github_logins_share_one_address_and_everything_else_is_only_lower_cased(address, canonical):
    assert canonical_address(address) == canonical


@pytest.mark.parametrize(
    ("name", "email", "bot"),
    [
        ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", True),
        ("pre-commit-ci[bot]", "66853113+pre-commit-ci[bot]@users.noreply.github.com", True),
        ("aio-libs bot", "aiolibsbot@koston.org", True),
        ("pyup.io bot", "github-bot@pyup.io", True),
        ("Ann Talbot", "talbot@example.com", False),
        ("renovate-bot", "bot@renovateapp.com", True),
        ("Mergify", "37929162+mergify[bot]@users.noreply.github.com", True),
        ("GitHub", "noreply@github.com", True),
        ("Renovate", "renovate@whitesourcesoftware.com", True),
        ("Sam Bull", "git@sambull.org", False),
        ("Abbot Talbot", "abbot@example.com", False),
        ("J. Nick Koston", "nick@koston.org", False),
    ],
)
def test_bot_authors_are_told_from_people(name, email, bot):
    assert is_bot_author(name, email) is bot
