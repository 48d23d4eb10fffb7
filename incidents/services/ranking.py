"""Suspect ranking and the SZZ trace of fix commits: gather facts, call the pure modules, keep the trace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from incidents import selectors
from incidents.models import FixTrace, Incident
from incidents.ranking.model import usable_weights
from incidents.suspect_facts import Knobs, Suspect
from incidents.suspects import rank_suspects
from incidents.szz import Trace, is_traceable, line_ranges, removed_lines, summarise
from intake.gitrepo import Mirror
from intake.gitrun import GitError
from intake.mirrors import repository_mirror
from reviews.audit import ServiceError
from reviews.models import Change, Repository
from reviews.rubberstamp import Floor

MAX_TRACED_FILES = 100
MAX_TRACED_LINES = 5000
BLAME_CONTEXT = 3  # lines around each traced line, so that blame -C recognises a moved block


def ranking_knobs() -> Knobs:
    """The ranking's knobs: the portal's rubber-stamp floor, merges standing for deployments or not."""
    return Knobs(
        implied_deploys=settings.PORTAL_IMPLIED_DEPLOYS,
        floor=Floor(
            seconds_per_10_lines=settings.PORTAL_REVIEW_FLOOR_SECONDS_PER_10_LINES,
            min_seconds=settings.PORTAL_REVIEW_FLOOR_MIN_SECONDS,
            require_all_viewed=False,
        ),
    )


@dataclass(frozen=True)
class FixCommit:
    """A fix commit's SZZ trace with its message."""

    sha: str
    title: str
    message: str
    at: datetime | None
    trace: Trace
    paths: tuple[str, ...] = ()  # the files the fix changes (new paths of renames)


def trace_fix(mirror: Mirror, sha: str) -> FixCommit:
    """Blame, on the fix's parent, the lines the fix deletes or modifies (not blank, not comment-only)."""
    resolved = mirror.resolve(sha)
    parents = mirror.parents(resolved)
    info = next((c for c in mirror.log(resolved, exclude=parents[0] if parents else None) if c["sha"] == resolved), {})
    title = (info.get("message", "").splitlines() or [""])[0][:500]
    at = parse_datetime(info["committed_at"]) if info.get("committed_at") else None
    if not parents:
        return FixCommit(resolved, title, info.get("message", ""), at, summarise([], 0))
    removed = removed_lines(mirror.commit_diff(resolved, context=0, ignore_whitespace=True).decode("utf-8", "replace"))
    traceable = [line for line in removed if is_traceable(line)][:MAX_TRACED_LINES]
    by_path: dict[str, set[int]] = {}
    for line in traceable:
        by_path.setdefault(line.path, set()).add(line.line)
    blamed: list[tuple[str, str]] = []
    for path in sorted(by_path)[:MAX_TRACED_FILES]:
        last = _line_count(mirror, parents[0], path)
        ranges = line_ranges(by_path[path], context=BLAME_CONTEXT if last else 0, last=last)
        for entry in mirror.blame(parents[0], path, ranges):
            if entry.line in by_path[path]:
                blamed.append((entry.sha, entry.orig_path or path))
    paths = tuple(mirror.show_commit_files(resolved))
    return FixCommit(
        resolved, title, info.get("message", ""), at, summarise(blamed, len(removed) - len(traceable)), paths
    )


def _line_count(mirror: Mirror, sha: str, path: str) -> int | None:
    """Lines of a file at a commit, or None when it cannot be read (too large, an odd name)."""
    try:
        content = mirror.read_file(sha, path)
    except GitError:
        return None
    if content is None:
        return None
    return content.count(b"\n") + (0 if content.endswith(b"\n") or not content else 1)


def _fix_repository(incident: Incident) -> Repository | None:
    if incident.repository_id:
        return incident.repository
    repositories = {s.repository_id: s.repository for s in incident.services.select_related("repository")}
    return next(iter(repositories.values())) if len(repositories) == 1 else None


def fix_trace_run(*, incident_id: int) -> FixTrace | None:
    """Trace the incident's fix commit once (idempotent); a failure is recorded on the trace, not raised."""
    incident = Incident.objects.select_related("repository").filter(pk=incident_id).first()
    if incident is None or not incident.fix_sha:
        return None
    trace, _ = FixTrace.objects.get_or_create(incident=incident, fix_sha=incident.fix_sha)
    if trace.state == FixTrace.State.DONE:
        return trace
    repository = _fix_repository(incident)
    try:
        if repository is None:
            raise ServiceError("no repository for the fix commit: set the incident's repository")
        mirror = repository_mirror(repository)
        if not mirror.exists() or not _known(mirror, incident.fix_sha):
            mirror.fetch(repository.clone_url)
        fix = trace_fix(mirror, incident.fix_sha)
    except GitError as exc:
        if exc.transient:
            raise
        return _finish_trace(trace, error=str(exc))
    except ServiceError as exc:
        return _finish_trace(trace, error=str(exc))
    return _finish_trace(trace, fix=fix)


def _known(mirror: Mirror, sha: str) -> bool:
    try:
        mirror.resolve(sha)
    except GitError:
        return False
    return True


def _finish_trace(trace: FixTrace, *, fix: FixCommit | None = None, error: str = "") -> FixTrace:
    with transaction.atomic():
        trace = FixTrace.objects.select_for_update().get(pk=trace.pk)
        if fix is not None:
            trace.resolved_sha = fix.sha
            trace.lines = fix.trace.lines
            trace.files = {sha: list(paths) for sha, paths in fix.trace.files.items()}
            trace.fix_paths = list(fix.paths)
            trace.total_lines = fix.trace.total
            trace.skipped_lines = fix.trace.skipped
            trace.fix_title = fix.title
            trace.fix_message = fix.message[:20000]
            trace.fix_at = fix.at
            trace.state = FixTrace.State.DONE
            trace.error = ""
        else:
            trace.state = FixTrace.State.FAILED
            trace.error = error[:2000]
        trace.computed_at = timezone.now()
        trace.save()
    return trace


@dataclass(frozen=True)
class RankedSuspect:
    """A suspect with its change and the state of its link to the incident, if any."""

    suspect: Suspect
    change: Change
    link_state: str


def incident_suspects(*, incident: Incident, limit: int = 50, now: datetime | None = None) -> list[RankedSuspect]:
    """The ranked suspects of an incident, best first; the fix commit is traced first if no worker has yet."""
    if incident.fix_sha:
        trace = FixTrace.objects.filter(incident=incident, fix_sha=incident.fix_sha).first()
        if trace is None or trace.state == FixTrace.State.PENDING:
            try:
                fix_trace_run(incident_id=incident.pk)
            except GitError:
                pass  # transient: the worker retries; rank without the trace meanwhile
    knobs = ranking_knobs()
    now = now or timezone.now()
    facts = selectors.suspect_facts(incident, knobs=knobs, now=now)
    weights = usable_weights(model.weights if (model := selectors.suspect_model()) else None)
    ranked = rank_suspects(
        facts.scope, facts.candidates, facts.deploys, facts.notes, facts.blame, knobs, limit, weights=weights
    )
    states = selectors.link_states(incident)
    changes = Change.objects.select_related("author", "repository").in_bulk([s.candidate.change_id for s in ranked])
    return [RankedSuspect(s, changes[s.candidate.change_id], states.get(s.candidate.change_id, "")) for s in ranked]
