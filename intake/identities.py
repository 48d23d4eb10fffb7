"""One name per person among the e-mail addresses git records (pure)."""

from __future__ import annotations

import re

# GitHub's private commit address: "<account id>+<login>@users.noreply.github.com". The id never changes; the login
# does when the account is renamed, so one person's commits carry several of these addresses.
_GITHUB_NOREPLY_RE = re.compile(r"^(\d+)\+([^@]+)@users\.noreply\.github\.com$")


def canonical_address(email: str) -> str:
    """The address lower-cased, with a GitHub private address reduced to its account id (logins get renamed).

    Bot accounts keep their login, which is what says they are bots.
    """
    address = email.strip().lower()
    match = _GITHUB_NOREPLY_RE.match(address)
    if match is None or "[bot]" in match[2]:
        return address
    return f"{match[1]}@users.noreply.github.com"
