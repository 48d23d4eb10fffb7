"""Which branches of an imported repository are review candidates (pure)."""

from __future__ import annotations

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
    # The published-docs branch itself; a topic branch such as docs/faq is a proposed change like any other.
    "docs",
)


def is_candidate_branch(name: str, skip: Iterable[str] = DEFAULT_SKIP_BRANCHES) -> bool:
    """False for a branch matching one of the skip patterns (shell-style, case-sensitive, whole name)."""
    return not any(fnmatchcase(name, pattern) for pattern in skip if pattern)
