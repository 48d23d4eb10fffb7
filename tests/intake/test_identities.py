"""One name per person among git's addresses (intake.gitnames)."""

import pytest

from intake.gitnames import canonical_address


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
