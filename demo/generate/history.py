"""A year of changes with their files, revisions, assignments, verdicts and dashboard facts, written by COPY.

Each change follows a plausible timeline (opened, first verdict, maybe a second round, approvals, merge,
deployment at the next release slot); whatever would happen after the end of the year is cut off, which leaves
the newest changes open, assigned and waiting exactly as a live organisation's are.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from demo.generate.org import Org
from demo.generate.rows import Rows, at
from insights.stats import size_bucket

CHUNK = 20_000
HOUR = 3600.0
DAY = 86400.0
RELEASE_HOURS = (10, 16)  # deployment slots, UTC
BENCH_QUEUE = 25


@dataclass
class History:
    """What the later steps (deployments, incidents, the ledger) need of the history."""

    deployments: dict[tuple[int, int], int] = field(default_factory=dict)  # (service index, slot) -> id
    deployed: dict[int, list[tuple[float, int]]] = field(default_factory=dict)  # service index -> (at, change)
    change_service: dict[int, int] = field(default_factory=dict)  # only of deployed changes
    counts: dict[str, int] = field(default_factory=dict)


class _Ids:
    def __init__(self) -> None:
        self.file = itertools.count(1)
        self.revision = itertools.count(1)
        self.review = itertools.count(1)
        self.assignment = itertools.count(1)
        self.link = itertools.count(1)


def opening_times(rng: random.Random, count: int, start: float, end: float) -> list[float]:
    """Opening times over [start, end): working hours, fewer at weekends, and growing a little over the year."""
    times = []
    span = end - start
    while len(times) < count:
        ts = start + span * rng.random() ** 0.8  # a little busier late in the year (30 % in the last quarter)
        weekday = int((ts // DAY + 3) % 7)  # 1970-01-01 was a Thursday
        if weekday >= 5 and rng.random() < 0.85:
            continue
        hour = rng.gauss(14, 3)
        ts = ts // DAY * DAY + min(max(hour, 6), 22) * HOUR
        if start <= ts < end:
            times.append(float(int(ts)))
    times.sort()
    return times


def _hours(rng: random.Random, median: float) -> float:
    return rng.lognormvariate(math.log(median), 0.9) * HOUR


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def _next_slot(ts: float) -> float:
    day = ts // DAY * DAY
    for d in (0, 1, 2):
        for hour in RELEASE_HOURS:
            slot = day + d * DAY + hour * HOUR
            if slot > ts:
                return slot
    return day + 2 * DAY


class HistoryWriter:
    """Writes the changes one chunk at a time; deterministic for the random generator it is given."""

    def __init__(self, rng: random.Random, org: Org, *, start: float, end: float, floor: tuple[int, int]) -> None:
        self.rng, self.org, self.start, self.end = rng, org, start, end
        self.floor_per_10, self.floor_min = floor
        self.ids = _Ids()
        self.history = History()
        self.numbers: dict[int, int] = {}
        self.bench_queue = 0
        cumulative = list(itertools.accumulate(org.service_weights))
        self.service_total = cumulative[-1]
        self.service_cumulative = cumulative
        self.now = datetime.now(UTC).replace(microsecond=0)

    def write(self, times: list[float], first_id: int = 1) -> None:
        rows = Rows()
        for offset, opened in enumerate(times):
            self._change(rows, first_id + offset, opened)
            if len(rows.changes) >= CHUNK:
                rows.write()
                rows = Rows()
        rows.write()

    def _pick_service(self, team: int) -> int:
        own = self.org.services_of_team.get(team)
        if own and self.rng.random() < 0.8:
            return self.rng.choice(own)
        return bisect.bisect(self.service_cumulative, self.rng.random() * self.service_total)

    def _reviewer(self, team: int, author: int, exclude: set[int]) -> int:
        pool = self.org.seniors_of_team[team] if self.rng.random() < 0.9 else self.org.seniors
        for _ in range(8):
            pick = self.rng.choice(pool)
            if pick != author and pick not in exclude:
                return pick
        return next(s for s in self.org.seniors if s != author and s not in exclude)

    def _floor(self, lines: int) -> int:
        return max(self.floor_min, (lines * self.floor_per_10 + 9) // 10)

    def _change(self, rows: Rows, pk: int, opened: float) -> None:  # noqa: C901, PLR0912, PLR0915 - one timeline
        rng, org, end = self.rng, self.org, self.end
        author = rng.choice(org.authors)
        team = org.team_of[author]
        service = self._pick_service(team)
        service_id, repository, owner_team, _ = org.services[min(service, len(org.services) - 1)]
        service = min(service, len(org.services) - 1)
        n_files = min(12, 1 + int(rng.expovariate(0.6)))
        paths = rng.sample(org.files[service], n_files)
        lines = max(1, int(rng.lognormvariate(4.0, 1.1)))
        added = max(1, int(lines * rng.uniform(0.5, 0.9)))
        removed = lines - added
        lines = added + removed
        year_part = (opened - self.start) / (end - self.start)
        ai = rng.random() < 0.25 + 0.35 * year_part
        declared = (rng.random() < 0.92) if ai else (None if rng.random() < 0.5 else False)
        undeclared = ai and not declared
        sensitive = any("/auth/" in p or "/payments/" in p for p in paths)
        required = 2 if lines > 1000 else (1 if (ai or lines > 300 or sensitive or rng.random() < 0.3) else 0)
        needed = max(required, 1 if sensitive else 0)
        minutes = max(5, lines // 25 + 5) if needed else max(1, lines // 40)
        risk = min(1.0, 0.05 + lines / 3000 + (0.2 if ai else 0) + (0.25 if sensitive else 0) + rng.random() * 0.2)
        floor = self._floor(lines)

        sha = _sha(rng)
        revisions = [(1, sha, opened)]
        verdicts: list[tuple[float, int, str, str]] = []  # (at, reviewer, verdict, sha)
        assignments: list[list] = []  # [reviewer, created, completed or None]
        merged = closed = None
        fate = rng.random()
        stale = fate < 0.003
        if needed:
            r1 = self._reviewer(owner_team, author, set())
            assignments.append([r1, opened + 300, None])
            t = opened + _hours(rng, 3)
            if rng.random() < 0.18:
                verdicts.append((t, r1, "request_changes", sha))
                t2 = t + _hours(rng, 5)
                sha2 = _sha(rng)
                revisions.append((2, sha2, t2))
                t = t2 + _hours(rng, 2)
                sha = sha2
            if not stale:
                verdicts.append((t, r1, "approve", sha))
                assignments[0][2] = t
                if required >= 2:
                    r2 = self._reviewer(owner_team, author, {r1})
                    assignments.append([r2, opened + 300, None])
                    t = t + _hours(rng, 2)
                    verdicts.append((t, r2, "approve", sha))
                    assignments[1][2] = t
                merged = t + _hours(rng, 1)
        else:
            t = opened
            if rng.random() < 0.3:
                peers = org.members_of_team[team]
                peer = rng.choice(peers)
                if peer != author:
                    t = opened + _hours(rng, 2)
                    verdicts.append((t, peer, rng.choice(("approve", "comment")), sha))
            if not stale:
                merged = t + _hours(rng, 4)
        if not stale and fate > 0.95:  # closed without merging a day or two in
            closed, merged = opened + rng.uniform(1, 3) * DAY, None
        # Cut at the end of the year: what has not happened yet stays open.
        verdicts = [v for v in verdicts if v[0] < end]
        revisions = [r for r in revisions if r[2] < end]
        head_sha = revisions[-1][1]
        state = "open"
        if merged is not None and merged < end:
            state = "merged"
        elif closed is not None and closed < end:
            state = "closed"
        else:
            merged = None
        if state != "merged":
            merged = None
        approvals = [v for v in verdicts if v[2] == "approve"]
        if state == "merged":
            review_state = "approved" if needed else "not_required"
        elif not needed:
            review_state = "not_required"
        elif len(approvals) >= needed:
            review_state = "approved"
        elif verdicts and verdicts[-1][2] == "request_changes" and verdicts[-1][3] == head_sha:
            review_state = "changes_requested"
        else:
            review_state = "needs_sign_off"
        # The benchmark's senior gets the first 25 changes waiting for a sign-off, and no other open ones.
        for a in assignments:
            if a[2] is None or a[2] >= end:
                a[2] = None
        waiting = state == "open" and review_state == "needs_sign_off"
        for a in assignments:
            if a[2] is None and state == "open":
                others = {b[0] for b in assignments if b is not a}
                if (
                    waiting
                    and self.bench_queue < BENCH_QUEUE
                    and org.bench_senior not in others
                    and author != org.bench_senior
                ):
                    if a[0] != org.bench_senior:
                        verdicts = [(v[0], org.bench_senior if v[1] == a[0] else v[1], v[2], v[3]) for v in verdicts]
                        a[0] = org.bench_senior
                    self.bench_queue += 1
                    waiting = False
                elif a[0] == org.bench_senior:
                    other = self._reviewer(owner_team, author, {org.bench_senior, *(b[0] for b in assignments)})
                    verdicts = [(v[0], other if v[1] == a[0] else v[1], v[2], v[3]) for v in verdicts]
                    a[0] = other

        deployed = None
        if merged is not None and rng.random() < 0.95:
            slot = _next_slot(merged)
            if slot < end:
                deployed = slot
                key = (service, int(slot))
                deployment = self.history.deployments.setdefault(key, len(self.history.deployments) + 1)
                rows.links.append((next(self.ids.link), deployment, pk))
                self.history.deployed.setdefault(service, []).append((slot, pk))
        last_event = max([opened, *(v[0] for v in verdicts), *(r[2] for r in revisions)] + [merged or 0, closed or 0])
        last_event = min(last_event, end - 1)
        number = self.numbers[repository] = self.numbers.get(repository, 0) + 1
        opened_at, merged_at, deployed_at = at(opened), at(merged), at(deployed)
        rows.changes.append(
            (
                pk, f"pr:{number}", f"Change {pk}: {paths[0].rsplit('/', 1)[-1]}", "", "", "",
                f"feature/change-{pk}", _sha(rng), head_sha, state, review_state, "done", "", head_sha, added,
                removed, n_files, ai, 0.9 if ai else 0.05, "[]", round(risk, 3), "[]", minutes, required, sensitive,
                False, "[]", opened_at, merged_at, deployed_at, opened_at, at(last_event), author, repository,
                declared, undeclared, False, 0, None, False, "[]", _sha(rng) if merged else "", number, "main",
                "pass", "", "[]", "[]", False, None, "[]", "{}",
            )
        )  # fmt: skip
        for index, path in enumerate(paths):
            share_add = added // n_files + (1 if index < added % n_files else 0)
            share_del = removed // n_files + (1 if index < removed % n_files else 0)
            rows.files.append((next(self.ids.file), path, "", "modified", share_add, share_del, "", pk, False, ""))
        base = _sha(rng)
        for number_, rsha, rts in revisions:
            rows.revisions.append((next(self.ids.revision), number_, rsha, base, b"", 0, False, "", at(rts), pk))
        for reviewer, created, completed in assignments:
            done = completed is not None
            rows.assignments.append(
                (
                    next(self.ids.assignment), "done" if done else ("active" if state == "open" else "cancelled"),
                    "Owns the service's paths", "[]", minutes, at(created), at(completed), pk, reviewer,
                    None, at(created + 2 * DAY), "",
                )
            )  # fmt: skip
        facts_reviews = []
        for ts, reviewer, verdict, vsha in sorted(verdicts):
            review_id = next(self.ids.review)
            host = rng.random() < 0.1
            seconds = 0 if host else max(1, int(floor * rng.lognormvariate(math.log(2.5), 0.7)))
            stamp = verdict == "approve" and not host and seconds < floor
            rows.reviews.append(
                (
                    review_id, verdict, vsha, seconds, "", "", at(ts), pk, reviewer, "host" if host else "portal",
                    stamp, n_files, n_files, stamp, None, f"h{review_id}" if host else "",
                )
            )  # fmt: skip
            non_owner = verdict == "approve" and sensitive and org.team_of[reviewer] != owner_team
            facts_reviews.append(
                (
                    review_id, at(ts), verdict, seconds, minutes, stamp, sensitive, non_owner, pk, repository,
                    reviewer, team, False, host,
                )
            )  # fmt: skip
        rows.review_facts.extend(facts_reviews)
        by_others = [v for v in sorted(verdicts) if v[1] != author]
        first_review = by_others[0][0] if by_others else None
        first_approval = next((v[0] for v in by_others if v[2] == "approve"), None)
        before_merge = sum(1 for v in by_others if v[2] == "approve" and merged is not None and v[0] <= merged)
        rows.change_facts.append(
            (
                pk, opened_at, merged_at, deployed_at, state == "closed", needed > 0, needed, ai, undeclared, lines,
                size_bucket(lines), minutes, at(first_review), at(first_approval), before_merge,
                len({v[3] for v in by_others}), False, self.now, repository, team,
            )
        )  # fmt: skip
        counts = self.history.counts
        counts["changes"] = counts.get("changes", 0) + 1
        counts["open"] = counts.get("open", 0) + (state == "open")
