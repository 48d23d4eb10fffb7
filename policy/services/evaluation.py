"""Diffs, policy, risk and assignment of a change."""

from __future__ import annotations

import hashlib
import logging
import zlib
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from reviews import gates, policy, risk
from reviews.ai_detection import detect_ai
from reviews.assignment import pick_reviewer
from reviews.codeowners_file import CODEOWNERS_LOCATIONS, parse_codeowners
from reviews.diffparse import cut_at_file_boundary, is_generated_path, parse_diff
from reviews.expertise import assignment_candidates
from reviews.gitrepo import GitError, Mirror
from reviews.ledger import GENESIS_HASH
from reviews.models import (
    Assignment,
    Change,
    ChangeFile,
    Engineer,
    GateOverride,
    GateResult,
    LedgerHead,
    PolicyVersion,
    Repository,
    ReviewComment,
    Revision,
)
from reviews.risk_history import history_facts, latest_weights
from reviews.services.base import audit_record, repository_mirror
from reviews.services.owners import owners_of
from reviews.services.policies import ai_flags, policy_current, policy_facts, policy_of, policy_paths
from reviews.signoff_rules import ReviewFact, RevisionFact, SignOffStatus, signoff_status

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Pulled:
    base: str
    raw: bytes
    truncated: bool
    numstat: list[tuple[str, int | None, int | None]]
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
    head = change.head_sha
    mirror = repository_mirror(change.repository)
    if not mirror.exists() or not mirror.has_commit(head):
        mirror.fetch(change.repository.clone_url, _refspecs(change))
    if not mirror.has_commit(head):
        raise GitError(f"commit {head[:12]} is not in the repository (force-pushed away?)")
    base = change.base_sha
    if change.state == Change.State.OPEN:
        try:
            target_tip = mirror.resolve(change.target_branch or change.repository.default_branch)
        except GitError:
            target_tip = ""
        base = (mirror.merge_base(target_tip, head) if target_tip else None) or base
    elif change.number is not None:
        base = _fork_point(mirror, change) or base
    numstat = mirror.numstat(base or None, head)
    raw, truncated = mirror.diff_capped(base or None, head, settings.PORTAL_DIFF_MAX_BYTES)
    if truncated:
        raw = cut_at_file_boundary(raw)
    if change.state == Change.State.MERGED and not change.number:
        commits = mirror.log(head, exclude=base or None, first_parent=True)[-1:]
    else:
        commits = mirror.log(head, exclude=base or None)[-500:]
    owners_at = base or head
    location = mirror.first_existing(owners_at, CODEOWNERS_LOCATIONS)
    codeowners = None
    if location:
        try:
            codeowners = (mirror.read_file(owners_at, location) or b"").decode("utf-8", "replace")
        except GitError:
            codeowners = None  # an oversized CODEOWNERS file: owners fall back to the service teams
    return _Pulled(
        base=base or "",
        raw=raw,
        truncated=truncated,
        numstat=numstat,
        commits=commits,
        patch_id="" if truncated else mirror.patch_id(raw),
        codeowners=codeowners,
    )


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
    """Pull, parse and store the diff of a change's head, then apply policy and assignment; idempotent."""
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
        locked.diff_state = Change.DiffState.DONE
        locked.diff_sha = head
        locked.diff_error = "\n".join(notes)
        Revision.objects.get_or_create(
            change=locked,
            head_sha=head,
            defaults={
                "number": locked.revisions.count() + 1,
                "base_sha": pulled.base,
                "raw_diff": zlib.compress(pulled.raw, 6),
                "raw_size": len(pulled.raw),
                "truncated": truncated,
                "patch_id": pulled.patch_id,
            },
        )
        if pulled.codeowners is not None:
            owners = parse_codeowners(pulled.codeowners)
            locked.path_owners = {p: list(owners.owners_of(p)) for p in policy_paths(files)}
        else:
            locked.path_owners = {}
        version = policy_current()
        _run_gates(locked, files, policy_of(version).settings.size_limit)
        _apply_policy(locked, files, version)
        locked.save()
        if locked.state == Change.State.OPEN and locked.review_state == Change.ReviewState.NEEDS_SIGN_OFF:
            change_assign(change=locked)
    return locked


def _gate_plugins() -> tuple[gates.Gate, ...]:
    """The organisation's own gates named in PORTAL_EXTRA_GATES, loaded once per process."""
    global _PLUGINS
    if _PLUGINS is None:
        _PLUGINS = tuple(gates.load_gate(path) for path in settings.PORTAL_EXTRA_GATES)
    return _PLUGINS


_PLUGINS: tuple[gates.Gate, ...] | None = None


def _run_gates(change: Change, files: list[ChangeFile], size_limit: int) -> None:
    """Run the built-in and plugin gates on the revision; results posted by CI are kept."""
    facts = [
        gates.FileFacts(
            path=f.path,
            old_path=f.old_path,
            status=f.status,
            lines_added=f.lines_added,
            lines_removed=f.lines_removed,
            is_generated=f.is_generated,
            added_lines=gates.added_lines_from_patch(f.patch) if f.patch else (),
        )
        for f in files
    ]
    plugins = _gate_plugins()
    outcomes = gates.run_gates(facts, gates.GateConfig(size_limit=size_limit), extra=plugins)
    plugin_names = {g.name for g in plugins}
    GateResult.objects.filter(change=change, head_sha=change.head_sha).exclude(source=GateResult.Source.CI).delete()
    GateResult.objects.bulk_create(
        [
            GateResult(
                change=change,
                head_sha=change.head_sha,
                name=o.name[:100],
                status=o.status,
                message=o.message[:1000],
                details=list(o.details)[:200],
                source=GateResult.Source.PLUGIN if o.name in plugin_names else GateResult.Source.BUILTIN,
            )
            for o in outcomes
        ],
        ignore_conflicts=True,
    )
    change.gates_state = gate_summary(change)


def gate_summary(change: Change) -> str:
    """pass, warn or fail over every gate result of the current revision (overridden failures pass)."""
    overridden = set(
        GateOverride.objects.filter(change=change, head_sha=change.head_sha).values_list("gate_name", flat=True)
    )
    statuses = [
        GateResult.Status.PASS if (r.status == GateResult.Status.FAIL and r.name in overridden) else r.status
        for r in GateResult.objects.filter(change=change, head_sha=change.head_sha).only("name", "status")
    ]
    if GateResult.Status.FAIL in statuses:
        return GateResult.Status.FAIL
    return GateResult.Status.WARN if GateResult.Status.WARN in statuses else GateResult.Status.PASS


def _apply_ai(change: Change, rules: policy.Policy) -> None:
    """Combine detection with the author's declaration; flag what was detected but not declared."""
    change.ai_assisted, change.ai_undeclared = ai_flags(change, rules.settings)


def _apply_policy(change: Change, files: list[ChangeFile], version: PolicyVersion) -> None:
    """Evaluate the change against a policy version: risk, decision, what is missing, review state."""
    rules = policy_of(version)
    _apply_ai(change, rules)
    paths = policy_paths(files)
    sensitive = policy.sensitive_matches(paths, tuple(change.repository.sensitive_paths or ()))
    facts_for_risk = history_facts(change, sensitive_count=len(sensitive))
    scored = risk.score_risk(facts_for_risk, latest_weights())
    decision = policy.decide(
        policy_facts(
            change, paths, risk=scored.score, ai_assisted=change.ai_assisted, services=change.repository.services.all()
        ),
        rules,
    )
    change.policy_version = version
    change.policy_rules = list(decision.matched_rules)
    change.required_sign_offs = decision.required_sign_offs
    change.requires_owner = decision.requires_owner
    change.requires_attestation = decision.requires_attestation
    change.requires_gates = decision.requires_gates
    change.owner_paths = list(decision.owner_paths)
    change.policy_reasons = list(decision.reasons)
    change.risk_score = scored.score
    change.risk_reasons = [[weight, text] for weight, text in scored.reasons]
    change.review_minutes = risk.estimate_review_minutes(change.lines_changed, facts_for_risk.files, scored.score)
    change.review_state = _review_state(change)


def _decision_of(change: Change) -> policy.Decision:
    return policy.Decision(
        required_sign_offs=change.required_sign_offs,
        requires_owner=change.requires_owner,
        requires_attestation=change.requires_attestation,
        requires_gates=change.requires_gates,
        oversized=False,
        sensitive_paths=(),
        owner_paths=tuple(change.owner_paths or ()),
        matched_rules=tuple(change.policy_rules or ()),
        reasons=tuple(change.policy_reasons or ()),
    )


def signoff_of(change: Change) -> SignOffStatus:
    """What counts and what is still missing for the change's current revision (a senior's open thread too)."""
    version = change.policy_version or policy_current()
    rules = policy_of(version)
    revisions = list(change.revisions.order_by("number"))
    number_of = {r.head_sha: r.number for r in revisions}
    if change.head_sha not in number_of:
        revisions.append(Revision(number=len(revisions) + 1, head_sha=change.head_sha, patch_id=""))
        number_of[change.head_sha] = revisions[-1].number
    owners = _owner_ids(change) if change.requires_owner else set()
    # As in change_assign: with no owner on record for the paths, any senior's sign-off is the owner's.
    anyone_owns = change.requires_owner and not owners
    reviews = [
        ReviewFact(
            reviewer_id=r.reviewer_id,
            reviewer_level=r.reviewer.level,
            reviewer_email=r.reviewer.email,
            is_owner=anyone_owns or r.reviewer_id in owners,
            verdict=r.verdict,
            revision=number_of.get(r.head_sha, 0),
            at=r.created_at,
        )
        for r in change.reviews.select_related("reviewer").order_by("created_at")
    ]
    status = signoff_status(
        _decision_of(change),
        reviews=reviews,
        revisions=[RevisionFact(number=r.number, patch_id=r.patch_id) for r in revisions],
        author_id=change.author_id,
        last_pusher_email=change.last_pusher_email,
        # Attestation and gates guard what may still merge; for merged history they are audited, not awaited.
        attested=change.state != Change.State.OPEN or _is_attested(change),
        failing_gates=failing_gates(change) if change.state == Change.State.OPEN else [],
        settings=rules.settings,
    )
    # Like gates: a senior's open objection holds up what may still merge; merged history is not held up.
    threads = unresolved_senior_threads(change) if change.state == Change.State.OPEN else 0
    if threads:
        status = replace(status, approved=False, missing=(*status.missing, senior_threads_phrase(threads)))
    return status


def unresolved_senior_threads(change: Change) -> int:
    """Unresolved comment threads opened by seniors on any revision of the change: each blocks sign-off."""
    return ReviewComment.objects.filter(
        change=change, parent__isnull=True, resolved=False, author__level__gte=settings.PORTAL_SENIOR_LEVEL
    ).count()


def senior_threads_phrase(count: int) -> str:
    """What is missing, as the change page and the author's list say it: "2 unresolved comment threads by seniors"."""
    return f"{count} unresolved comment thread{'s' if count != 1 else ''} by {'seniors' if count != 1 else 'a senior'}"


def failing_gates(change: Change) -> list[str]:
    """Names of the gates failing on the current revision and not overridden by a senior."""
    failed = set(
        GateResult.objects.filter(change=change, head_sha=change.head_sha, status=GateResult.Status.FAIL).values_list(
            "name", flat=True
        )
    )
    overridden = set(
        GateOverride.objects.filter(change=change, head_sha=change.head_sha).values_list("gate_name", flat=True)
    )
    return sorted(failed - overridden)


def _review_state(change: Change) -> str:
    status = signoff_of(change)
    change.policy_missing = list(status.missing)
    if status.approved:
        return Change.ReviewState.APPROVED if change.required_sign_offs else Change.ReviewState.NOT_REQUIRED
    is_open = change.state == Change.State.OPEN
    if is_open and change.requires_gates and failing_gates(change):
        return Change.ReviewState.GATES_FAILED
    if is_open and change.requires_attestation and not _is_attested(change):
        return Change.ReviewState.AWAITING_ATTESTATION
    if status.blocked_by:
        return Change.ReviewState.CHANGES_REQUESTED
    return Change.ReviewState.NEEDS_SIGN_OFF if change.required_sign_offs else Change.ReviewState.NOT_REQUIRED


def _is_attested(change: Change) -> bool:
    return change.attestations.filter(head_sha=change.head_sha).exists()


def _owner_ids(change: Change) -> set[int]:
    """Engineers who own the paths that need an owner: CODEOWNERS where known, else the teams of the services."""
    paths = list(change.owner_paths or ()) or list(change.files.values_list("path", flat=True))
    return owners_of(paths, path_owners=change.path_owners or {}, services=change.repository.services.all())


def change_assign(*, change: Change, exclude: frozenset[int] = frozenset()) -> Assignment | None:
    """Assign the senior the engine scores best on load, expertise and knowledge spread; reasons recorded."""
    with transaction.atomic():
        return _assign(change, exclude)


def _assign(change: Change, exclude: frozenset[int]) -> Assignment | None:
    """The assignment itself, inside a transaction; the caller holds the change's row lock.

    Every assignment first takes the ledger head's row lock (which audit_record takes anyway, so the lock
    order stays change, then ledger head): two workers assigning different changes at once see each
    other's load and never push a senior past their cap.
    """
    LedgerHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
    if change.assignments.filter(state=Assignment.State.ACTIVE).exists():
        return None
    declined = set(change.assignments.filter(state=Assignment.State.HANDED_BACK).values_list("reviewer_id", flat=True))
    declined |= set(exclude)
    if change.last_pusher_email:
        declined |= set(Engineer.objects.filter(email__iexact=change.last_pusher_email).values_list("pk", flat=True))
    owners = _owner_ids(change) if change.requires_owner else set()
    # With no owner on record for the sensitive paths, any senior may sign off; the reason says so.
    owner_required = change.requires_owner and bool(owners)
    candidates, touched = assignment_candidates(
        change, senior_level=settings.PORTAL_SENIOR_LEVEL, now=timezone.now(), owner_ids=owners
    )
    pick = pick_reviewer(
        candidates,
        author_id=change.author_id,
        exclude_ids=frozenset(declined),
        senior_level=settings.PORTAL_SENIOR_LEVEL,
        owner_required=owner_required,
        touched_files=touched,
        owner_label=_paths_phrase(change.owner_paths) if owner_required else "",
    )
    if pick is None:
        log.warning("no eligible senior for change %s", change.pk)
        return None
    reasons = list(pick.reasons)
    if change.requires_owner and not owners:
        reasons.append("no owner is recorded for the sensitive paths: any senior may sign off")
    assignment = Assignment.objects.create(
        change=change,
        reviewer_id=pick.engineer_id,
        reason="; ".join(reasons)[:500],
        reasons=reasons,
        estimated_minutes=change.review_minutes,
        due_at=timezone.now() + timedelta(hours=settings.PORTAL_REVIEW_DUE_HOURS),
    )
    audit_record(
        actor=None,
        action="change.assigned",
        target=change,
        payload={"reviewer_id": pick.engineer_id, "score": pick.score, "reasons": reasons},
    )
    return assignment


def _paths_phrase(paths: list[str]) -> str:
    """'payments/**' style text for the paths that need an owner (the engine says 'owner of ...')."""
    dirs = sorted({p.rsplit("/", 1)[0] + "/**" if "/" in p else p for p in paths or []})
    return ", ".join(dirs[:3]) + (f" and {len(dirs) - 3} more" if len(dirs) > 3 else "")


def change_reevaluate(*, change: Change) -> Change:
    """Apply AI assistance and policy again from the stored files (after a declaration or a policy edit)."""
    files = list(change.files.all())
    _apply_policy(change, files, change.policy_version or policy_current())
    change.save()
    if change.state == Change.State.OPEN and change.review_state == Change.ReviewState.NEEDS_SIGN_OFF:
        change_assign(change=change)
    return change
