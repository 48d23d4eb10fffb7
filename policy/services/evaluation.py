"""Evaluating a change against the policy: gates, AI assistance, risk, the decision, what is missing, its state.

Runs when intake has stored a new diff (`diff_stored`), and again after a declaration, a gate result or a policy
edit; each evaluation ends with the `change_evaluated` signal, on which the assignment app assigns a senior.
"""

from __future__ import annotations

from dataclasses import replace

from django.conf import settings

from notifications.services.turns import turn_record
from policy import gates, risk
from policy.codeowners_file import parse_codeowners
from policy.decision import Decision, decide, sensitive_matches
from policy.document import Policy
from policy.risk_history import history_facts, latest_weights
from policy.services.owners import owners_of
from policy.services.policies import ai_flags, policy_current, policy_facts, policy_of, policy_paths
from policy.signals import change_evaluated
from policy.signoff_rules import ReviewFact, RevisionFact, SignOffStatus, signoff_status
from reviews.attention import Event, Move
from reviews.hostoutbox import host_sync_mark
from reviews.models import Change, ChangeFile, GateOverride, GateResult, PolicyVersion, Review, ReviewComment, Revision


def change_evaluate_diff(*, change: Change, files: list[ChangeFile], codeowners: str | None) -> Change:
    """Owners from CODEOWNERS, gates and policy for a freshly stored diff; the caller holds the change's row lock."""
    if codeowners is not None:
        owners = parse_codeowners(codeowners)
        change.path_owners = {p: list(owners.owners_of(p)) for p in policy_paths(files)}
    else:
        change.path_owners = {}
    version = policy_current()
    failing = _run_gates(change, files, policy_of(version).settings.size_limit)
    _apply_policy(change, files, version, failing=failing)
    change.save()
    host_sync_mark(change_id=change.pk, reason="evaluated")
    _turn_after_evaluation(change)
    change_evaluated.send(sender=Change, change=change)
    return change


def _turn_after_evaluation(change: Change) -> None:
    if change.state == Change.State.OPEN:
        turn_record(change=change, move=Move(Event.EVALUATED, review_state=change.review_state))


def gate_plugins() -> tuple[gates.Gate, ...]:
    """The organisation's own gates named in PORTAL_EXTRA_GATES, loaded once per process."""
    global _PLUGINS
    if _PLUGINS is None:
        _PLUGINS = tuple(gates.load_gate(path) for path in settings.PORTAL_EXTRA_GATES)
    return _PLUGINS


_PLUGINS: tuple[gates.Gate, ...] | None = None


def _run_gates(change: Change, files: list[ChangeFile], size_limit: int) -> list[str]:
    """Run the built-in and plugin gates on the revision (results posted by CI are kept); the gates now failing."""
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
    plugins = gate_plugins()
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
    change.gates_state, failing = _gates_now(change)
    return failing


def gate_summary(change: Change) -> str:
    """pass, warn or fail over every gate result of the current revision (overridden failures pass)."""
    return _gates_now(change)[0]


def failing_gates(change: Change) -> list[str]:
    """Names of the gates failing on the current revision and not overridden by a senior."""
    return _gates_now(change)[1]


def _gates_now(change: Change) -> tuple[str, list[str]]:
    """The gates' summary and the names failing and not overridden, from one read of results and overrides."""
    overridden = set(
        GateOverride.objects.filter(change=change, head_sha=change.head_sha).values_list("gate_name", flat=True)
    )
    results = list(GateResult.objects.filter(change=change, head_sha=change.head_sha).values_list("name", "status"))
    failing = sorted({name for name, status in results if status == GateResult.Status.FAIL} - overridden)
    statuses = [
        GateResult.Status.PASS if (status == GateResult.Status.FAIL and name in overridden) else status
        for name, status in results
    ]
    if GateResult.Status.FAIL in statuses:
        return GateResult.Status.FAIL, failing
    return (GateResult.Status.WARN if GateResult.Status.WARN in statuses else GateResult.Status.PASS), failing


def _apply_ai(change: Change, rules: Policy) -> None:
    """Combine detection with the author's declaration; flag what was detected but not declared."""
    change.ai_assisted, change.ai_undeclared = ai_flags(change, rules.settings)


def _apply_policy(
    change: Change, files: list[ChangeFile], version: PolicyVersion, *, failing: list[str] | None = None
) -> None:
    """Evaluate the change against a policy version: risk, decision, what is missing, review state."""
    rules = policy_of(version)
    _apply_ai(change, rules)
    paths = policy_paths(files)
    sensitive = sensitive_matches(paths, tuple(change.repository.sensitive_paths or ()))
    facts_for_risk = history_facts(change, sensitive_count=len(sensitive), files=files)
    scored = risk.score_risk(facts_for_risk, latest_weights())
    decision = decide(
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
    change.review_state = review_state_of(change, failing=failing)


def _decision_of(change: Change) -> Decision:
    return Decision(
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


def signoff_of(change: Change, *, failing: list[str] | None = None, attested: bool | None = None) -> SignOffStatus:
    """What counts and what is still missing for the change's current revision (a senior's open thread too).

    The failing gates and the attestation are read here unless the caller has them already.
    """
    version = change.policy_version or policy_current()
    rules = policy_of(version)
    is_open = change.state == Change.State.OPEN
    if is_open and failing is None:
        failing = failing_gates(change)
    if is_open and attested is None:
        attested = _is_attested(change)
    revisions = list(change.revisions.order_by("number").only("number", "head_sha", "patch_id"))
    number_of = {r.head_sha: r.number for r in revisions}
    if change.head_sha not in number_of:
        revisions.append(Revision(number=len(revisions) + 1, head_sha=change.head_sha, patch_id=""))
        number_of[change.head_sha] = revisions[-1].number
    owners = owner_ids(change) if change.requires_owner else set()
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
            from_host=r.source == Review.Source.HOST,
        )
        # A review dismissed on the host counts for nothing, as on the host; ties in time (a host stamps reviews to
        # the second) go to the verdict recorded last.
        for r in change.reviews.filter(dismissed_at__isnull=True)
        .select_related("reviewer")
        .order_by("created_at", "pk")
    ]
    status = signoff_status(
        _decision_of(change),
        reviews=reviews,
        revisions=[RevisionFact(number=r.number, patch_id=r.patch_id) for r in revisions],
        author_id=change.author_id,
        last_pusher_email=change.last_pusher_email,
        # Attestation and gates guard what may still merge; for merged history they are audited, not awaited.
        attested=not is_open or bool(attested),
        failing_gates=(failing or []) if is_open else [],
        settings=rules.settings,
        # Merged history whose commit e-mail matches nobody is on record as it was, not held up.
        author_known=change.state != Change.State.OPEN or not change.is_author_unknown,
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


def review_state_of(change: Change, *, failing: list[str] | None = None) -> str:
    """The change's review state now; failing, the gates failing, when the caller has just read them."""
    is_open = change.state == Change.State.OPEN
    if is_open and failing is None:
        failing = failing_gates(change)
    attested = _is_attested(change) if is_open else True
    status = signoff_of(change, failing=failing, attested=attested)
    change.policy_missing = list(status.missing)
    if status.approved:
        return Change.ReviewState.APPROVED if change.required_sign_offs else Change.ReviewState.NOT_REQUIRED
    if is_open and change.requires_gates and failing:
        return Change.ReviewState.GATES_FAILED
    if is_open and change.requires_attestation and not attested:
        return Change.ReviewState.AWAITING_ATTESTATION
    if status.blocked_by:
        return Change.ReviewState.CHANGES_REQUESTED
    return Change.ReviewState.NEEDS_SIGN_OFF if change.required_sign_offs else Change.ReviewState.NOT_REQUIRED


def _is_attested(change: Change) -> bool:
    return change.attestations.filter(head_sha=change.head_sha).exists()


def owner_ids(change: Change) -> set[int]:
    """Engineers who own the paths that need an owner: CODEOWNERS where known, else the teams of the services."""
    paths = list(change.owner_paths or ()) or list(change.files.values_list("path", flat=True))
    return owners_of(paths, path_owners=change.path_owners or {}, services=change.repository.services.all())


def change_reevaluate(*, change: Change) -> Change:
    """Apply AI assistance and policy again from the stored files (a declaration, a policy edit); announce it."""
    files = list(change.files.all())
    _apply_policy(change, files, change.policy_version or policy_current())
    change.save()
    host_sync_mark(change_id=change.pk, reason="re-evaluated")
    _turn_after_evaluation(change)
    change_evaluated.send(sender=Change, change=change)
    return change
