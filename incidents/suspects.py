"""Rank the changes that could have caused an incident, each with the evidence behind its score (pure).

Every evidence item carries a weight and a suspect's score is the sum of its weights, so the weights are
read as log-odds: each says how much likelier (above zero) or less likely (below) what it saw makes the
change the cause. Deployed to an affected service at the start is worth 3, less the log of how long and how
many deployments ago; the risk score counts by its log-odds; a fix commit whose deleted lines this change
last touched is worth 3 to 6; already reverted before the start takes 4 away. Every knob is in `Knobs`, and
`python manage.py evaluate_suspects` measures them against the reverts of a history.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from reviews.rubberstamp import Floor, floor_seconds

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
    deploy_weight: float = 3.0  # deployed to an affected service at the very start; less by _recency after
    recency_scale_hours: float = 24.0
    recency_weight: float = 1.0  # times -log(1 + hours between its deployment and the start / the scale)
    later_deploys_weight: float = 0.5  # less, times log(1 + deployments of the service after it)
    undeployed_weight: float = 1.5  # merged before the start with no deployment of it recorded; less by _recency
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


def _ago(seconds: float) -> str:
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


def _recency(age_hours: float, knobs: Knobs) -> float:
    """Log-odds that a change deployed this long before the start set it off, against one deployed at the start.

    Most bad deployments show within the hour and fewer every hour after, but a long tail surfaces days later
    (a cron job, the month's first invoice run): the prior falls as 1 / (1 + age / scale), not exponentially.
    """
    return -knobs.recency_weight * math.log1p(max(0.0, age_hours) / knobs.recency_scale_hours)


def _logit(p: float) -> float:
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


# --- evidence, one kind per function ----------------------------------------------------------------------


def deploy_evidence(
    candidate: Candidate, incident: IncidentScope, deploys: Sequence[Deploy], knobs: Knobs = Knobs()
) -> list[Evidence]:
    """How near the start the change reached an affected service (also in a batch), or that it never did."""
    names = {s.name for s in incident.services}
    environments = {e.lower() for e in knobs.environments}
    mine = [
        d
        for d in deploys
        if candidate.change_id in d.change_ids and d.service in names and d.environment.lower() in environments
    ]
    before = [d for d in mine if d.deployed_at <= incident.started_at]
    if before:
        nearest = max(before, key=lambda d: (d.deployed_at, not d.implied))
        age = (incident.started_at - nearest.deployed_at).total_seconds()
        # How many deployments of that service came after it: each one had as good a chance to be the trigger.
        later = {
            d.deployed_at
            for d in deploys
            if d.service == nearest.service and nearest.deployed_at < d.deployed_at <= incident.started_at
        }
        detail = f"deployed to {nearest.service} {_ago(age)} before the start"
        if later:
            detail += f", {len(later)} later deployment{'s' if len(later) > 1 else ''} there before the start"
        if nearest.implied:
            detail = (
                f"merged {_ago(age)} before the start; {nearest.service} records no deployments, so it shipped then"
            )
        others = len(nearest.change_ids) - 1
        if others > 0:
            detail += f", in one deployment with {others} other change{'s' if others > 1 else ''}"
        weight = knobs.deploy_weight + _recency(age / 3600, knobs) - knobs.later_deploys_weight * math.log1p(len(later))
        return [Evidence("deploy", detail, round(weight, 3))]
    if mine:
        first = min(mine, key=lambda d: d.deployed_at)
        after = (first.deployed_at - incident.started_at).total_seconds()
        detail = f"first deployed to {first.service} {_ago(after)} after the start"
        return [Evidence("deploy", detail, knobs.deployed_after_weight)]
    if candidate.merged_at is not None and candidate.merged_at <= incident.started_at:
        age = (incident.started_at - candidate.merged_at).total_seconds()
        detail = f"merged {_ago(age)} before the start; no deployment of it to the affected services is recorded"
        weight = knobs.undeployed_weight + _recency(age / 3600, knobs)
        return [Evidence("deploy", detail, round(weight, 3))]
    return []


def path_evidence(candidate: Candidate, incident: IncidentScope, knobs: Knobs = Knobs()) -> list[Evidence]:
    """How much of the change lies in the affected services' code, and in the paths named in the incident."""
    paths = [p for p in candidate.paths if not is_test_path(p)] or list(candidate.paths)
    if not paths:
        return []
    evidence = []
    scoped = [s for s in incident.services if s.prefixes and any(s.prefixes)]
    if scoped:
        inside = [p for p in paths if any(is_under(p, s.prefixes) for s in scoped)]
        touched = [s.name for s in scoped if any(is_under(p, s.prefixes) for p in inside)]
        names = ", ".join(touched or [s.name for s in scoped])
        if inside:
            share = len(inside) / len(paths)
            detail = f"{len(inside)} of its {len(paths)} non-test files are in the code of {names}"
            evidence.append(Evidence("paths", detail, round(knobs.paths_weight * share, 3)))
        else:
            detail = f"none of its {len(paths)} non-test files is in the code of {names}"
            evidence.append(Evidence("paths", detail, knobs.outside_paths_weight))
    if incident.paths:
        named = [p for p in candidate.paths if is_under(p, incident.paths)]
        if named:
            share = len(named) / len(paths)
            shown = ", ".join(named[:3]) + (f" and {len(named) - 3} more" if len(named) > 3 else "")
            detail = f"touches {shown}, in the paths named by the incident"
            evidence.append(Evidence("paths", detail, round(knobs.incident_paths_weight * min(1.0, share), 3)))
    return evidence


def risk_evidence(candidate: Candidate, knobs: Knobs = Knobs()) -> list[Evidence]:
    """The risk score the change got when it was reviewed, with its largest reasons."""
    if candidate.risk_score is None:
        return []
    reasons = "; ".join(candidate.risk_reasons[:2])
    detail = f"risk {candidate.risk_score:.2f}" + (f": {reasons}" if reasons else "")
    weight = knobs.risk_weight * (_logit(candidate.risk_score) - _logit(knobs.risk_pivot))
    return [Evidence("risk", detail, round(weight, 3))]


def size_evidence(candidate: Candidate, typical_lines: float, knobs: Knobs = Knobs()) -> list[Evidence]:
    """Size against the other suspects: the larger a change, the likelier it broke something (the strongest
    single predictor in just-in-time defect prediction), whatever the risk model's other weights say."""
    if candidate.lines_changed <= 0 or typical_lines <= 0:
        return []
    ratio = candidate.lines_changed / typical_lines
    weight = knobs.size_weight * max(-2.0, min(3.0, math.log(ratio)))
    if abs(weight) < 0.05:
        return []
    detail = f"{candidate.lines_changed:,} changed lines, {ratio:.1f} times the typical suspect's {typical_lines:.0f}"
    return [Evidence("size", detail, round(weight, 3))]


def gate_evidence(candidate: Candidate, knobs: Knobs = Knobs()) -> list[Evidence]:
    """Gates that warned or failed at the merged revision, and failures a senior let through."""
    evidence = []
    if candidate.gate_warnings:
        shown = "; ".join(candidate.gate_warnings[:3])
        weight = knobs.gate_weight * min(3, len(candidate.gate_warnings))
        evidence.append(Evidence("gates", f"gates warned or failed: {shown}", round(weight, 3)))
    for override in candidate.gate_overrides[:3]:
        evidence.append(Evidence("gates", f"failed gate overridden: {override}", knobs.override_weight))
    return evidence


def ai_evidence(candidate: Candidate, knobs: Knobs = Knobs()) -> list[Evidence]:
    """AI assistance, with what showed it."""
    if not candidate.ai_assisted:
        return []
    shown = f" ({candidate.ai_evidence[0]})" if candidate.ai_evidence else ""
    return [Evidence("ai", f"AI-assisted{shown}", knobs.ai_weight)]


def sign_off_evidence(candidate: Candidate, knobs: Knobs = Knobs(), before: datetime | None = None) -> list[Evidence]:
    """No sign-off where one was required, a rubber stamp, or a careful review (sign-offs after `before` unseen)."""
    sign_offs = [s for s in candidate.sign_offs if before is None or s.at is None or s.at <= before]
    if not sign_offs:
        if candidate.required_sign_offs:
            detail = f"merged without the {candidate.required_sign_offs} sign-off(s) it required"
            return [Evidence("sign_off", detail, knobs.no_sign_off_weight)]
        return []
    needed = floor_seconds(candidate.lines_changed, knobs.floor)
    stamps = [s for s in sign_offs if s.rubber_stamp or s.seconds_spent < needed]
    if stamps:
        stamp = stamps[0]
        why = "flagged as a rubber stamp" if stamp.rubber_stamp else f"under the {needed} s floor for its size"
        detail = (
            f"signed off by {stamp.reviewer} in {stamp.seconds_spent} s "
            f"for {candidate.lines_changed} changed lines ({why})"
        )
        return [Evidence("sign_off", detail, knobs.rubber_stamp_weight)]
    best = max(sign_offs, key=lambda s: s.seconds_spent)
    detail = f"signed off by {best.reviewer} after {_ago(best.seconds_spent)} for {candidate.lines_changed} lines"
    return [Evidence("sign_off", detail, knobs.careful_sign_off_weight)]


def reference_evidence(
    candidate: Candidate, incident: IncidentScope, notes: Sequence[CommitNote], knobs: Knobs = Knobs()
) -> list[Evidence]:
    """Reverts and fixes that name the change, hotfixes after the start that touch its files, and its own revert."""
    evidence = []
    start = incident.started_at
    own = {sha for kind, sha in parse_references(candidate.message) if kind == "revert"}
    if own:
        detail = f"reverts {sorted(own)[0][:10]}: puts back code that ran before"
        evidence.append(Evidence("revert", detail, knobs.is_revert_weight))
    seen: set[str] = set()
    for note in sorted(notes, key=lambda n: n.at):
        if note.sha in candidate.shas or note.sha in seen:
            continue
        is_fix = bool(incident.fix_sha) and matches_sha(incident.fix_sha, [note.sha])
        label = f"{note.sha[:10]} (\u201c{note.title[:80]}\u201d)"
        when = f"{_ago((note.at - start).total_seconds())} {'after' if note.at >= start else 'before'} the start"
        for kind, sha in parse_references(note.message):
            if not matches_sha(sha, candidate.shas):
                continue
            seen.add(note.sha)
            if kind == "revert":
                if is_fix:
                    evidence.append(Evidence("revert", f"the fix {label} reverts it", knobs.revert_after_weight))
                elif note.at >= start:
                    evidence.append(Evidence("revert", f"reverted by {label} {when}", knobs.revert_after_weight))
                else:
                    detail = f"already reverted by {label} {when}"
                    evidence.append(Evidence("revert", detail, knobs.revert_before_weight))
            else:
                weight = knobs.fix_after_weight if note.at >= start or is_fix else knobs.fix_before_weight
                evidence.append(Evidence("hotfix", f"{label} says it fixes this change, {when}", weight))
            break
        else:
            if note.at >= start and is_hotfix(note) and set(note.paths) & set(candidate.paths):
                shared = sorted(set(note.paths) & set(candidate.paths))
                detail = f"hotfix {label} {when} changes {', '.join(shared[:2])}, which this change touched"
                evidence.append(Evidence("hotfix", detail, knobs.hotfix_files_weight))
                seen.add(note.sha)
    return evidence


def blame_evidence(candidate: Candidate, blame: Blame | None, knobs: Knobs = Knobs()) -> list[Evidence]:
    """SZZ: the fix deletes or modifies lines that this change was the last to touch."""
    if blame is None or not blame.total:
        return []
    count = sum(blame.lines.get(sha, 0) for sha in candidate.shas)
    if not count:
        return []
    files = sorted({p for sha in candidate.shas for p in blame.files.get(sha, ())})
    where = f" in {', '.join(files[:2])}" + (f" and {len(files) - 2} more" if len(files) > 2 else "") if files else ""
    detail = (
        f"fix {blame.fix_sha[:10]} deletes or modifies {count} of {blame.total} traced line"
        f"{'s' if blame.total > 1 else ''} last changed by this change{where}"
    )
    weight = knobs.blame_weight + knobs.blame_share_weight * count / blame.total
    return [Evidence("blame", detail, round(weight, 3))]


# --- the ranking ---------------------------------------------------------------------------------------------


def rank_suspects(
    incident: IncidentScope,
    candidates: Iterable[Candidate],
    deploys: Sequence[Deploy] = (),
    notes: Sequence[CommitNote] = (),
    blame: Blame | None = None,
    knobs: Knobs = Knobs(),
    limit: int = 50,
) -> list[Suspect]:
    """The changes merged before the start, best suspect first, each with its evidence; at most `limit`."""
    pool: dict[int, Candidate] = {}
    for candidate in candidates:
        # A change merged after the start cannot have caused it.
        if candidate.merged_at is not None and candidate.merged_at <= incident.started_at:
            pool.setdefault(candidate.change_id, candidate)
    sizes = [c.lines_changed for c in pool.values() if c.lines_changed > 0]
    typical = float(statistics.median(sizes)) if sizes else 0.0
    suspects = []
    for candidate in pool.values():
        evidence = [
            *blame_evidence(candidate, blame, knobs),
            *reference_evidence(candidate, incident, notes, knobs),
            *deploy_evidence(candidate, incident, deploys, knobs),
            *path_evidence(candidate, incident, knobs),
            *risk_evidence(candidate, knobs),
            *size_evidence(candidate, typical, knobs),
            *gate_evidence(candidate, knobs),
            *sign_off_evidence(candidate, knobs, before=incident.started_at),
            *ai_evidence(candidate, knobs),
        ]
        evidence = [e for e in evidence if e.weight != 0.0]
        score = round(sum(e.weight for e in evidence), 3)
        suspects.append(Suspect(candidate, score, tuple(sorted(evidence, key=lambda e: -abs(e.weight)))))
    suspects.sort(key=lambda s: (-s.score, -(s.candidate.merged_at.timestamp()), s.candidate.change_id))
    return suspects[: max(0, limit)]


def latest_deployed(incident: IncidentScope, candidates: Iterable[Candidate], deploys: Sequence[Deploy]) -> int | None:
    """The baseline: the latest change in the latest deployment to an affected service before the start."""
    names = {s.name for s in incident.services}
    merged = {c.change_id: c.merged_at for c in candidates if c.merged_at is not None}
    before = [d for d in deploys if d.service in names and d.deployed_at <= incident.started_at]
    for deploy in sorted(before, key=lambda d: d.deployed_at, reverse=True):
        carried = [i for i in deploy.change_ids if i in merged and merged[i] <= incident.started_at]
        if carried:
            return max(carried, key=lambda i: (merged[i], i))
    return None
