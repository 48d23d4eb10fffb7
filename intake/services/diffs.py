"""Pulling a change's diff: fetch into the mirror, parse files and hunks, detect AI assistance, store it all.

What follows a stored diff (gates, policy, risk, assignment) is not intake's business: it announces the stored diff
with the `diff_stored` signal, and the policy app, connected at start-up, takes it from there in the same transaction.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from intake.ai_detection import detect_ai
from intake.diffparse import cut_at_file_boundary, is_generated_path, parse_diff
from intake.gitoutput import Numstat
from intake.gitrepo import Mirror
from intake.gitrun import GitError
from intake.mirrors import repository_mirror
from intake.patchid import patch_id
from intake.selectors import ai_vocabulary
from intake.signals import diff_stored
from reviews.models import Change, ChangeFile, Repository, Revision

# Where GitHub looks, in its order: the first one found is used (policy.codeowners_file parses it).
CODEOWNERS_LOCATIONS: tuple[str, ...] = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


@dataclass(frozen=True)
class _Pulled:
    base: str
    raw: bytes
    truncated: bool
    numstat: Numstat
    commits: list[dict]
    patch_id: str
    codeowners: str | None = None


def _refspecs(change: Change) -> list[str]:
    repository = change.repository
    target = change.target_branch or repository.default_branch
    if change.number is not None and repository.provider == Repository.Provider.GITHUB:
        ref = f"refs/pull/{change.number}/head"
    elif change.number is not None and repository.provider == Repository.Provider.GITLAB:
        ref = f"refs/merge-requests/{change.number}/head"
    else:
        return ["+refs/heads/*:refs/heads/*"]
    return [f"+refs/heads/{target}:refs/heads/{target}", f"+{ref}:{ref}"]


def _pull(change: Change) -> _Pulled:
    """Fetch what is missing into the mirror and read the diff that would merge (merge base to head)."""
    mirror = repository_mirror(change.repository)
    # Each git process costs milliseconds: the mirror is asked first, and fetched into only when it lacks the head.
    if mirror.exists():
        try:
            return _read(mirror, change)
        except GitError as exc:
            if exc.transient:
                raise
            if mirror.has_commit(change.head_sha):
                # Another worker's fetch may have brought it meanwhile; a failure of its own fails again.
                return _read(mirror, change)
    mirror.fetch(change.repository.clone_url, _refspecs(change))
    if not mirror.has_commit(change.head_sha):
        raise GitError(f"commit {change.head_sha[:12]} is not in the repository (force-pushed away?)")
    return _read(mirror, change)


def _read(mirror: Mirror, change: Change) -> _Pulled:
    """The change's base, diff, commits and CODEOWNERS from the mirror.

    For an open change one new git process (its commits since it forked, which name the fork point); the diff and
    CODEOWNERS come from git processes kept running for the mirror.
    """
    head, commits = change.head_sha, None
    if change.state == Change.State.OPEN:
        base, commits = _open_base(mirror, change)
    elif change.number is not None:
        base = _fork_point(mirror, change) or change.base_sha
    else:
        base = change.base_sha
    numstat, raw, truncated = mirror.diff_numstat(base or None, head, settings.PORTAL_DIFF_MAX_BYTES)
    if truncated:
        raw = cut_at_file_boundary(raw)
    if change.state == Change.State.MERGED and not change.number:
        commits = mirror.log(head, exclude=base or None, first_parent=True)[-1:]
    elif commits is None:
        commits = mirror.log(head, exclude=base or None)
    try:
        codeowners = mirror.read_first(base or head, CODEOWNERS_LOCATIONS)
    except GitError:
        codeowners = None  # owners fall back to the service teams
    return _Pulled(
        base=base or "",
        raw=raw,
        truncated=truncated,
        numstat=numstat,
        commits=commits[-500:],
        patch_id="" if truncated else patch_id(raw),
        codeowners=None if codeowners is None else codeowners.decode("utf-8", "replace"),
    )


def _open_base(mirror: Mirror, change: Change) -> tuple[str, list[dict] | None]:
    """Where an open change forks from its target's tip now, and its commits since (None: still to be read)."""
    target = change.target_branch or change.repository.default_branch
    try:  # one git process for both, when the fork is a single commit
        commits, boundary = mirror.log_since_branch(change.head_sha, target)
        if len(boundary) == 1:
            return boundary[0], commits
        if not boundary and not commits:
            return change.head_sha, commits  # the head is in the target already
    except GitError:
        if not mirror.has_commit(change.head_sha):
            raise
    try:  # several fork points, unrelated histories, a target gone: git's merge base or else the host's base
        return mirror.merge_base(target, change.head_sha) or change.base_sha, None
    except GitError:
        return change.base_sha, None  # a target name git must not be given: the host's base stands


def _fork_point(mirror: Mirror, change: Change) -> str | None:
    """Where a merged or closed request forked from its target.

    The host's base is the target's tip at some update (GitLab sends none), so it may hold later work of the
    target, which would show in the diff as undone; the tip now may hold the head itself. The merge commit's first
    parent is the target just before the merge.
    """
    anchors = []
    if change.merge_sha and mirror.has_commit(change.merge_sha):
        anchors += mirror.parents(change.merge_sha)[:1]
    if change.base_sha:
        anchors.append(change.base_sha)
    try:
        anchors.append(mirror.resolve(change.target_branch or change.repository.default_branch))
    except GitError:
        pass
    for anchor in anchors:
        fork = mirror.merge_base(anchor, change.head_sha)
        if fork and fork != change.head_sha:
            return fork
    return None


def _files(pulled: _Pulled) -> tuple[list[ChangeFile], list[str], bool]:
    """ChangeFiles with true counts (numstat), patches within the size limits, and notes."""
    parsed = parse_diff(pulled.raw)
    notes = list(parsed.notes)
    patches = {f.path: f for f in parsed.files}
    truncated = pulled.truncated
    budget = settings.PORTAL_DIFF_MAX_LINES
    files = []
    for path, added, removed in pulled.numstat:
        diff = patches.get(path)
        binary = added is None or removed is None
        lines = (added or 0) + (removed or 0)
        keep_patch = diff is not None and (binary or lines <= budget)
        if diff is not None and not keep_patch:
            truncated = True
        budget -= lines if keep_patch else 0
        files.append(
            ChangeFile(
                path=path[:1000],
                old_path=(diff.old_path if diff else "")[:1000],
                status="binary" if binary else (diff.status if diff else "modified"),
                lines_added=added or 0,
                lines_removed=removed or 0,
                is_generated=is_generated_path(path),
                patch=diff.patch if keep_patch else "",
                # The patch names the blobs (--full-index): a new content of the file gives a new fingerprint.
                fingerprint=hashlib.sha256(
                    f"{path}\0{added}\0{removed}\0{diff.patch if diff else ''}".encode()
                ).hexdigest(),
            )
        )
    if truncated:
        notes.append(
            "too large to review in full: the diff is stored truncated "
            f"(limits {settings.PORTAL_DIFF_MAX_BYTES} bytes, {settings.PORTAL_DIFF_MAX_LINES} changed lines)"
        )
    if any(f.status == "binary" for f in files):
        notes.append("binary files are listed but not shown")
    generated = [f for f in files if f.is_generated]
    if generated:
        notes.append(f"{len(generated)} generated or vendored file(s) counted apart")
    return files, notes, truncated


def change_pull_diff(*, change_id: int) -> Change | None:
    """Pull, parse and store the diff of a change's head, then announce it; idempotent."""
    change = Change.objects.select_related("repository", "author").filter(pk=change_id).first()
    if change is None:
        return None
    if change.diff_state == Change.DiffState.DONE and change.diff_sha == change.head_sha:
        return change
    head = change.head_sha
    try:
        pulled = _pull(change)
    except GitError as exc:
        if exc.transient:
            raise
        Change.objects.filter(pk=change.pk, head_sha=head).update(
            diff_state=Change.DiffState.FAILED, diff_error=str(exc)[:2000], updated_at=timezone.now()
        )
        return change
    files, notes, truncated = _files(pulled)
    detection = detect_ai(
        [c["message"] for c in pulled.commits],
        [email for c in pulled.commits for email in (c["author_email"], c["committer_email"])],
        branch=change.source_branch,
        labels=change.labels or (),
        opener=change.opener_login,
        vocabulary=ai_vocabulary(),
    )
    with transaction.atomic():
        locked = Change.objects.select_for_update(of=("self",)).select_related("repository", "author").get(pk=change.pk)
        if locked.head_sha != head:
            return locked  # a newer revision arrived; its own task will do the work
        ChangeFile.objects.filter(change=locked).delete()
        for f in files:
            f.change = locked
        ChangeFile.objects.bulk_create(files, batch_size=500)
        authored = [f for f in files if not f.is_generated]
        locked.base_sha = pulled.base
        locked.lines_added = sum(f.lines_added for f in authored)
        locked.lines_removed = sum(f.lines_removed for f in authored)
        locked.generated_lines = sum(f.lines_added + f.lines_removed for f in files if f.is_generated)
        locked.files_count = len(files)
        locked.diff_truncated = truncated
        # The committer of the head commit stands in for the last pusher (hosts do not say who pushed).
        locked.last_pusher_email = (pulled.commits[-1]["committer_email"] if pulled.commits else "")[:320]
        locked.ai_confidence = detection.confidence
        locked.ai_evidence = list(detection.evidence)
        locked.agent_opened = detection.agent_opened
        locked.diff_state = Change.DiffState.DONE
        locked.diff_sha = head
        locked.diff_error = "\n".join(notes)
        known = set(Revision.objects.filter(change=locked).values_list("head_sha", flat=True))
        if head not in known:  # one query, not a count and a look-up: the change's row lock keeps others out
            Revision.objects.create(
                change=locked,
                head_sha=head,
                number=len(known) + 1,
                base_sha=pulled.base,
                raw_diff=zlib.compress(pulled.raw, 6),
                raw_size=len(pulled.raw),
                truncated=truncated,
                patch_id=pulled.patch_id,
            )
        locked.save()
        # Gates, policy, risk and assignment (receivers connected at start-up) run in this transaction.
        diff_stored.send(sender=Change, change=locked, files=files, codeowners=pulled.codeowners)
    return locked
