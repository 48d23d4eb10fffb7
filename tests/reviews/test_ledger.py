"""Hash chaining of the audit ledger (reviews.ledger)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews.ledger import GENESIS_HASH, entry_hash, verify_chain

ENTRY = {"action": "sign_off", "change": 42, "actor": "bea", "at": "2026-11-03T09:00:00+00:00"}


def build_chain(entries: list[dict]) -> list[tuple[str, str, dict]]:
    chain = []
    prev = GENESIS_HASH
    for entry in entries:
        digest = entry_hash(prev, entry)
        chain.append((prev, digest, entry))
        prev = digest
    return chain


def test_entry_hash_is_sha256_of_previous_hash_and_canonical_json():
    expected = hashlib.sha256(
        (
            GENESIS_HASH + "\n" + '{"action":"sign_off","actor":"bea","at":"2026-11-03T09:00:00+00:00","change":42}'
        ).encode()
    ).hexdigest()

    assert entry_hash(GENESIS_HASH, ENTRY) == expected


def test_entry_hash_is_deterministic_whatever_the_key_order():
    reordered = dict(reversed(list(ENTRY.items())))

    assert entry_hash(GENESIS_HASH, ENTRY) == entry_hash(GENESIS_HASH, dict(ENTRY))
    assert entry_hash(GENESIS_HASH, ENTRY) == entry_hash(GENESIS_HASH, reordered)


def test_entry_hash_is_64_lower_case_hex():
    digest = entry_hash(GENESIS_HASH, ENTRY)

    assert len(digest) == 64
    assert digest == digest.lower()
    int(digest, 16)


@pytest.mark.parametrize(
    "changed",
    [
        {**ENTRY, "actor": "eve"},
        {**ENTRY, "change": 43},
        {**ENTRY, "change": "42"},
        {**ENTRY, "extra": None},
        {k: v for k, v in ENTRY.items() if k != "at"},
    ],
)
def test_entry_hash_changes_with_any_change_of_the_entry(changed):
    assert entry_hash(GENESIS_HASH, changed) != entry_hash(GENESIS_HASH, ENTRY)


def test_entry_hash_changes_with_the_previous_hash():
    assert entry_hash(GENESIS_HASH, ENTRY) != entry_hash("1" * 64, ENTRY)


def test_entry_hash_accepts_datetimes_and_decimals_as_text():
    at = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)

    assert entry_hash(GENESIS_HASH, {"at": at, "amount": Decimal("1.50")}) == entry_hash(
        GENESIS_HASH, {"at": str(at), "amount": "1.50"}
    )


def test_entry_hash_of_non_ascii_text_is_stable():
    assert entry_hash(GENESIS_HASH, {"name": "Zoë 😀"}) == entry_hash(GENESIS_HASH, {"name": "Zo\u00eb \U0001f600"})


# --- verify_chain --------------------------------------------------------------------------------

ENTRIES = [{"seq": i, "action": "event", "detail": f"entry {i}"} for i in range(6)]


def test_intact_chain_verifies():
    assert verify_chain(build_chain(ENTRIES)) is None


def test_empty_chain_verifies():
    assert verify_chain([]) is None


@pytest.mark.parametrize("index", range(6))
def test_tampered_entry_is_found_at_its_index(index):
    chain = build_chain(ENTRIES)
    prev, digest, entry = chain[index]
    chain[index] = (prev, digest, {**entry, "detail": "rewritten"})

    assert verify_chain(chain) == index


@pytest.mark.parametrize("index", range(6))
def test_tampered_entry_with_recomputed_hash_is_found_by_the_next_link(index):
    chain = build_chain(ENTRIES)
    prev, _, entry = chain[index]
    forged = {**entry, "detail": "rewritten"}
    chain[index] = (prev, entry_hash(prev, forged), forged)

    assert verify_chain(chain) == (index + 1 if index + 1 < len(chain) else None)


@pytest.mark.parametrize("index", range(6))
def test_tampered_previous_hash_is_found_at_its_index(index):
    chain = build_chain(ENTRIES)
    _, digest, entry = chain[index]
    chain[index] = ("f" * 64, digest, entry)

    assert verify_chain(chain) == index


def test_chain_not_starting_at_genesis_is_broken_at_zero():
    chain = build_chain(ENTRIES)
    first = chain[0][2]
    chain[0] = ("1" * 64, entry_hash("1" * 64, first), first)

    assert verify_chain(chain) == 0


def test_removed_entry_is_found_where_the_gap_is():
    chain = build_chain(ENTRIES)
    del chain[2]

    assert verify_chain(chain) == 2


def test_swapped_entries_are_found_at_the_first_swapped_index():
    chain = build_chain(ENTRIES)
    chain[3], chain[4] = chain[4], chain[3]

    assert verify_chain(chain) == 3


def test_only_the_first_of_several_breaks_is_reported():
    chain = build_chain(ENTRIES)
    for index in (1, 4):
        prev, digest, entry = chain[index]
        chain[index] = (prev, digest, {**entry, "seq": -1})

    assert verify_chain(chain) == 1


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=10,
)
entries_strategy = st.lists(st.dictionaries(st.text(max_size=8), json_value, max_size=4), min_size=1, max_size=8)


@settings(max_examples=150)
@given(entries=entries_strategy, data=st.data())
def test_verify_chain_finds_the_first_tampered_index(entries, data):
    chain = build_chain(entries)
    assert verify_chain(chain) is None

    index = data.draw(st.integers(min_value=0, max_value=len(chain) - 1))
    prev, digest, entry = chain[index]
    forged = {**entry, "\0tampered": True}
    chain[index] = (prev, digest, forged)

    assert verify_chain(chain) == index
