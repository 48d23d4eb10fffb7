"""Choose a reviewer for a change (pure): load, expertise and the spreading of knowledge, with the reasons.

Four terms, weighed and added (`terms`):

- load: 1 for a senior with nothing on their plate, falling by 1 for every `reference` minutes of estimated
  open review work and of review done in the last 7 days, where `reference` is the median weekly capacity of
  the eligible seniors. Minutes are compared on that common scale, not as a share of each senior's own
  capacity: capacity is a ceiling (a senior at or over it is not eligible), not a quota, so a senior who set
  aside more time for review is not handed more work while colleagues are idle; their extra time absorbs the
  overflow when the others fill up;
- queue: minus the open minutes on the same scale. Open work counts again because a new change waits behind
  it; a senior who reviewed a lot this week but has nothing open can start at once;
- expertise: how much and how recently the senior authored or reviewed the touched files and their
  directories (`expertise_score`, between 0 and 1, from decayed counts of that work);
- spread: the share of the touched files that at most one active person besides the change's author knows and
  that this senior would learn by reviewing (a file known by one person is lost when that person leaves; the
  author is left out because the review is what copies the author's knowledge to someone else).

Load and queue carry the largest default weights on purpose: the seniors' time is the scarce resource, so
expertise and spread choose among seniors whose loads are close, and never send a change to a busy expert
when an idle colleague knows the code almost as well. The defaults were tuned by replaying the demo
organisation's history (`simulate_assignment --strategy all`), the same weights for every repository; the spread
weight is set by judgement.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

HALF_LIFE_DAYS = 90.0  # a file worked on 90 days ago counts half as much as one worked on today
DIRECTORY_SHARE = 0.5  # knowing a file's neighbours counts for at most half of knowing the file
RECENT_DAYS = 90  # the window the reasons speak of ("reviewed 6 of these files in the last 90 days")


@dataclass(frozen=True)
class Candidate:
    """A possible reviewer: load, availability and what they know of the change's files."""

    engineer_id: int
    name: str
    level: int
    is_away: bool
    capacity_minutes: int  # weekly review capacity
    open_minutes: int  # estimated minutes of open assignments
    reviewed_minutes_7d: int = 0  # minutes reviewed in the last 7 days
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
        return self.open_minutes + self.reviewed_minutes_7d

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
class Weights:
    """How much each term counts; only their ratios matter."""

    load: float = 1.0
    expertise: float = 0.5
    spread: float = 0.3
    queue: float = 4.0

    def __post_init__(self) -> None:
        for name in ("load", "expertise", "spread", "queue"):
            value = getattr(self, name)
            if not (value >= 0.0 and math.isfinite(value)):  # also refuses NaN
                raise ValueError(f"weight {name} must be a finite number of at least 0, got {value}")


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Pick:
    """The chosen reviewer, their score and why."""

    engineer_id: int
    score: float
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


def reference_minutes(eligible: Sequence[Candidate]) -> float:
    """The common scale of the load term: the median weekly capacity of the eligible seniors (at least 1)."""
    return max(1.0, statistics.median(c.capacity_minutes for c in eligible)) if eligible else 1.0


def terms(candidate: Candidate, *, touched_files: int, reference: float) -> dict[str, float]:
    """Each term of a candidate's score, by the name of its weight; see the module's docstring."""
    scale = max(1.0, reference)
    expertise = min(1.0, max(0.0, candidate.expertise)) if math.isfinite(candidate.expertise) else 0.0
    spread = min(1.0, max(0, candidate.spreads_files) / touched_files) if touched_files > 0 else 0.0
    return {
        "load": 1.0 - candidate.used_minutes / scale,
        "queue": -candidate.open_minutes / scale,
        "expertise": expertise,
        "spread": spread,
    }


def score(candidate: Candidate, *, touched_files: int, reference: float, weights: Weights = DEFAULT_WEIGHTS) -> float:
    """The weighed sum of the terms."""
    return sum(
        getattr(weights, name) * value
        for name, value in terms(candidate, touched_files=touched_files, reference=reference).items()
    )


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


def reasons_for(
    candidate: Candidate, *, touched_files: int, owner_required: bool = False, owner_label: str = ""
) -> tuple[str, ...]:
    """What is shown with the assignment: owner, load, what they know, what they would learn."""
    reasons = []
    if owner_required:
        reasons.append(f"owner of {owner_label}" if owner_label else "owns the sensitive paths this change touches")
    if candidate.capacity_minutes > 0:
        reasons.append(f"{round(100 * candidate.load_share)}% of weekly capacity used")
    else:
        reasons.append("no weekly review capacity set")
    reasons.append(_knowledge_reason(candidate, touched_files))
    if candidate.spreads_files:
        reasons.append(
            f"spreads knowledge of {candidate.spreads_files} files known by one person besides the author"
            if candidate.spreads_files > 1
            else "spreads knowledge of a file known by one person besides the author"
        )
    return tuple(reasons)


def pick_reviewer(
    candidates: Sequence[Candidate],
    *,
    author_id: int | None,
    exclude_ids: Collection[int] = frozenset(),
    senior_level: int = 6,
    owner_required: bool = False,
    touched_files: int = 0,
    weights: Weights = DEFAULT_WEIGHTS,
    owner_label: str = "",
) -> Pick | None:
    """The eligible senior with the best score; ties go to the lighter load, then the lower id. None if nobody.

    `touched_files` is the number of files the change touches (the denominator of the spread term).
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
    reference = reference_minutes(eligible)
    scored = [(score(c, touched_files=touched_files, reference=reference, weights=weights), c) for c in eligible]
    best_score, best = min(scored, key=lambda sc: (-sc[0], sc[1].load_share, sc[1].engineer_id))
    return Pick(
        engineer_id=best.engineer_id,
        score=round(best_score, 6),
        reasons=reasons_for(best, touched_files=touched_files, owner_required=owner_required, owner_label=owner_label),
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
        if sum(1 for k in knowers if k != author) <= 1:
            count += 1
    return count
