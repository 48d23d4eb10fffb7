"""One timeline of a change: revisions, attestations, assignments and re-routings, verdicts with their comments,
threads with replies and resolutions, and what the git host reported.

Takes what the change page already loaded (prefetched relations and the threads list) and queries nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    at: datetime
    kind: (
        str  # revision, attestation, assigned, rerouted, handed_back, verdict-<verdict>, thread, reply, resolved, host
    )
    actor: str
    text: str
    body: str = ""
    link: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


def _name(engineer: Any) -> str:
    return engineer.display_name if engineer is not None else "Countersign"


def build_timeline(
    *,
    change: Any,
    revisions: list,
    attestations: list,
    assignments: list,
    reviews: list,
    threads: list,
) -> list[Entry]:
    """Every event of the change, oldest first (ties in the order they were recorded)."""
    entries: list[Entry] = [
        Entry(change.opened_at, "opened", change.author.display_name if change.author else change.author_name, "opened")
    ]
    numbers = {r.head_sha: r.number for r in revisions}
    for rev in revisions:
        entries.append(
            Entry(
                rev.created_at,
                "revision",
                change.author.display_name if change.author else change.author_name or "the author",
                f"pushed r{rev.number}",
                detail={"sha": rev.head_sha[:10], "number": rev.number, "previous": rev.number - 1},
            )
        )
    for att in attestations:
        rev = numbers.get(att.head_sha)
        entries.append(
            Entry(att.created_at, "attestation", _name(att.author), f"attested self-review of r{rev or '?'}", att.note)
        )
    for a in assignments:
        entries.append(Entry(a.created_at, "assigned", _name(a.reviewer), "was assigned", a.reason))
        if a.completed_at and a.state == "handed_back":
            entries.append(Entry(a.completed_at, "handed_back", _name(a.reviewer), "handed it back", a.handback_reason))
        elif a.completed_at and a.state == "cancelled" and a.handback_reason.startswith("re-routed"):
            entries.append(Entry(a.completed_at, "rerouted", _name(a.reviewer), a.handback_reason))
    for r in reviews:
        rev = numbers.get(r.head_sha)
        where = f"r{rev}" if rev else r.head_sha[:10]
        verb = {"approve": "signed off", "request_changes": "requested changes", "comment": "commented"}[r.verdict]
        source = " on the git host" if r.source == "host" else ""
        entries.append(
            Entry(
                r.created_at,
                f"verdict-{r.verdict}",
                _name(r.reviewer),
                f"{verb} on {where}{source}",
                r.comment,
                detail={"dismissed": r.dismissed_at is not None, "rubber_stamp": r.rubber_stamp},
            )
        )
        if r.dismissed_at:
            entries.append(Entry(r.dismissed_at, "host", "The git host", f"dismissed {_name(r.reviewer)}'s review"))
    for t in threads:
        rev = numbers.get(t.head_sha)
        where = f"{t.path} line {t.line}" + (f" (r{rev})" if rev else "")
        entries.append(
            Entry(t.created_at, "thread", _name(t.author), f"commented on {where}", t.body, f"#thread-{t.pk}")
        )
        for reply in getattr(t, "reply_list", []):
            entries.append(Entry(reply.created_at, "reply", _name(reply.author), f"replied on {where}", reply.body))
        if t.resolved and t.resolved_at:
            entries.append(Entry(t.resolved_at, "resolved", _name(t.resolved_by), f"resolved the thread on {where}"))
    if change.merged_at:
        entries.append(Entry(change.merged_at, "host", "The git host", "merged the change"))
    return sorted(entries, key=lambda e: e.at)
