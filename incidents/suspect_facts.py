"""What the suspect ranking reads: the incident, the candidate changes, deployments, commits and blame, as plain
values; the knobs; and the small pure helpers over them (references in commit messages, paths, hotfixes)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from incidents.ranking.labels import FEATURE_LABELS
from reviews.rubberstamp import Floor

# "This reverts commit <sha>." is what `git revert` writes.
_REVERT_RE = re.compile(r"\bThis reverts commit ([0-9a-fA-F]{7,40})\b")
# The "Fixes:" trailer (Linux kernel, many projects since) and plain prose that names the commit it fixes.
_FIXES_TRAILER_RE = re.compile(r"(?im)^\s*Fixes:\s*(?:commit\s+)?([0-9a-f]{7,40})\b")
_FIXES_PROSE_RE = re.compile(r"(?i)\b(?:hot-?)?fix(?:es)?\s+(?:for\s+)?commit\s+([0-9a-f]{7,40})\b")
_HOTFIX_RE = re.compile(r"\bhot[- ]?fix", re.IGNORECASE)
_TEST_RE = re.compile(r"(^|/)(tests?|__tests__|spec)(/|$)|(^|/)test_[^/]*$|_test\.[^/]+$|\.(test|spec)\.[^/]+$")


@dataclass(frozen=True)
class ServiceScope:
    """A service an incident affects, and the path prefixes of its code ('' or none: the whole repository)."""

    name: str
    prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignOff:
    """An approval of a change."""

    reviewer: str
    seconds_spent: int
    rubber_stamp: bool = False
    at: datetime | None = None


@dataclass(frozen=True)
class Candidate:
    """A merged change that could have caused the incident, with what is known about how it shipped."""

    change_id: int
    sha: str
    title: str
    merged_at: datetime | None
    paths: tuple[str, ...]
    merge_sha: str = ""
    author: str = ""
    lines_changed: int = 0
    risk_score: float | None = None
    risk_reasons: tuple[str, ...] = ()
    gate_warnings: tuple[str, ...] = ()  # "name: message" of gates that warned or failed at the merged head
    gate_overrides: tuple[str, ...] = ()  # "name by senior: reason" of failed gates let through
    ai_assisted: bool = False
    ai_evidence: tuple[str, ...] = ()
    required_sign_offs: int = 0
    sign_offs: tuple[SignOff, ...] = ()
    message: str = ""

    @property
    def shas(self) -> tuple[str, ...]:
        return tuple(s for s in (self.sha, self.merge_sha) if s)


@dataclass(frozen=True)
class Deploy:
    """A deployment of a service carrying changes; implied ones stand for a merge where no deploy is recorded."""

    service: str
    deployed_at: datetime
    change_ids: tuple[int, ...]
    environment: str = "production"
    implied: bool = False


@dataclass(frozen=True)
class CommitNote:
    """A merged commit whose message or title may revert or fix another change."""

    sha: str
    title: str
    message: str
    at: datetime
    paths: tuple[str, ...] = ()
    change_id: int | None = None


@dataclass(frozen=True)
class Blame:
    """What `git blame` on the fix's parent found for the lines the fix deleted or modified (SZZ)."""

    fix_sha: str
    lines: Mapping[str, int]  # commit SHA that last changed a line -> how many such lines
    total: int  # lines traced
    files: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # commit SHA -> paths of its lines
    fix_paths: tuple[str, ...] = ()  # the files the fix changes


@dataclass(frozen=True)
class IncidentScope:
    """What the ranking knows of the incident."""

    started_at: datetime
    services: tuple[ServiceScope, ...]
    paths: tuple[str, ...] = ()
    fix_sha: str = ""
    known_good_at: datetime | None = None  # the affected services last known to work (a known-good deployment)
    deploys_recorded: bool = False  # the affected services record deployments (else merges stand for them)

    def window_start(self, knobs: Knobs) -> datetime:
        """Candidates merged from here on: the known-good time, at most `knobs.window_days` before the start."""
        earliest = self.started_at - timedelta(days=knobs.window_days)
        return max(earliest, self.known_good_at) if self.known_good_at else earliest


@dataclass(frozen=True)
class Knobs:
    """What the ranking reads beyond the model's weights: the window, the environments, the sign-off floor."""

    window_days: float = 90  # at most this far before the start (less when a known-good time is given)
    environments: tuple[str, ...] = ("production", "prod", "live")
    implied_deploys: bool = True  # services recording no deployments: a change shipped when it merged
    floor: Floor = Floor()


@dataclass(frozen=True)
class Evidence:
    """One thing the ranking saw, in words, and what it added to the score."""

    kind: str  # the model's feature (incidents.ranking.model.FEATURES)
    detail: str
    weight: float

    @property
    def label(self) -> str:
        """The feature's name as people read it."""
        return FEATURE_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Suspect:
    """A candidate with its score and the evidence behind it."""

    candidate: Candidate
    score: float
    evidence: tuple[Evidence, ...]


# --- small helpers ---------------------------------------------------------------------------------------


def is_under(path: str, prefixes: Iterable[str]) -> bool:
    """The path is one of the prefixes, or inside one of them taken as a folder; '' holds everything."""
    return any(not p or path == p.rstrip("/") or path.startswith(p if p.endswith("/") else p + "/") for p in prefixes)


def is_test_path(path: str) -> bool:
    """Test code: tests/ folders, test_*.py, *_test.go, *.test.ts and the like."""
    return bool(_TEST_RE.search(path))


def matches_sha(reference: str, shas: Iterable[str]) -> bool:
    """A full or abbreviated (7+ hex) reference names one of these commits."""
    reference = reference.lower()
    return len(reference) >= 7 and any(s.lower().startswith(reference) for s in shas if s)


def parse_references(message: str) -> list[tuple[str, str]]:
    """('revert', sha) and ('fix', sha) pairs a commit message names; abbreviated SHAs kept as written."""
    found: list[tuple[str, str]] = [("revert", m.lower()) for m in _REVERT_RE.findall(message)]
    fixes = _FIXES_TRAILER_RE.findall(message) + _FIXES_PROSE_RE.findall(message)
    found += [("fix", sha.lower()) for sha in dict.fromkeys(fixes)]
    return found


def reverts_a_commit(message: str) -> bool:
    """The message names a commit it reverts (the 'revert' references of parse_references)."""
    return bool(_REVERT_RE.search(message))


def is_hotfix(note: CommitNote) -> bool:
    """Titled or described as a hotfix."""
    return bool(_HOTFIX_RE.search(note.title) or _HOTFIX_RE.search(note.message[:2000]))
