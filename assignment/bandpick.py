"""The picker's rule (assignment.picking) applied to many changes against one reading of the seniors (pure).

`pick_reviewer` scores every senior for every change. Most seniors know none of a change's files: for them
expertise and "knows a file" are nil and the knowledge spread is the same number, so inside the load band
they rank by load and id alone, the order the seniors are already sorted in. Only the seniors who worked on
the files or their directories get a candidate of their own; the first two of the others stand for the rest.
The pick, its reasons and its ties are those of `pick_reviewer` (tests/assignment/test_bandpick.py).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from assignment.picking import (
    DEFAULT_RULE,
    Candidate,
    Pick,
    Rule,
    expertise_score,
    pick_of,
    spreads_count,
)


@dataclass(frozen=True)
class PersonWork:
    """One person's decayed work on a change's touched files and their directories, and what was recent."""

    files: Mapping[str, float]
    directories: Mapping[str, float]
    files_reviewed_recent: int = 0
    files_authored_recent: int = 0


@dataclass(frozen=True)
class ChangeKnowledge:
    """What the history says of one change's files: who worked on them, who of those is active, the author."""

    paths: tuple[str, ...]  # touched paths, sorted
    work: Mapping[Hashable, PersonWork]  # person key -> their work on the paths
    active_knowers: Mapping[str, Collection[Hashable]] = field(default_factory=dict)
    author: Hashable | None = None


@dataclass(frozen=True)
class Seniors:
    """The seniors as base candidates (no knowledge yet), those free to take work sorted by load, by engineer id."""

    ready: tuple[Candidate, ...]  # not away, under capacity and cap; by balance, load share, id
    by_id: Mapping[int, Candidate]
    keys: Mapping[int, Hashable]  # engineer id -> person key, as in ChangeKnowledge.work


def seniors_prepare(candidates: Sequence[Candidate], *, senior_level: int, keys: Mapping[int, Hashable]) -> Seniors:
    """Sort once the seniors who may take work at all, for every change of a batch."""
    ready = [
        c
        for c in candidates
        if c.level >= senior_level and not c.is_away and not c.is_at_capacity and not c.is_at_max_open
    ]
    ready.sort(key=lambda c: (c.balance_minutes, c.load_share, c.engineer_id))
    return Seniors(ready=tuple(ready), by_id={c.engineer_id: c for c in candidates}, keys=keys)


def knowing_candidate(base: Candidate, key: Hashable, knowledge: ChangeKnowledge) -> Candidate:
    """A senior's candidate for one change, from their base candidate and their work on its files."""
    mine = knowledge.work.get(key)
    paths = knowledge.paths
    if mine is None:
        return replace(base, spreads_files=spreads_count(key, paths, knowledge.active_knowers, author=knowledge.author))
    return replace(
        base,
        expertise=round(expertise_score(paths, mine.files, mine.directories), 6),
        files_known=sum(1 for p in paths if p in mine.files),
        spreads_files=spreads_count(key, paths, knowledge.active_knowers, author=knowledge.author),
        files_reviewed_recent=mine.files_reviewed_recent,
        files_authored_recent=mine.files_authored_recent,
    )


def _preference(
    base: Candidate, key: Hashable, mine: PersonWork | None, knowledge: ChangeKnowledge, rule: Rule
) -> tuple:
    """picking.preference of knowing_candidate(base, key, knowledge), without making the candidate."""
    spread = spreads_count(key, knowledge.paths, knowledge.active_knowers, author=knowledge.author)
    expertise = 0.0
    known = 0
    if mine is not None:
        expertise = round(expertise_score(knowledge.paths, mine.files, mine.directories), 6)
        known = sum(1 for p in knowledge.paths if p in mine.files)
    clamped = min(1.0, max(0.0, expertise)) if math.isfinite(expertise) else 0.0
    return (
        -max(0, spread) if rule.spread else 0,
        -(known > 0),
        -clamped,
        base.balance_minutes,
        base.load_share,
        base.engineer_id,
    )


def load_band(
    seniors: Seniors,
    *,
    author_id: int | None,
    exclude_ids: Collection[int] = frozenset(),
    owner_ids: Collection[int] = frozenset(),
    owner_required: bool = False,
    rule: Rule = DEFAULT_RULE,
) -> list[Candidate]:
    """The eligible seniors within the band's width of the lightest one, lightest first: those the pick is among,
    whatever the change's history says."""
    lightest: int | None = None
    band: list[Candidate] = []
    for c in seniors.ready:
        if c.engineer_id == author_id or c.engineer_id in exclude_ids:
            continue
        if owner_required and c.engineer_id not in owner_ids:
            continue
        if lightest is None:
            lightest = c.balance_minutes
        elif c.balance_minutes > lightest + rule.band_minutes:
            break
        band.append(c)
    return band


def pick_in_batch(
    seniors: Seniors,
    knowledge: ChangeKnowledge,
    *,
    author_id: int | None,
    exclude_ids: Collection[int] = frozenset(),
    owner_ids: Collection[int] = frozenset(),
    owner_required: bool = False,
    rule: Rule = DEFAULT_RULE,
    owner_label: str = "",
    band: Sequence[Candidate] | None = None,
) -> Pick | None:
    """What `pick_reviewer` picks for the change among the seniors (`touched_files`: the change's paths).

    `band`: the change's load_band with the same arguments, when the caller has it already."""
    if band is None:
        band = load_band(
            seniors,
            author_id=author_id,
            exclude_ids=exclude_ids,
            owner_ids=owner_ids,
            owner_required=owner_required,
            rule=rule,
        )
    if not band:
        return None
    lightest = band[0].balance_minutes
    # Order by the preference's key alone; whole candidates are made for the first two only.
    keyed: list[tuple[tuple, Candidate, Hashable]] = []
    others = 0
    for c in band:
        key = seniors.keys[c.engineer_id]
        mine = knowledge.work.get(key)
        if mine is None:
            if others == 2:  # the rest rank after these two, in the same order
                continue
            others += 1
        keyed.append((_preference(c, key, mine, knowledge, rule), c, key))
    keyed.sort(key=lambda item: item[0])
    ranked = [knowing_candidate(c, key, knowledge) for _, c, key in keyed[:2]]
    return pick_of(
        ranked,
        band_size=len(band),
        lightest=lightest,
        touched_files=len(knowledge.paths),
        owner_required=owner_required,
        owner_label=owner_label,
        rule=rule,
    )
