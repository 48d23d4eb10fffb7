"""Repositories and the changes that arrive from them."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from intake.gitnames import DEFAULT_SKIP_BRANCHES, canonical_address, is_candidate_branch
from intake.gitrepo import Mirror
from intake.gitrun import GitError, check_url, is_safe_ref
from intake.mirrors import repository_mirror
from notifications.services.turns import turn_closed, turn_record
from portal.enqueue import enqueue
from reviews.attention import Event, Move
from reviews.audit import ServiceError, audit_record
from reviews.hostoutbox import host_sync_mark
from reviews.models import Change, Engineer, Repository


def repository_register(*, name: str, url: str, provider: str = "git", default_branch: str = "main") -> Repository:
    """Register a repository by name, or update its location; idempotent."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ServiceError("a repository needs a name of 1 to 200 characters")
    if not is_safe_ref(default_branch):
        raise ServiceError(f"{default_branch!r} is not a valid branch name")
    if provider not in Repository.Provider.values:
        raise ServiceError(f"unknown provider {provider!r}")
    if "://" not in url and "::" not in url and not url.startswith("-"):
        url = str(Path(url).expanduser().resolve())
    try:
        check_url(url, settings.PORTAL_GIT_ALLOWED_PROTOCOLS)
    except GitError as exc:
        raise ServiceError(str(exc)) from None
    repository, created = Repository.objects.get_or_create(
        name=name, defaults={"clone_url": url, "provider": provider, "default_branch": default_branch}
    )
    if not created and (repository.clone_url, repository.default_branch) != (url, default_branch):
        repository.clone_url = url
        repository.default_branch = default_branch
        repository.save(update_fields=["clone_url", "default_branch"])
    return repository


@dataclass(frozen=True)
class ImportResult:
    """What one import of a repository's history added."""

    merged_created: int
    open_created: int
    open_updated: int
    closed: int = 0  # open changes whose branch was deleted or proposes nothing
    stale: int = 0  # branches left out: no commit within PORTAL_IMPORT_STALE_BRANCH_DAYS of the default branch's last
    off_release_line: int = 0  # branches left out: built on a release line's own commits (a back-port)
    attributed: int = 0  # merged changes of an address that has since become an engineer's, now credited to them


def _first_line(message: str) -> str:
    return (message.strip().splitlines() or ["(no message)"])[0][:500]


def _parse_time(value: str) -> datetime:
    parsed = parse_datetime(value)
    return parsed if parsed is not None else timezone.now()


def repository_import(*, repository: Repository) -> ImportResult:
    """Fetch the repository into its mirror and record its history and open branches as changes."""
    mirror = repository_mirror(repository)
    mirror.fetch(repository.clone_url)
    return _record_history(repository, mirror)


def repository_poll(*, repository_id: int) -> ImportResult | None:
    """Fetch one repository and record what is new; a second poller of the same repository skips it."""
    with transaction.atomic():
        repository = Repository.objects.select_for_update(skip_locked=True).filter(pk=repository_id).first()
        if repository is None:
            return None
        mirror = repository_mirror(repository)
        try:
            mirror.fetch(repository.clone_url)
        except GitError as exc:
            repository.last_error = str(exc)[:2000]
            repository.save(update_fields=["last_error"])
            if exc.transient:
                raise
            return None
        try:
            result = _record_history(repository, mirror)
        except ServiceError as exc:  # the default branch is gone (renamed on the host, say): no retry helps
            repository.last_error = str(exc)[:2000]
            repository.save(update_fields=["last_error"])
            return None
        if repository.last_error:
            repository.last_error = ""
            repository.save(update_fields=["last_error"])
        return result


def _default_head(repository: Repository, mirror: Mirror) -> str:
    """The default branch's tip; a branch the mirror lacks is refused with the branches it has."""
    try:
        return mirror.resolve(repository.default_branch)
    except GitError:
        names = sorted(mirror.branches(), key=lambda b: (b not in ("main", "master", "trunk", "develop"), b))
        has = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "") if names else "none"
        raise ServiceError(f"no branch {repository.default_branch!r} to import (its branches: {has})") from None


def repository_forget(*, repository: Repository) -> bool:
    """Remove a registration that never imported anything (its import failed) and its mirror; False if it has
    changes, which are kept."""
    if Change.objects.filter(repository=repository).exists():
        return False
    mirror = repository_mirror(repository)
    repository.delete()
    shutil.rmtree(mirror.path, ignore_errors=True)
    mirror.path.with_name(mirror.path.name + ".lock").unlink(missing_ok=True)
    return True


def _record_history(repository: Repository, mirror: Mirror) -> ImportResult:
    default_sha = _default_head(repository, mirror)
    engineers = {canonical_address(e.email): e for e in Engineer.objects.all()}  # renamed GitHub logins too
    existing = dict(Change.objects.filter(repository=repository).values_list("external_id", "head_sha"))
    # Commits that landed a pull/merge request already tracked as a change are that change, not a new one.
    landed = set(Change.objects.filter(repository=repository).exclude(merge_sha="").values_list("merge_sha", flat=True))

    # Open branch changes, by head: a merge (or fast-forward) of one lands that change instead of a new one.
    open_branches = {
        c.head_sha: c
        for c in Change.objects.filter(
            repository=repository, state=Change.State.OPEN, external_id__startswith="branch:"
        )
    }
    landings: list[tuple[Change, dict]] = []

    new_changes: list[Change] = []
    main_line = mirror.log(default_sha, first_parent=True)
    for commit in main_line:
        if commit["sha"] in existing or commit["sha"] in landed:
            continue
        merged_branch = open_branches.get(commit["sha"]) or next(
            (open_branches[p] for p in commit["parents"][1:] if p in open_branches), None
        )
        if merged_branch is not None:
            landings.append((merged_branch, commit))
            continue
        merged_at = _parse_time(commit["committed_at"])
        new_changes.append(
            Change(
                repository=repository,
                external_id=commit["sha"],
                title=_first_line(commit["message"]),
                description=commit["message"][:20000],
                author=engineers.get(canonical_address(commit["author_email"])),
                author_name=commit["author_name"][:200],
                author_email=commit["author_email"][:320],
                base_sha=(commit["parents"] or [""])[0],
                head_sha=commit["sha"],
                state=Change.State.MERGED,
                opened_at=_parse_time(commit["authored_at"]),
                merged_at=merged_at,
            )
        )
    merged_created = len(new_changes)

    open_created = open_updated = 0
    track_branches = repository.track_branches and repository.provider == Repository.Provider.GIT
    branches = mirror.branches() if track_branches else {}
    configured = settings.PORTAL_IMPORT_SKIP_BRANCHES
    skip = DEFAULT_SKIP_BRANCHES if configured is None else [p for p in configured if p != "-"]
    not_proposals: set[str] = set()  # branches that exist but propose no change (an open change of one is closed)
    # A branch nobody has committed to for months is abandoned work, not a change waiting for review (black's
    # "runtime" branch of 2021); measured against the default branch's last commit, so a quiet history is not stale.
    stale_days, stale = settings.PORTAL_IMPORT_STALE_BRANCH_DAYS, 0
    last = _parse_time(main_line[-1]["committed_at"]) if main_line else None
    stale_before = last - timedelta(days=stale_days) if last and stale_days else None
    # Commits of the release lines (and other branches that are no proposal) that the default branch lacks, read
    # once when first needed.
    lines = [t for b, t in branches.items() if b != repository.default_branch and not is_candidate_branch(b, skip)]
    line_commits: set[str] | None = None
    off_release_line = 0
    for branch, tip in sorted(branches.items()):
        if branch == repository.default_branch or not is_candidate_branch(branch, skip):
            not_proposals.add(branch)
            continue
        if mirror.is_ancestor(tip, default_sha):
            continue
        base = mirror.merge_base(default_sha, tip)
        if base is None:
            # No history in common with the default branch (an orphan line such as a rewrite's): not a proposal to
            # change it, and its "diff" would be its whole tree.
            not_proposals.add(branch)
            continue
        if lines:
            if line_commits is None:
                line_commits = {sha for line in lines for sha in mirror.rev_list(line, exclude=default_sha)}
            if not line_commits.isdisjoint(mirror.rev_list(tip, exclude=default_sha)):
                # Built on a release line's own commits (aiohttp's patchback/backports/3.15/..., a dependabot bump
                # for 3.15): it proposes a change to that line, and against the default branch its diff and its
                # description would carry the whole line.
                not_proposals.add(branch)
                off_release_line += 1
                continue
        external_id = f"branch:{branch}"
        if external_id in existing:
            if existing[external_id] != tip:
                change_new_revision(
                    change=Change.objects.get(repository=repository, external_id=external_id),
                    head_sha=tip,
                    base_sha=base,
                )
                open_updated += 1
            continue
        if mirror.same_tree(base, tip):
            continue  # proposes no change yet (an agent's empty "Initial plan" commit); imported once it does
        commits = mirror.log(tip, exclude=base)
        if stale_before and commits and _parse_time(commits[-1]["committed_at"]) < stale_before:
            stale += 1
            continue
        first = commits[0] if commits else {"message": branch, "author_email": "", "author_name": "", "authored_at": ""}
        new_changes.append(
            Change(
                repository=repository,
                external_id=external_id,
                title=_first_line(first["message"]),
                description="\n\n".join(c["message"] for c in commits)[:20000],
                author=engineers.get(canonical_address(first["author_email"])),
                author_name=first["author_name"][:200],
                author_email=first["author_email"][:320],
                source_branch=branch,
                base_sha=base,
                head_sha=tip,
                state=Change.State.OPEN,
                opened_at=_parse_time(first["authored_at"]),
            )
        )
        open_created += 1

    landed_ids = {change.pk for change, _ in landings}
    gone = [
        c
        for c in open_branches.values()
        if c.pk not in landed_ids and track_branches and c.source_branch not in branches.keys() - not_proposals
    ]
    with transaction.atomic():
        Change.objects.bulk_create(new_changes, batch_size=500, ignore_conflicts=True)
        for change, commit in landings:
            _close_branch_change(change, state=Change.State.MERGED, commit=commit)
        for change in gone:
            reason = "branch deleted" if change.source_branch not in branches else "not a proposed change"
            _close_branch_change(change, state=Change.State.CLOSED, commit=None, reason=reason)
        attributed = _attribute_history(repository, engineers)
        repository.last_fetched_at = timezone.now()
        repository.save(update_fields=["last_fetched_at"])
        created_ids = list(
            Change.objects.filter(
                repository=repository, external_id__in=[c.external_id for c in new_changes]
            ).values_list("pk", flat=True)
        )
        enqueue_diffs(created_ids)
    return ImportResult(
        merged_created=merged_created,
        open_created=open_created,
        open_updated=open_updated,
        closed=len(gone),
        stale=stale,
        off_release_line=off_release_line,
        attributed=attributed,
    )


def _attribute_history(repository: Repository, engineers: dict[str, Engineer]) -> int:
    """Credit the merged and closed changes of an address that has since become an engineer's to them.

    History is imported before its authors have accounts (aiohttp's Sam Bull wrote most of web_protocol.py; his
    account came later): uncredited, his changes counted for nobody's expertise and knowledge. An open change is
    left to an admin (change_set_author): its author's level decides what the policy asks of it.
    """
    uncredited = Change.objects.filter(repository=repository, author__isnull=True).exclude(state=Change.State.OPEN)
    credited, now = 0, timezone.now()
    for address in uncredited.order_by().values_list("author_email", flat=True).distinct():
        engineer = engineers.get(canonical_address(address))
        if engineer is not None:
            credited += uncredited.filter(author_email=address).update(author=engineer, updated_at=now)
    return credited


def _close_branch_change(change: Change, *, state: str, commit: dict | None, reason: str = "") -> None:
    """A tracked branch was merged into the default branch (or deleted, or found to propose no change): its change
    is merged (or closed, with the reason)."""
    change = Change.objects.select_for_update().get(pk=change.pk)
    if change.state != Change.State.OPEN:
        return
    change.state = state
    if commit is not None:
        change.merge_sha = commit["sha"]
        change.merged_at = _parse_time(commit["committed_at"])
    change.save(update_fields=["state", "merge_sha", "merged_at", "updated_at"])
    change.assignments.filter(state="active").update(state="cancelled", completed_at=timezone.now())
    turn_closed(change=change)
    audit_record(
        actor=None,
        action=f"change.{state}",
        target=change,
        payload={"merge_sha": change.merge_sha} if commit else {"reason": reason},
    )


def enqueue_diffs(change_ids: list[int]) -> None:
    """Queue the diff work of these changes once the transaction commits."""
    for change_id in change_ids:
        enqueue("reviews.change_pull_diff", change_id)


def change_new_revision(*, change: Change, head_sha: str, base_sha: str) -> Change:
    """Record a new head of an open change: its diff is pulled again and old sign-offs stop counting."""
    with transaction.atomic():
        change = Change.objects.select_for_update().get(pk=change.pk)
        if change.head_sha == head_sha:
            return change
        previous = change.head_sha
        change.head_sha = head_sha
        change.base_sha = base_sha
        change.diff_state = Change.DiffState.PENDING
        change.review_state = Change.ReviewState.PENDING_POLICY
        change.save(update_fields=["head_sha", "base_sha", "diff_state", "review_state", "updated_at"])
        host_sync_mark(change_id=change.pk, reason="new revision")
        audit_record(
            actor=None, action="change.new_revision", target=change, payload={"from": previous, "to": head_sha}
        )
        turn_record(change=change, move=Move(Event.NEW_REVISION, review_state=change.review_state))
        enqueue_diffs([change.pk])
    return change
