"""Read queries of the audit ledger (kept apart from reviews.selectors, which is past its size)."""

from __future__ import annotations

from collections.abc import Iterator

from reviews.ledger.chain import StoredEntry
from reviews.models import AuditEvent, LedgerAlert

ENTRY_FIELDS = (
    "id",
    "version",
    "prev_hash",
    "hash",
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "payload",
)
# Rows fetched per round trip while streaming: memory stays flat however long the ledger grows.
CHUNK_SIZE = 5000


def ledger_entries() -> Iterator[StoredEntry]:
    """Every ledger entry in id order, streamed from a server-side cursor."""
    rows = AuditEvent.objects.order_by("id").values_list(*ENTRY_FIELDS).iterator(chunk_size=CHUNK_SIZE)
    for row in rows:
        yield StoredEntry(*row)


def ledger_last_entry() -> tuple[int, str] | None:
    """The id and hash of the newest committed ledger entry, or None when the ledger is empty."""
    return AuditEvent.objects.order_by("-id").values_list("id", "hash").first()


def ledger_open_alert() -> LedgerAlert | None:
    """The oldest unresolved ledger alert (one indexed query; the banner on every admin page)."""
    return LedgerAlert.objects.filter(resolved_at__isnull=True).order_by("created_at").only("id", "message").first()
