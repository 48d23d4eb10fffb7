"""Choose a reviewer for a change (pure): a load band first, then knowledge spread, then expertise, with reasons.

The rule, in order (`pick_reviewer`):

1. Eligibility: a senior, not the author, not excluded (declined, last pusher), not away, under their weekly
   capacity (open minutes plus minutes reviewed in the last 7 days) and their cap on open assignments, an
   owner where the policy requires one.
2. Load band: only the eligible seniors whose review load is within `band_minutes` of the lightest one's. The
   load is the estimated minutes of their open assignments plus the minutes they reviewed in the last
   BALANCE_DAYS (365) days, in minutes on one common scale: capacity is a ceiling, not a quota, so a senior who
   set aside more time is not handed more while colleagues are idle. A year, not a week, because at the pace of
   most teams a week holds a handful of reviews: a short window forgets, nearly everyone sits at zero, and the
   band then never forces work onto the senior who knows least, who can wait for months while the others take
   turns (on pip's history since 2024, workload Gini 0.34 with 7 days, 0.06 with 60, 0.016 with 365). Over a
   year the totals converge. The cost: a senior who is new or back from a long absence has the lightest year
   and takes most new work until caught up, within their weekly capacity and cap on open assignments.
3. Spread: in the band, the senior who would learn the most touched files that at most one active person
   besides the author knows (a file known by one person is lost when that person leaves; the author is left
   out because the review is what copies the author's knowledge to someone else).
4. Expertise: then whoever has worked on at least one of the touched files, then the higher expertise score
   (`expertise_score`, from decayed counts of authoring and reviewing the files and their directories).
5. Then the lighter load, the lower share of their own capacity, the lower id.

The order is the argument: the seniors' time is the scarce resource, so load is a hard band rather than a
weight that a strong enough expertise can outbid; inside the band nobody is treated unfairly by any choice,
so it goes first to what only assignment can fix (who else learns code known by one person) and then to
review quality. Knowing one touched file already makes a reviewer able to follow the change, which is why
"knows a file" comes before the graded score. The band's width (30 minutes, about one small review), the year
and the order were set on one repository's replay (pypa/pip since 2024, `evaluate_history`; putting expertise
before spread gained 0.016 of expertise there and lost the files-at-risk aim) and checked on three others held
out; see the README, "Evaluating on real histories".
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

HALF_LIFE_DAYS = 90.0  # a file worked on 90 days ago counts half as much as one worked on today
DIRECTORY_SHARE = 0.5  # knowing a file's neighbours counts for at most half of knowing the file
RECENT_DAYS = 90  # the window the reasons speak of ("reviewed 6 of these files in the last 90 days")
BALANCE_DAYS = 365  # the load band compares the review minutes of this many days (see the module's docstring)
BAND_MINUTES = 30  # width of the load band: about one small review


@dataclass(frozen=True)
class Candidate:
    """A possible reviewer: load, availability and what they know of the change's files."""

    engineer_id: int
    name: str
    level: int
    is_away: bool
    capacity_minutes: int  # weekly review capacity
    open_minutes: int  # estimated minutes of open assignments
    reviewed_minutes_7d: int = 0  # minutes reviewed in the last 7 days (against the weekly capacity)
    reviewed_minutes_balance: int = 0  # minutes reviewed in the last BALANCE_DAYS days (for the load band)
    open_count: int = 0  # open assignments
    max_open: int | None = None  # cap on open assignments; None: no cap
    owns_paths: bool = False  # owns the paths that need an owner's sign-off
    expertise: float = 0.0  # 0..1, see expertise_score
    files_known: int = 0  # touched files this senior authored or reviewed before
    spreads_files: int = 0  # touched files known by at most one active person besides the author, not by this senior
    files_reviewed_recent: int = 0  # touched files this senior reviewed in the last RECENT_DAYS (for the reasons)
    files_authored_recent: int = 0  # touched files this senior authored in the last RECENT_DAYS (for the reasons)

    @property
    def used_minutes(self) -> int:
        """Minutes against the weekly capacity: open work and work done in the last 7 days."""
        return self.open_minutes + self.reviewed_minutes_7d

    @property
    def balance_minutes(self) -> int:
        """The load the band compares: open work and work done in the last BALANCE_DAYS days."""
        return self.open_minutes + max(self.reviewed_minutes_balance, self.reviewed_minutes_7d)

    @property
    def load_share(self) -> float:
        """Share of the weekly capacity used; a senior without capacity counts as full."""
        if self.capacity_minutes <= 0:
            return math.inf
        return self.used_minutes / self.capacity_minutes

    @property
    def is_at_capacity(self) -> bool:
        return self.used_minutes >= self.capacity_minutes

    @property
    def is_at_max_open(self) -> bool:
        return self.max_open is not None and self.open_count >= self.max_open


@dataclass(frozen=True)
class Rule:
    """The picker's knobs: the load band's width, and whether spreading knowledge decides before expertise."""

    band_minutes: int = BAND_MINUTES
    spread: bool = True

    def __post_init__(self) -> None:
        if not (isinstance(self.band_minutes, int) and 0 <= self.band_minutes <= 100_000):
            raise ValueError(f"band_minutes must be whole minutes from 0 to 100000, got {self.band_minutes}")


DEFAULT_RULE = Rule()


@dataclass(frozen=True)
class Pick:
    """The chosen reviewer, what they know of the change, their load and why."""

    engineer_id: int
    expertise: float
    balance_minutes: int
    reasons: tuple[str, ...]


def is_eligible(
    candidate: Candidate,
    *,
    author_id: int | None,
    exclude_ids: Collection[int] = frozenset(),
    senior_level: int = 6,
    owner_required: bool = False,
) -> bool:
    """Senior, not the author, not excluded, not away, under capacity and cap, an owner when one is needed."""
    return (
        candidate.level >= senior_level
        and candidate.engineer_id != author_id
        and candidate.engineer_id not in exclude_ids
        and not candidate.is_away
        and not candidate.is_at_capacity
        and not candidate.is_at_max_open
        and (candidate.owns_paths or not owner_required)
    )


def load_band(eligible: Sequence[Candidate], *, band_minutes: int = BAND_MINUTES) -> list[Candidate]:
    """The eligible seniors whose load is within `band_minutes` of the lightest one's."""
    if not eligible:
        return []
    lightest = min(c.balance_minutes for c in eligible)
    return [c for c in eligible if c.balance_minutes <= lightest + band_minutes]


def _expertise(candidate: Candidate) -> float:
    value = candidate.expertise
    return min(1.0, max(0.0, value)) if math.isfinite(value) else 0.0


def preference(candidate: Candidate, *, rule: Rule = DEFAULT_RULE) -> tuple:
    """Order inside the band, best first: spread, knows a touched file, expertise, lighter load, lower id."""
    return (
        -max(0, candidate.spreads_files) if rule.spread else 0,
        -(candidate.files_known > 0),
        -_expertise(candidate),
        candidate.balance_minutes,
        candidate.load_share,
        candidate.engineer_id,
    )


def _decided_by(best: Candidate, runner_up: Candidate, rule: Rule) -> str:
    """What set the pick apart from the next in the band, in words."""
    if rule.spread and best.spreads_files != runner_up.spreads_files:
        return "spreads knowledge"
    if (best.files_known > 0) != (runner_up.files_known > 0):
        return "knows the files"
    if _expertise(best) != _expertise(runner_up):
        return "knows the files best"
    return "lightest load"


def _knowledge_reason(candidate: Candidate, touched_files: int) -> str:
    """ "reviewed 6 and changed 2 of these files in the last 90 days", or what else they know of them."""
    reviewed, changed = candidate.files_reviewed_recent, candidate.files_authored_recent
    if reviewed or changed:
        if touched_files == 1:
            verbs = " and ".join(v for v, n in (("reviewed", reviewed), ("changed", changed)) if n)
            return f"{verbs} this file in the last {RECENT_DAYS} days"
        parts = [f"{v} {n}" for v, n in (("reviewed", reviewed), ("changed", changed)) if n]
        return f"{' and '.join(parts)} of these files in the last {RECENT_DAYS} days"
    if candidate.files_known:
        if touched_files == 1:
            return "has worked on this file before"
        return f"has worked on {candidate.files_known} of these {touched_files} files before"
    if candidate.expertise > 0:
        return "has worked in these directories"
    return "new to these files"


def _load_reason(candidate: Candidate, lightest: int | None) -> str:
    """Where the senior stands in the load band: "least loaded over 60 days (45 min)" or how far from it."""
    mine = candidate.balance_minutes
    if lightest is None or mine <= lightest:
        return f"least loaded over {BALANCE_DAYS} days ({mine} min of review)"
    return f"within {mine - lightest} min of the least loaded over {BALANCE_DAYS} days ({mine} min of review)"


def reasons_for(
    candidate: Candidate,
    *,
    touched_files: int,
    owner_required: bool = False,
    owner_label: str = "",
    lightest: int | None = None,
    band_size: int = 1,
    decided_by: str = "",
) -> tuple[str, ...]:
    """What is shown with the assignment: owner, load, what they know, what they would learn, what decided."""
    reasons = []
    if owner_required:
        reasons.append(f"owner of {owner_label}" if owner_label else "owns the sensitive paths this change touches")
    if candidate.capacity_minutes > 0:
        reasons.append(f"{round(100 * candidate.load_share)}% of weekly capacity used")
    else:
        reasons.append("no weekly review capacity set")
    if lightest is not None:
        reasons.append(_load_reason(candidate, lightest))
    reasons.append(_knowledge_reason(candidate, touched_files))
    if candidate.spreads_files:
        reasons.append(
            f"spreads knowledge of {candidate.spreads_files} files known by one person besides the author"
            if candidate.spreads_files > 1
            else "spreads knowledge of a file known by one person besides the author"
        )
    if band_size > 1 and decided_by:
        reasons.append(f"chosen among {band_size} seniors of similar load: {decided_by}")
    return tuple(reasons)


def pick_reviewer(
    candidates: Sequence[Candidate],
    *,
    author_id: int | None,
    exclude_ids: Collection[int] = frozenset(),
    senior_level: int = 6,
    owner_required: bool = False,
    touched_files: int = 0,
    rule: Rule = DEFAULT_RULE,
    owner_label: str = "",
) -> Pick | None:
    """The eligible senior the rule of the module's docstring prefers; None if nobody is eligible.

    `touched_files` is the number of files the change touches (for the reasons).
    """
    eligible = [
        c
        for c in candidates
        if is_eligible(
            c, author_id=author_id, exclude_ids=exclude_ids, senior_level=senior_level, owner_required=owner_required
        )
    ]
    if not eligible:
        return None
    band = sorted(load_band(eligible, band_minutes=rule.band_minutes), key=lambda c: preference(c, rule=rule))
    return pick_of(
        band[:2],
        band_size=len(band),
        lightest=min(c.balance_minutes for c in eligible),
        touched_files=touched_files,
        owner_required=owner_required,
        owner_label=owner_label,
        rule=rule,
    )


def pick_of(
    ranked: Sequence[Candidate],
    *,
    band_size: int,
    lightest: int,
    touched_files: int,
    owner_required: bool,
    owner_label: str,
    rule: Rule,
) -> Pick:
    """The pick of the best of `ranked` (the band's first two, in order) with its reasons."""
    best = ranked[0]
    return Pick(
        engineer_id=best.engineer_id,
        expertise=round(_expertise(best), 6),
        balance_minutes=best.balance_minutes,
        reasons=reasons_for(
            best,
            touched_files=touched_files,
            owner_required=owner_required,
            owner_label=owner_label,
            lightest=lightest,
            band_size=band_size,
            decided_by=_decided_by(best, ranked[1], rule) if band_size > 1 else "",
        ),
    )


# --- expertise and knowledge, from plain history -------------------------------------------------------------


def decay(age_days: float, *, half_life_days: float = HALF_LIFE_DAYS) -> float:
    """Weight of one piece of work done `age_days` ago: 1 today, 1/2 after a half-life; never above 1."""
    return 0.5 ** (max(0.0, age_days) / half_life_days)


def directory_of(path: str) -> str:
    """The directory of a path; "" for a file at the root."""
    return path.rpartition("/")[0]


def expertise_score(
    touched: Sequence[str],
    file_weight: Mapping[str, float],
    directory_weight: Mapping[str, float],
) -> float:
    """Expertise of one person with a change's files, between 0 and 1.

    `file_weight[path]` is the decayed count of the person's work on a file (sum of `decay` over the times they
    authored or reviewed it); `directory_weight[dir]` the same over every file directly in a directory. Each
    touched file counts 1 - exp(-weight) (one recent piece of work about 0.63, three about 0.95), or
    DIRECTORY_SHARE of the same over its directory if that is more (root files have no directory to count);
    the score is the mean over the touched files.
    """
    if not touched:
        return 0.0
    total = 0.0
    for path in touched:
        own = 1.0 - math.exp(-max(0.0, file_weight.get(path, 0.0)))
        directory = directory_of(path)
        near = 1.0 - math.exp(-max(0.0, directory_weight.get(directory, 0.0))) if directory else 0.0
        total += max(own, DIRECTORY_SHARE * near)
    return total / len(touched)


def spreads_count(
    person: Hashable,
    touched: Iterable[str],
    active_knowers: Mapping[str, Collection[Hashable]],
    author: Hashable | None = None,
) -> int:
    """Touched files `person` does not know yet that someone knows, but at most one active person besides the author.

    The author is left out of the count because the author is the one whose knowledge the review should copy:
    a file that only its author and one reviewer know is held by one person as soon as the author moves on,
    and sending the next change to the same reviewer keeps it that way.
    """
    count = 0
    for path in touched:
        knowers = active_knowers.get(path, ())
        if not knowers or person in knowers:
            continue
        if isinstance(knowers, set | frozenset):  # the usual case: no need to walk every knower
            others = len(knowers) - (author in knowers)
        else:
            others = sum(1 for k in knowers if k != author)
        if others <= 1:
            count += 1
    return count
