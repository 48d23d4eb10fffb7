"""Replay a repository's history under an assignment strategy and measure the outcome (pure).

The replay walks the changes in time order. At each change the strategy picks one reviewer among the seniors
(never the change's author); what the pick learns and the load it takes on carry forward to later changes.
Before the replay, earlier history counts as authorship only (who changed which file, and when).

The metrics are described in assignment.metrics; the history replayed, in assignment.history.

A change may ask for no sign-off (it is then authored only: its author's knowledge counts, nobody reviews it,
and it is not among the `changes`), for more than one (each from another senior, picked one after the other),
or for one from a set of owners. `expertise` then counts a change when any of its reviewers knew a touched file.

The balanced strategy is the portal's picker (assignment.picking.pick_reviewer) and sees load as the portal
does: the estimated minutes still in the senior's queue (open) plus those they finished in the last 7 days
against the weekly capacity, and in the last BALANCE_DAYS days for the load band. When every senior is over
capacity the picker gives no pick; the change then waits for the least loaded senior, as it would in the
portal.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from assignment.history import ReplayChange, ReplayReview, Senior
from assignment.metrics import Metrics, gini, percentile_nearest_rank
from assignment.picking import (
    BALANCE_DAYS,
    DEFAULT_RULE,
    HALF_LIFE_DAYS,
    Candidate,
    Rule,
    directory_of,
    expertise_score,
    pick_reviewer,
    spreads_count,
)

STRATEGIES = ("balanced", "round_robin", "load_balance", "expertise", "random")
ACTIVE_DAYS = 90
LOAD_WINDOW_DAYS = 7  # against the weekly capacity, as in the portal
REQUEST_WINDOW_DAYS = 30  # GitHub's load balancing counts review requests over 30 days
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _days(at: datetime) -> float:
    return (at - _EPOCH).total_seconds() / 86400


class _Decayed:
    """A count that halves every half-life: value and the day it was last brought up to date."""

    __slots__ = ("day", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.day = 0.0

    def at(self, day: float) -> float:
        return self.value * 0.5 ** (max(0.0, day - self.day) / HALF_LIFE_DAYS)

    def add(self, day: float) -> None:
        self.value = self.at(day) + 1.0
        self.day = day


@dataclass
class _Queue:
    """One senior's queue: review work in order, each with the day it is done and its minutes."""

    rate: float  # minutes of review per day
    free_at: float = -math.inf
    work: deque[tuple[float, int]] = field(default_factory=deque)
    requests: deque[float] = field(default_factory=deque)
    total_minutes: int = 0

    def load(self, day: float) -> tuple[int, int, int, int]:
        """Open minutes, minutes finished in the last 7 and in the last BALANCE_DAYS days, open count."""
        while self.work and self.work[0][0] <= day - max(LOAD_WINDOW_DAYS, BALANCE_DAYS):
            self.work.popleft()
        open_minutes = sum(m for done, m in self.work if done > day)
        week = sum(m for done, m in self.work if day - LOAD_WINDOW_DAYS < done <= day)
        balance = sum(m for done, m in self.work if day - BALANCE_DAYS < done <= day)
        return open_minutes, week, balance, sum(1 for done, _ in self.work if done > day)

    def recent_requests(self, day: float) -> int:
        while self.requests and self.requests[0] <= day - REQUEST_WINDOW_DAYS:
            self.requests.popleft()
        return len(self.requests)

    def take(self, day: float, minutes: int) -> float:
        """Queue the work; returns the days it waits before the senior starts on it."""
        start = max(day, self.free_at)
        self.free_at = start + minutes / self.rate
        self.work.append((self.free_at, minutes))
        self.requests.append(day)
        self.total_minutes += minutes
        return start - day


class _Replay:
    """What the replay knows at any moment: who knows which file, how well, who is active, who is loaded."""

    def __init__(self, seniors: Sequence[Senior]) -> None:
        self.seniors = list(seniors)
        self.index = {s.key: i for i, s in enumerate(self.seniors)}
        self.knowers: dict[str, set[str]] = {}
        self.file_weight: dict[tuple[str, str], _Decayed] = {}
        self.directory_weight: dict[tuple[str, str], _Decayed] = {}
        self.last_active: dict[str, float] = {}
        self.lines: dict[tuple[str, str], int] = {}
        self.total_lines: dict[str, int] = {}
        self.alive: set[str] = set()
        self.queues = [_Queue(rate=max(1, s.capacity_minutes) / 7) for s in self.seniors]
        self.last_request = [-math.inf] * len(self.seniors)

    def learn(self, person: str, path: str, day: float) -> None:
        self.knowers.setdefault(path, set()).add(person)
        self.file_weight.setdefault((person, path), _Decayed()).add(day)
        self.directory_weight.setdefault((person, directory_of(path)), _Decayed()).add(day)

    def author(self, change: ReplayChange, day: float) -> None:
        """The author knows what they changed; the repository's files follow deletions and renames."""
        self.last_active[change.author] = day
        for f in change.files:
            if f.status == "renamed" and f.old_path:
                self.knowers.setdefault(f.path, set()).update(self.knowers.get(f.old_path, ()))
                self.alive.discard(f.old_path)
            if f.status == "deleted":
                self.alive.discard(f.path)
            else:
                self.alive.add(f.path)
            self.learn(change.author, f.path, day)
            self.lines[(change.author, f.path)] = self.lines.get((change.author, f.path), 0) + f.lines_added
            self.total_lines[change.author] = self.total_lines.get(change.author, 0) + f.lines_added

    def review(self, person: str, change: ReplayChange, day: float) -> None:
        self.last_active[person] = day
        for f in change.files:
            self.learn(person, f.path, day)

    def knows_any(self, person: str, paths: Sequence[str]) -> bool:
        return any(person in self.knowers.get(p, ()) for p in paths)

    def active_knowers(self, paths: Sequence[str], day: float) -> dict[str, set[str]]:
        since = day - ACTIVE_DAYS
        return {p: {k for k in self.knowers.get(p, ()) if self.last_active.get(k, -math.inf) >= since} for p in paths}

    def files_at_risk(self, end: float) -> float:
        if not self.alive:
            return 0.0
        since = end - ACTIVE_DAYS
        at_risk = 0
        for path in self.alive:
            active = [k for k in self.knowers.get(path, ()) if self.last_active.get(k, -math.inf) >= since]
            at_risk += len(active) <= 1
        return at_risk / len(self.alive)


def _candidates(state: _Replay, change: ReplayChange, day: float, level: int) -> list[Candidate]:
    paths = [f.path for f in change.files]
    directories = {directory_of(p) for p in paths}
    active = state.active_knowers(paths, day)
    result = []
    for i, senior in enumerate(state.seniors):
        open_minutes, week, balance, open_count = state.queues[i].load(day)
        file_weight = {
            p: state.file_weight[(senior.key, p)].at(day) for p in paths if (senior.key, p) in state.file_weight
        }
        directory_weight = {
            d: state.directory_weight[(senior.key, d)].at(day)
            for d in directories
            if (senior.key, d) in state.directory_weight
        }
        result.append(
            Candidate(
                engineer_id=i,
                name=senior.name or senior.key,
                level=level,
                is_away=False,
                capacity_minutes=senior.capacity_minutes,
                open_minutes=open_minutes,
                reviewed_minutes_7d=week,
                reviewed_minutes_balance=balance,
                open_count=open_count,
                max_open=senior.max_open,
                expertise=expertise_score(paths, file_weight, directory_weight),
                files_known=sum(1 for p in paths if senior.key in state.knowers.get(p, ())),
                spreads_files=spreads_count(senior.key, paths, active, author=change.author),
            )
        )
    return result


def _pick(
    strategy: str,
    state: _Replay,
    change: ReplayChange,
    day: float,
    *,
    rng: random.Random,
    turn: list[int],
    rule: Rule,
    exclude: Sequence[int] = (),
) -> int | None:
    """Index of the senior the strategy picks for the change; None when only the author (and `exclude`) is left."""
    author = state.index.get(change.author, -1)
    others = [i for i in range(len(state.seniors)) if i != author and i not in exclude]
    if change.eligible:
        owners = [i for i in others if state.seniors[i].key in change.eligible]
        others = owners or others
    if not others:
        return None
    if strategy == "round_robin":
        n = len(state.seniors)
        allowed = set(others)
        for step in range(n):
            i = (turn[0] + step) % n
            if i in allowed:
                turn[0] = i + 1
                return i
    if strategy == "load_balance":
        return min(others, key=lambda i: (state.queues[i].recent_requests(day), state.last_request[i], i))
    if strategy == "expertise":
        paths = [f.path for f in change.files]

        def blame(i: int) -> tuple[int, int, int]:
            key = state.seniors[i].key
            return (-sum(state.lines.get((key, p), 0) for p in paths), -state.total_lines.get(key, 0), i)

        return min(others, key=blame)
    if strategy == "random":
        return rng.choice(others)
    if strategy == "balanced":
        candidates = _candidates(state, change, day, level=1)
        allowed = set(others)
        pick = pick_reviewer(
            [c for c in candidates if c.engineer_id in allowed],
            author_id=author,
            senior_level=0,
            touched_files=len(change.files),
            rule=rule,
        )
        if pick is not None:
            return pick.engineer_id
        # Everyone is over capacity or at their cap: the change waits for the least loaded senior.
        return min(others, key=lambda i: (candidates[i].load_share, i))
    raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")


def simulate(
    changes: Sequence[ReplayChange],
    seniors: Sequence[Senior],
    *,
    strategy: str,
    history: Sequence[ReplayChange] = (),
    rule: Rule = DEFAULT_RULE,
    seed: int = 0,
    end: datetime | None = None,
) -> Metrics:
    """Replay `changes` in time order under `strategy`, after `history` (authorship only); see the module.

    `end` is when the replay ends, for who counts as active (default: the time of the last change).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    keys = [s.key for s in seniors]
    if len(set(keys)) != len(keys):
        raise ValueError("each senior may be listed once")
    state = _Replay(seniors)
    for change in sorted(history, key=lambda c: c.at):
        state.author(change, _days(change.at))
    rng = random.Random(seed)
    turn = [0]
    hits = 0
    minutes = 0
    waits: list[float] = []
    picks: list[str | None] = []
    ordered = sorted(changes, key=lambda c: c.at)
    given: list[ReplayReview] = []

    def give(index: int, change: ReplayChange, day: float) -> bool:
        """Queue the review on the senior; whether they knew a touched file before."""
        reviewer = state.seniors[index].key
        knew = state.knows_any(reviewer, [f.path for f in change.files])
        wait = state.queues[index].take(day, change.minutes) * 24
        waits.append(wait)
        state.last_request[index] = day
        state.review(reviewer, change, day)
        given.append(
            ReplayReview(at=change.at, reviewer=reviewer, minutes=change.minutes, wait_hours=wait, ref=change.ref)
        )
        return knew

    for change in ordered:
        day = _days(change.at)
        if change.sign_offs <= 0:
            state.author(change, day)
            picks.append(None)
            continue
        # The pick sees what was known before the change: its author's work on it is not yet knowledge to spread.
        chosen = _pick(strategy, state, change, day, rng=rng, turn=turn, rule=rule)
        state.author(change, day)
        if chosen is None:
            picks.append(None)
            continue
        picks.append(state.seniors[chosen].key)
        knew = give(chosen, change, day)
        # Further sign-offs go to other seniors, picked one after another with what the first ones took on.
        taken = [chosen]
        for _ in range(change.sign_offs - 1):
            more = _pick(strategy, state, change, day, rng=rng, turn=turn, rule=rule, exclude=taken)
            if more is None:
                break
            taken.append(more)
            knew = give(more, change, day) or knew
        hits += knew
        minutes += change.minutes * len(taken)
    if end is not None:
        end_day = _days(end)
    elif ordered:
        end_day = _days(ordered[-1].at)
    elif history:
        end_day = max(_days(c.at) for c in history)
    else:
        end_day = 0.0
    per_senior = [q.total_minutes for q in state.queues]
    total = sum(per_senior)
    replayed = sum(1 for c in ordered if c.sign_offs > 0)
    return Metrics(
        strategy=strategy,
        changes=replayed,
        expertise=hits / replayed if replayed else 0.0,
        workload_gini=gini(per_senior),
        max_share=max(per_senior) / total if total else 0.0,
        files_at_risk=state.files_at_risk(end_day),
        senior_hours=minutes / 60,
        p90_queue_hours=percentile_nearest_rank(waits, 0.9),
        minutes_by_senior=tuple((s.key, m) for s, m in zip(seniors, per_senior, strict=True)),
        picks=tuple(picks),
        reviews=tuple(given),
    )
