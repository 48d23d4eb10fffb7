"""What the names an imported history records mean: which branches are review candidates, and which e-mail
addresses are one person (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase

# Long-lived branches that are not proposed changes: releases and their back-port lines, published docs.
DEFAULT_SKIP_BRANCHES = (
    "release",
    "release/*",
    "release-*",
    "releases/*",
    "rel_*",
    "rel-*",
    "*-release-branch*",
    "*release-branch.*",
    "v[0-9]*",
    # Release lines named by their version alone (aiohttp's "3.14", poetry's "2.0", a calendar "2024.1"); a work
    # branch named after its issue ("1234-fix-py3.12") does not have the dot that close to its start.
    "[0-9].[0-9]*",
    "[0-9][0-9].[0-9]*",
    "[0-9][0-9][0-9][0-9].[0-9]*",
    "version-[0-9]*",
    "[0-9]*.x",
    "[0-9]*.X",
    "*.[xX]-*",
    "*.[xX]",
    "stable",
    "stable/*",
    "maint",
    "maint/*",
    "maintenance/*",
    "internal-branch.*",
    "dev.*",
    "gh-pages",
    # The usual default-branch names, when another is the default: a "master" left behind after the move to "main"
    # (python-poetry/poetry) is the old line, not a proposal.
    "main",
    "master",
    "trunk",
    # The published-docs branch itself; a topic branch such as docs/faq is a proposed change like any other.
    "docs",
)


def is_candidate_branch(name: str, skip: Iterable[str] = DEFAULT_SKIP_BRANCHES) -> bool:
    """False for a branch matching one of the skip patterns (shell-style, case-sensitive, whole name)."""
    return not any(fnmatchcase(name, pattern) for pattern in skip if pattern)


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


# A bot's commits: a GitHub App's account ("dependabot[bot]", "pre-commit-ci[bot]"), a known automation account (the
# vocabulary of incidents.history.cases.BOT_RE and policy's bot exemption, which should come to ask this function),
# or a name that says so ("aio-libs bot", "renovate-bot"); "Abbot" or "Talbot" is a person.
_BOT_RE = re.compile(
    r"\[bot\]|dependabot|renovate|pre-commit-ci|github-actions|gopherbot|greenkeeper|snyk-bot|"
    r"allcontributors|mergify|imgbot|web-flow|noreply@github\.com$",
    re.IGNORECASE,
)
_BOT_SUFFIX_RE = re.compile(r"(^|[\s._-])bot$", re.IGNORECASE)


def is_bot_author(name: str, email: str) -> bool:
    """True when a commit's author is an automation account rather than a person."""
    name, email = name.strip(), email.strip()
    local = email.lower().partition("@")[0]
    return any(pattern.search(value) for pattern in (_BOT_RE, _BOT_SUFFIX_RE) for value in (name, email, local))
