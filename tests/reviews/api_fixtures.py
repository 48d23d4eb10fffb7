"""Records for the v1 API tests, made through the ORM (the flows that produce them are tested elsewhere)."""

from __future__ import annotations

import itertools

from django.utils import timezone

from reviews.models import Assignment, Attestation, Change, GateResult, Repository, Review, Revision

_n = itertools.count(1)


def make_change(repository: Repository, author=None, **fields) -> Change:
    """An open change needing sign-off, with a stored revision, gates and an attestation by its author."""
    n = next(_n)
    sha = fields.pop("head_sha", f"{n:040x}")
    values = {
        "external_id": f"branch-{n}",
        "title": f"Change {n}",
        "head_sha": sha,
        "opened_at": timezone.now(),
        "review_state": Change.ReviewState.NEEDS_SIGN_OFF,
        "ai_assisted": True,
        "ai_confidence": 0.9,
        "ai_evidence": ["trailer Co-Authored-By names a tool"],
        "risk_score": 0.4,
        "risk_reasons": [[0.1, "touches a sensitive path"], [0.3, "large"]],
        "policy_reasons": ["AI-assisted: one senior signs off"],
        "policy_rules": ["ai-assisted"],
        "required_sign_offs": 1,
        "gates_state": "pass",
        "lines_added": 20,
    }
    values.update(fields)
    change = Change.objects.create(repository=repository, author=author, **values)
    Revision.objects.create(change=change, number=1, head_sha=sha)
    GateResult.objects.create(change=change, head_sha=sha, name="tests", status="pass", message="ok")
    if author is not None:
        Attestation.objects.create(change=change, author=author, head_sha=sha)
    return change


def assign(change: Change, reviewer) -> Assignment:
    return Assignment.objects.create(change=change, reviewer=reviewer, reason="expertise", reasons=["knows app/"])


def verdict(change: Change, reviewer, verdict: str = Review.Verdict.COMMENT) -> Review:
    return Review.objects.create(
        change=change,
        reviewer=reviewer,
        verdict=verdict,
        head_sha=change.head_sha,
        seconds_spent=60,
        created_at=timezone.now(),
    )
