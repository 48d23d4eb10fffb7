"""What the suspect ranking reads: the incident, the candidate changes, deployments, commits and blame, as plain
values; the knobs; and the small pure helpers over them (references in commit messages, paths, hotfixes)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

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


@dataclass(frozen=True)
class IncidentScope:
    """What the ranking knows of the incident."""

    started_at: datetime
    services: tuple[ServiceScope, ...]
    paths: tuple[str, ...] = ()
    fix_sha: str = ""


@dataclass(frozen=True)
class Knobs:
    """Every weight and window of the ranking."""

    lookback_hours: float = 7 * 24  # how far before the start the services look for candidates
    environments: tuple[str, ...] = ("production", "prod", "live")
    deploy_weight: float = 3.0  # deployed to an affected service at the very start; less by recency_weight after
    recency_scale_hours: float = 24.0
    recency_weight: float = 1.0  # times -log(1 + hours between its deployment and the start / the scale)
    later_deploys_weight: float = 0.5  # less, times log(1 + deployments of the service after it)
    undeployed_weight: float = 1.5  # merged before the start with no deployment of it recorded; less by recency_weight
    deployed_after_weight: float = -3.0
    paths_weight: float = 1.0  # all its files inside the affected services' paths
    outside_paths_weight: float = -1.0  # none of its files inside them
    incident_paths_weight: float = 2.0  # all its files inside the paths named in the incident
    risk_weight: float = 0.5  # times the log-odds of the risk score against the pivot
    risk_pivot: float = 0.4  # risk scores above this add, below it take away
    size_weight: float = 0.6  # times the log of its size over the median size of the suspects
    gate_weight: float = 0.25  # per warning or failed gate, up to three
    override_weight: float = 0.5  # per failed gate a senior let through
    ai_weight: float = 0.3
    rubber_stamp_weight: float = 0.5
    no_sign_off_weight: float = 0.5
    careful_sign_off_weight: float = -0.2
    floor: Floor = Floor()
    revert_after_weight: float = 4.0  # reverted after the start (or by the fix commit)
    revert_before_weight: float = -4.0  # already reverted before the start: no longer running
    is_revert_weight: float = -1.5  # the change is itself a revert, putting back code that ran before
    fix_after_weight: float = 3.0  # a later commit names it as what it fixes, after the start
    fix_before_weight: float = 0.5  # ... before the start: it needed fixing once already
    hotfix_files_weight: float = 1.0  # a hotfix after the start touches its files
    blame_weight: float = 3.0  # the fix changes lines this change last touched ...
    blame_share_weight: float = 3.0  # ... plus this much times its share of the traced lines


@dataclass(frozen=True)
class Evidence:
    """One thing the ranking saw, in words, and what it added to the score."""

    kind: str  # deploy, paths, risk, gates, ai, sign_off, revert, hotfix, blame
    detail: str
    weight: float


@dataclass(frozen=True)
class Suspect:
    """A candidate with its score and the evidence behind it."""

    candidate: Candidate
    score: float
    evidence: tuple[Evidence, ...]


# --- small helpers ---------------------------------------------------------------------------------------


def ago(seconds: float) -> str:
    """A duration in words: 45 s, 38 min, 5 h 10 min, 3 d 4 h."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{int(seconds)} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def recency_weight(age_hours: float, knobs: Knobs) -> float:
    """Log-odds that a change deployed this long before the start set it off, against one deployed at the start.

    Most bad deployments show within the hour and fewer every hour after, but a long tail surfaces days later
    (a cron job, the month's first invoice run): the prior falls as 1 / (1 + age / scale), not exponentially.
    """
    return -knobs.recency_weight * math.log1p(max(0.0, age_hours) / knobs.recency_scale_hours)


def logit(p: float) -> float:
    p = min(0.99, max(0.01, p))
    return math.log(p / (1 - p))


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


def is_hotfix(note: CommitNote) -> bool:
    """Titled or described as a hotfix."""
    return bool(_HOTFIX_RE.search(note.title) or _HOTFIX_RE.search(note.message[:2000]))


def implied_deploys(candidates: Iterable[Candidate], services: Sequence[ServiceScope]) -> list[Deploy]:
    """Where a repository records no deployments: each merged change went out to its services when it merged."""
    deploys = []
    for candidate in candidates:
        if candidate.merged_at is None:
            continue
        for service in services:
            if any(is_under(p, service.prefixes) for p in candidate.paths) or not service.prefixes:
                deploys.append(Deploy(service.name, candidate.merged_at, (candidate.change_id,), implied=True))
    return deploys
