"""Hash chaining of audit ledger entries, anchors of the chain head, and their verification (pure)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64
# v1 hashed the actor's user id, a foreign key the database set to NULL when the user was deleted;
# v2 hashes the actor's id and username as text, which nothing rewrites.
CURRENT_VERSION = 2
ANCHOR_FORMAT = "cs-anchor-1"
UNSIGNED = "-"
# Past this many problems the report stops listing them: one is enough to raise the alarm.
MAX_PROBLEMS = 100


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and a canonical JSON form of the entry."""
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + "\n" + canonical).encode()).hexdigest()


def verify_chain(entries: list[tuple[str, str, dict[str, Any]]]) -> int | None:
    """Given (prev_hash, hash, entry) in order, the index of the first broken link, or None."""
    expected_prev = GENESIS_HASH
    for index, (prev_hash, digest, entry) in enumerate(entries):
        if prev_hash != expected_prev or entry_hash(prev_hash, entry) != digest:
            return index
        expected_prev = digest
    return None


# --- entries -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredEntry:
    """One ledger row as stored, with the fields that its version hashes."""

    id: int
    version: int
    prev_hash: str
    hash: str
    created_at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    target_type: str
    target_id: str
    payload: Any


def canonical_entry(
    *,
    version: int,
    created_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    payload: Any,
) -> dict[str, Any]:
    """The dictionary that a ledger entry of this version hashes."""
    entry = {
        "created_at": created_at.isoformat(),
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "payload": payload,
    }
    if version == 1:
        return {**entry, "actor_id": actor_id}
    if version == 2:
        return {**entry, "v": 2, "actor_id": "" if actor_id is None else str(actor_id), "actor": actor_label}
    raise ValueError(f"unknown ledger entry version {version}")


def stored_entry_hash(entry: StoredEntry) -> str:
    """The hash a stored entry should carry, given its previous hash."""
    fields = canonical_entry(
        version=entry.version,
        created_at=entry.created_at,
        actor_id=entry.actor_id,
        actor_label=entry.actor_label,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        payload=entry.payload,
    )
    return entry_hash(entry.prev_hash, fields)


# --- anchors -------------------------------------------------------------------------------------


class AnchorFormatError(ValueError):
    """A line of an anchor file that is not an anchor."""


@dataclass(frozen=True)
class Anchor:
    """The chain head as written outside the database: last entry id and hash at a time, maybe signed."""

    anchored_at: str
    entry_id: int
    entry_hash: str
    signature: str = UNSIGNED

    @property
    def is_signed(self) -> bool:
        return self.signature != UNSIGNED

    @property
    def signed_text(self) -> str:
        return f"{ANCHOR_FORMAT} {self.anchored_at} {self.entry_id} {self.entry_hash}"


def anchor_signature(text: str, key: bytes) -> str:
    """HMAC-SHA256 of an anchor's text, in hex."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def make_anchor(*, entry_id: int, entry_hash: str, anchored_at: datetime, key: bytes | None) -> Anchor:
    """An anchor of the head (entry_id, entry_hash), signed when a key is given."""
    anchor = Anchor(anchored_at=anchored_at.isoformat(), entry_id=entry_id, entry_hash=entry_hash)
    if not key:
        return anchor
    return Anchor(anchor.anchored_at, entry_id, entry_hash, anchor_signature(anchor.signed_text, key))


def anchor_line(anchor: Anchor) -> str:
    """The anchor as one line of text (without the newline)."""
    return f"{anchor.signed_text} {anchor.signature}"


def parse_anchor_line(line: str) -> Anchor:
    """Read one anchor line; AnchorFormatError when it is not one."""
    parts = line.strip().split(" ")
    if len(parts) != 5 or parts[0] != ANCHOR_FORMAT:
        raise AnchorFormatError("not an anchor line")
    _, anchored_at, entry_id, digest, signature = parts
    if not entry_id.isdigit() or not _is_hex(digest, 64) or not (signature == UNSIGNED or _is_hex(signature, 64)):
        raise AnchorFormatError("malformed anchor line")
    try:
        datetime.fromisoformat(anchored_at)
    except ValueError:
        raise AnchorFormatError("malformed anchor time") from None
    return Anchor(anchored_at=anchored_at, entry_id=int(entry_id), entry_hash=digest, signature=signature)


def is_anchor_authentic(anchor: Anchor, key: bytes) -> bool:
    """True when the anchor carries a valid signature under the key."""
    return anchor.is_signed and hmac.compare_digest(anchor.signature, anchor_signature(anchor.signed_text, key))


def _is_hex(text: str, length: int) -> bool:
    return len(text) == length and all(c in "0123456789abcdef" for c in text)


# --- verification --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the ledger; `key` stays the same from one verification to the next."""

    key: str
    entry_id: int | None
    message: str


@dataclass(frozen=True)
class AnchorSource:
    """An anchor line with where it came from, so that a problem can point at it."""

    where: str
    line: str


@dataclass
class LedgerReport:
    """What a verification found: entries and anchors checked, problems (first first), notes."""

    entries: int = 0
    last_id: int | None = None
    last_hash: str = GENESIS_HASH
    anchors: int = 0
    unsigned_anchors: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def is_intact(self) -> bool:
        return not self.problems

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


def verify_ledger(
    entries: Iterable[StoredEntry], anchor_lines: Iterable[AnchorSource], *, key: bytes | None
) -> LedgerReport:
    """Check every link of the chain (entries in id order, streamed) and every anchor against it.

    A broken link is reported and the walk goes on from the stored hash, so that a later, separate break
    is found too. An anchor must name an entry that exists with exactly the anchored hash: a ledger whose
    hashes were all recomputed passes the link check but not its older anchors. With a key, every anchor
    must carry a valid signature; without one, anchors are still compared but noted as unsigned.
    """
    report = LedgerReport()
    anchors = _read_anchors(anchor_lines, key, report)
    wanted: dict[int, list[tuple[str, Anchor]]] = {}
    for where, anchor in anchors:
        wanted.setdefault(anchor.entry_id, []).append((where, anchor))
    expected_prev = GENESIS_HASH
    previous_id: int | None = None
    for entry in entries:
        report.entries += 1
        try:
            digest = stored_entry_hash(entry)
        except ValueError as exc:
            digest = ""
            report.add(Problem(f"entry:{entry.id}", entry.id, f"entry #{entry.id}: {exc}"))
        if entry.prev_hash != expected_prev:
            after = f"entry #{previous_id}" if previous_id is not None else "the start of the ledger"
            report.add(
                Problem(
                    f"link:{entry.id}",
                    entry.id,
                    f"entry #{entry.id}: its previous hash does not match {after} (an entry was removed, "
                    "inserted or rewritten)",
                )
            )
        elif digest and digest != entry.hash:
            report.add(
                Problem(f"entry:{entry.id}", entry.id, f"entry #{entry.id}: its content does not match its hash")
            )
        for where, anchor in wanted.pop(entry.id, []):
            if anchor.entry_hash != entry.hash:
                report.add(
                    Problem(
                        f"anchor:{entry.id}:{anchor.entry_hash[:16]}",
                        entry.id,
                        f"entry #{entry.id}: its hash differs from the one anchored at {anchor.anchored_at} "
                        f"({where}): the ledger was rewritten up to this entry",
                    )
                )
        expected_prev = entry.hash
        previous_id = entry.id
        report.last_id, report.last_hash = entry.id, entry.hash
    for entry_id, missing in sorted(wanted.items()):
        where, anchor = missing[0]
        report.add(
            Problem(
                f"anchor:{entry_id}:{anchor.entry_hash[:16]}",
                entry_id,
                f"entry #{entry_id}, anchored at {anchor.anchored_at} ({where}), is missing from the ledger",
            )
        )
    return report


def _read_anchors(lines: Iterable[AnchorSource], key: bytes | None, report: LedgerReport) -> list[tuple[str, Anchor]]:
    anchors: list[tuple[str, Anchor]] = []
    signed_unchecked = 0
    for source in lines:
        if not source.line.strip():
            continue
        try:
            anchor = parse_anchor_line(source.line)
        except AnchorFormatError as exc:
            report.add(Problem(f"anchor-line:{source.where}", None, f"{source.where}: {exc}"))
            continue
        report.anchors += 1
        if not anchor.is_signed:
            report.unsigned_anchors += 1
            if key:
                # Once a key is set, an unsigned line may be a forgery: whoever can write the file could
                # otherwise replace every signed anchor with unsigned ones that match a rewritten ledger.
                report.add(Problem(f"anchor-unsigned:{source.where}", anchor.entry_id, f"{source.where}: unsigned"))
                continue
        elif key is None:
            signed_unchecked += 1
        elif not is_anchor_authentic(anchor, key):
            report.add(
                Problem(f"anchor-forged:{source.where}", anchor.entry_id, f"{source.where}: signature does not verify")
            )
            continue
        anchors.append((source.where, anchor))
    if report.unsigned_anchors and not key:
        report.notes.append(
            f"{report.unsigned_anchors} anchors are unsigned (no PORTAL_LEDGER_ANCHOR_KEY): they reveal a rewritten "
            "database, not a rewritten anchor file"
        )
    if signed_unchecked:
        report.notes.append(f"{signed_unchecked} signed anchors not authenticated: PORTAL_LEDGER_ANCHOR_KEY is not set")
    return anchors
