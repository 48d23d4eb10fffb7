"""Hash chaining of the audit ledger (reviews.ledger.chain)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews.ledger.chain import (
    GENESIS_HASH,
    AnchorFormatError,
    AnchorSource,
    StoredEntry,
    anchor_line,
    canonical_entry,
    entry_hash,
    is_anchor_authentic,
    make_anchor,
    parse_anchor_line,
    verify_chain,
    verify_ledger,
)

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


# --- entry versions ------------------------------------------------------------------------------

AT = datetime(2026, 11, 3, 9, 0, 0, 123456, tzinfo=UTC)
FIELDS = {"action": "review.approve", "target_type": "reviews.change", "target_id": "7", "payload": {"sha": "ab"}}


def stored(entry_id: int, prev: str, *, version: int = 2, actor_id: int | None = 5, label: str = "bea", **extra):
    values = {"created_at": AT, "actor_id": actor_id, "actor_label": label, **FIELDS, **extra}
    fields = canonical_entry(version=version, **values)
    return StoredEntry(id=entry_id, version=version, prev_hash=prev, hash=entry_hash(prev, fields), **values)


def test_a_v1_entry_hashes_exactly_what_the_first_ledger_hashed():
    # The dictionary audit_record built before entry versions existed, key for key.
    old = {"created_at": AT.isoformat(), "actor_id": 5, **FIELDS}

    assert canonical_entry(version=1, created_at=AT, actor_id=5, actor_label="ignored", **FIELDS) == old


def test_a_v2_entry_hashes_the_actor_as_text_and_its_username():
    entry = canonical_entry(version=2, created_at=AT, actor_id=5, actor_label="bea", **FIELDS)

    assert (entry["v"], entry["actor_id"], entry["actor"]) == (2, "5", "bea")
    assert canonical_entry(version=2, created_at=AT, actor_id=None, actor_label="", **FIELDS)["actor_id"] == ""


def test_an_unknown_entry_version_is_refused():
    with pytest.raises(ValueError, match="version 3"):
        canonical_entry(version=3, created_at=AT, actor_id=None, actor_label="", **FIELDS)


def chain_of(*versions: int) -> list[StoredEntry]:
    entries, prev = [], GENESIS_HASH
    for entry_id, version in enumerate(versions, start=1):
        entry = stored(entry_id, prev, version=version, target_id=str(entry_id))
        entries.append(entry)
        prev = entry.hash
    return entries


def test_old_v1_entries_and_new_v2_entries_verify_as_one_chain():
    report = verify_ledger(chain_of(1, 1, 2, 2), [], key=None)

    assert report.is_intact and report.entries == 4 and report.last_id == 4


def test_a_v1_entry_whose_actor_was_set_to_null_is_broken():
    entries = chain_of(1, 1, 1)
    entries[1] = StoredEntry(**{**entries[1].__dict__, "actor_id": None})

    report = verify_ledger(entries, [], key=None)

    assert [p.entry_id for p in report.problems] == [2]
    assert "does not match its hash" in report.problems[0].message


def test_the_walk_goes_on_after_a_break_and_finds_a_second_one():
    entries = chain_of(2, 2, 2, 2, 2)
    for index in (1, 3):
        entries[index] = StoredEntry(**{**entries[index].__dict__, "action": "forged"})

    assert [p.entry_id for p in verify_ledger(entries, [], key=None).problems] == [2, 4]


def test_a_removed_entry_breaks_the_link_of_the_next():
    entries = chain_of(2, 2, 2)
    del entries[1]

    report = verify_ledger(entries, [], key=None)

    assert [p.key for p in report.problems] == ["link:3"]
    assert "entry #1" in report.problems[0].message


# --- anchors -------------------------------------------------------------------------------------

KEY = b"anchor-key-for-tests"


def line_for(entry: StoredEntry, *, key: bytes | None = KEY) -> str:
    return anchor_line(make_anchor(entry_id=entry.id, entry_hash=entry.hash, anchored_at=AT, key=key))


def sources(*lines: str) -> list[AnchorSource]:
    return [AnchorSource(f"ledger.anchors:{n}", line) for n, line in enumerate(lines, start=1)]


def test_an_anchor_line_is_signed_with_hmac_sha256_and_reads_back():
    anchor = make_anchor(entry_id=12, entry_hash="a" * 64, anchored_at=AT, key=KEY)
    line = anchor_line(anchor)
    text = f"cs-anchor-1 {AT.isoformat()} 12 {'a' * 64}"

    assert line == f"{text} {hmac.new(KEY, text.encode(), hashlib.sha256).hexdigest()}"
    assert parse_anchor_line(line + "\n") == anchor
    assert is_anchor_authentic(anchor, KEY)
    assert not is_anchor_authentic(anchor, b"another key")


def test_an_anchor_without_a_key_is_unsigned():
    anchor = make_anchor(entry_id=12, entry_hash="a" * 64, anchored_at=AT, key=None)

    assert anchor_line(anchor).endswith(" -") and not anchor.is_signed


@pytest.mark.parametrize(
    "line",
    [
        "",
        "cs-anchor-1 2026-11-03T09:00:00+00:00 12",
        f"cs-anchor-2 2026-11-03T09:00:00+00:00 12 {'a' * 64} -",
        f"cs-anchor-1 yesterday 12 {'a' * 64} -",
        f"cs-anchor-1 2026-11-03T09:00:00+00:00 -12 {'a' * 64} -",
        f"cs-anchor-1 2026-11-03T09:00:00+00:00 12 {'A' * 64} -",
        f"cs-anchor-1 2026-11-03T09:00:00+00:00 12 {'a' * 64} {'g' * 64}",
    ],
)
def test_a_line_that_is_not_an_anchor_is_refused(line):
    with pytest.raises(AnchorFormatError):
        parse_anchor_line(line)


def test_anchors_that_match_the_chain_verify():
    entries = chain_of(1, 2, 2)

    report = verify_ledger(entries, sources(line_for(entries[0]), line_for(entries[2])), key=KEY)

    assert report.is_intact and report.anchors == 2 and not report.notes


def rechain(entries: list[StoredEntry], index: int) -> list[StoredEntry]:
    """Forge entry `index` and recompute every hash after it, as someone who can write the database could."""
    forged, prev = [], GENESIS_HASH
    for position, entry in enumerate(entries):
        changes = {"action": "forged"} if position == index else {}
        values = {**entry.__dict__, **changes, "prev_hash": prev}
        fields = canonical_entry(**{k: v for k, v in values.items() if k not in ("id", "prev_hash", "hash")})
        forged.append(StoredEntry(**{**values, "hash": entry_hash(prev, fields)}))
        prev = forged[-1].hash
    return forged


def test_a_recomputed_chain_passes_the_links_but_not_an_older_anchor():
    entries = chain_of(2, 2, 2, 2)
    anchors = sources(line_for(entries[1]), line_for(entries[3]))
    forged = rechain(entries, 1)

    assert verify_ledger(forged, [], key=KEY).is_intact
    report = verify_ledger(forged, anchors, key=KEY)

    assert [p.entry_id for p in report.problems] == [2, 4]
    assert "ledger.anchors:1" in report.problems[0].message and "rewritten" in report.problems[0].message


def test_an_anchored_entry_that_is_missing_is_a_problem():
    entries = chain_of(2, 2, 2)

    report = verify_ledger(entries[:2], sources(line_for(entries[2])), key=KEY)

    assert [p.entry_id for p in report.problems] == [3]
    assert "missing" in report.problems[0].message


def test_a_forged_anchor_line_is_found():
    entries = chain_of(2, 2)
    genuine = line_for(entries[1])
    forged = genuine.replace(entries[1].hash, "f" * 64)

    report = verify_ledger(entries, sources(genuine, forged), key=KEY)

    assert [p.key for p in report.problems] == ["anchor-forged:ledger.anchors:2"]


def test_an_unsigned_anchor_fails_once_a_key_is_set():
    entries = chain_of(2, 2)

    report = verify_ledger(entries, sources(line_for(entries[1], key=None)), key=KEY)

    assert [p.key for p in report.problems] == ["anchor-unsigned:ledger.anchors:1"]


def test_without_a_key_unsigned_anchors_still_count_and_are_noted():
    entries = chain_of(2, 2)
    forged = rechain(entries, 0)

    report = verify_ledger(forged, sources(line_for(entries[1], key=None)), key=None)

    assert [p.entry_id for p in report.problems] == [2]
    assert report.unsigned_anchors == 1 and "unsigned" in report.notes[0]


def test_without_a_key_signed_anchors_are_compared_but_noted_as_not_authenticated():
    entries = chain_of(2, 2)

    report = verify_ledger(entries, sources(line_for(entries[1])), key=None)

    assert report.is_intact and "not authenticated" in report.notes[0]


def test_a_garbled_anchor_line_is_a_problem_and_blank_lines_are_not():
    entries = chain_of(2)

    report = verify_ledger(entries, sources("\n", "garbage\n", line_for(entries[0])), key=KEY)

    assert [p.key for p in report.problems] == ["anchor-line:ledger.anchors:2"]
