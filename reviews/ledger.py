"""Hash chaining of audit ledger entries (pure)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64


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
