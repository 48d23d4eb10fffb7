"""Deterministic generation of the demo organisation's git histories (pure, no ORM).

What the generated history holds, so that the portal's measures mean something on it:

- people work mostly in their own areas, at uneven rates, with a week or two of holiday each; some join partway
  and a few leave (stop committing), so some files end up known by at most one active person;
- the initial import is split among the founders of each area, not written by one person who knows everything;
- weekly volume varies and AI assistance grows over the half year;
- about one change in fourteen breaks something. A breaking change is drawn riskier than most (bigger, spread
  over more files, sensitive paths, outside the author's areas, more often AI-assisted and by juniors, fewer
  tests) with much overlap, so risk points at it without giving it away. It is noticed only after 1-3
  (sometimes more) other changes to the same services have shipped on later deployments, and then reverted
  (`This reverts commit <sha>.`); about a third are fixed forward instead, by a commit that rewrites the bad
  lines and names the change it fixes (`Fixes: <sha> ("title")`): some by choice, the rest because nothing
  else shipped to their services for days and the author found the bug first.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from demo.commits import (
    WORDS,
    CommitSpec,
    code_line,
    commit_message,
    edit_lines,
    fix_message,
)
from demo.organisation import PEOPLE, REPOSITORIES, WEEKS, Person, ai_rate, commit_times, deploy_time, services_of

DEFECT_RATE = 0.07  # chance that a typical change (about 40 lines, in the author's area) breaks something
FIX_FORWARD_SHARE = 0.12  # defects fixed by a later commit instead of a revert
FOLLOW_UP_SHARE = 0.35  # changes followed by another from the same author in the same code soon after
QUIET_SERVICE_DAYS = timedelta(days=4)  # a defect whose services see no other change this long is fixed forward
QUIET_DAYS_AT_END = 14  # no new defect this close to the end: every defect is repaired before the last week


@dataclass
class RepoPlan:
    """The full history to write for one demo repository."""

    name: str
    commits: list[CommitSpec] = field(default_factory=list)
    branches: dict[str, list[CommitSpec]] = field(default_factory=dict)


@dataclass
class _Event:
    """A commit of the main branch as planned, before its content is written."""

    at: datetime
    author: Person
    area: str
    paths: list[str]
    size: int
    ai: bool
    kind: str = "change"  # change, import, revert or fix
    target: int | None = None  # the bad change a revert or fix repairs
    bad: bool = False
    adds_only: frozenset[str] = frozenset()  # paths this change only adds lines to


@dataclass
class _Defect:
    """A bad change waiting to be noticed: after `needed` other changes to its services have shipped."""

    index: int
    at: datetime
    services: frozenset[str]
    needed: int
    patience: timedelta  # noticed sooner if it has shipped with other changes for this long
    fix_forward: bool
    seen: int = 0  # other changes to its services shipped on a later deployment
    shipped: datetime | None = None  # the latest such deployment


def _size(rng: random.Random, bad: bool = False) -> int:
    """Changed lines: about 30 for most changes, about 90 for those that break something."""
    return max(2, min(900, int(rng.lognormvariate(4.5 if bad else 3.4, 0.8 if bad else 0.9))))


def _is_test(path: str) -> bool:
    return "test" in path.rsplit("/", 1)[-1] or "/tests/" in path


def _founders(people: list[Person], area: str) -> list[Person]:
    """The people who bring an area into the repository: its two most senior regulars there at the start."""
    regulars = [p for p in people if area in p.areas and p.joined == 0]
    regulars.sort(key=lambda p: (p.areas.index(area), -p.level, -p.activity, p.username))
    return regulars[:2] or [max(people, key=lambda p: (p.level, p.activity))]


def _plan_events(name: str, rng: random.Random, start: datetime, end: datetime) -> list[_Event]:
    """Who commits what and when, which changes are bad, and when each is reverted or fixed forward."""
    spec = REPOSITORIES[name]
    people = [p for p in PEOPLE if p.repo == name]
    owned: dict[str, str] = spec["owned"]
    events: list[_Event] = []

    # The initial import: each area brought in by its founders, who split its files between them.
    for k, (area, files) in enumerate(spec["files"].items()):
        founders = _founders(people, area)
        shares: dict[str, list[str]] = {p.username: [] for p in founders}
        by_name = {p.username: p for p in people}
        for j, f in enumerate(files):
            path = f"{area}/{f}"
            holder = owned.get(path) or founders[j % len(founders)].username
            shares.setdefault(holder, []).append(path)
        for m, (username, paths) in enumerate(shares.items()):
            if paths:
                at = start + timedelta(minutes=10 * k + 3 * m)
                events.append(_Event(at, by_name[username], area, paths, 0, False, kind="import"))

    holidays = {p.username: {rng.randrange(WEEKS) for _ in range(rng.choice((1, 2)))} for p in people}
    quiet_from = end - timedelta(days=QUIET_DAYS_AT_END)
    sensitive_areas = sorted(
        {a for a in spec["files"] for pattern in spec["sensitive"] if pattern.split("/**")[0].startswith(a)}
    )
    open_defects: list[_Defect] = []
    follow_ups: list[tuple[Person, str]] = []
    repairs: list[tuple[datetime, int, _Event]] = []
    # Files of a bad change not yet repaired: others may still change them, but only by adding lines, so that the
    # revert or fix finds the bad lines as the bad change left them (and blame names it).
    guarded: set[str] = set()

    def emit_due(until: datetime) -> None:
        while repairs and repairs[0][0] <= until:
            _, _, repair = heapq.heappop(repairs)
            events.append(repair)
            guarded.difference_update(events[repair.target].paths)

    for at in commit_times(rng, start + timedelta(hours=2), end, spec["commits"]):
        emit_due(at)
        _notice(rng, people, events, open_defects, repairs, at, start)
        emit_due(at)
        week = min(WEEKS - 1, (at - start).days // 7)
        present = [p for p in people if p.is_active_in(week) and week not in holidays[p.username]]
        person = rng.choices(present, weights=[p.activity for p in present])[0]
        follow_area = None
        if follow_ups and rng.random() < 0.85:
            # Work comes in small projects: a follow-up to a recent change, same author, same code.
            previous, follow_area = follow_ups.pop(0)
            if previous in present:
                person = previous
            else:
                follow_area = None
        ai = rng.random() < ai_rate(person, (at - start) / (end - start))
        # Whether it breaks something is drawn first; a breaking change is then drawn riskier than most (bigger,
        # spread wider, outside the author's areas, in sensitive code, without tests), with much overlap.
        chance = DEFECT_RATE * (2.0 if ai else 1.0) * (1.4 if person.level <= 4 else 1.0)
        bad = at < quiet_from and len(open_defects) < 3 and rng.random() < chance
        roll = rng.random()
        area = person.areas[0] if roll < 0.65 or len(person.areas) == 1 else person.areas[1]
        if roll > (0.75 if bad else 0.92):
            area = rng.choice(list(spec["files"]))
        elif follow_area:
            area = follow_area
        if bad and rng.random() < 0.3:
            area = rng.choice(sensitive_areas)
        candidates = [
            f"{area}/{f}" for f in spec["files"][area] if owned.get(f"{area}/{f}", person.username) == person.username
        ]
        if not candidates:
            continue
        sources = [c for c in candidates if not _is_test(c)] or candidates
        tests = [c for c in candidates if _is_test(c)]
        spread = (1, 2, 2, 3, 3) if bad else (1, 1, 1, 2, 2, 3)
        touched = rng.sample(sources, k=min(len(sources), rng.choice(spread)))
        mine = [c for c in sources if owned.get(c) == person.username and c not in touched]
        if mine and rng.random() < 0.35:
            touched[0] = rng.choice(mine)  # people who hold a file alone mostly work on it
        if tests and rng.random() < (0.35 if bad else 0.6):
            touched.append(rng.choice(tests))
        size = _size(rng, bad)
        services = frozenset(services_of(name, touched))
        for defect in open_defects:
            if defect.services & services and deploy_time(at) > deploy_time(defect.at):
                defect.seen += 1
                defect.shipped = deploy_time(at)
        # One open defect per service at a time, so that each revert answers one question.
        bad = bad and not any(d.services & services for d in open_defects)
        if bad:
            guarded.update(touched)
            needed = rng.choice((1, 1, 1, 2, 2, 2, 3, 3, 4, 5))
            patience = timedelta(days=rng.uniform(1.0, 2.5))
            fix_forward = rng.random() < FIX_FORWARD_SHARE
            open_defects.append(_Defect(len(events), at, services, needed, patience, fix_forward))
        careful = frozenset(p for p in touched if p in guarded and not bad)
        events.append(_Event(at, person, area, touched, size, ai, bad=bad, adds_only=careful))
        if rng.random() < FOLLOW_UP_SHARE:
            follow_ups.append((person, area))
    _notice(rng, people, events, open_defects, repairs, end - timedelta(hours=8), start)
    emit_due(end - timedelta(hours=1))
    return events


def _notice(
    rng: random.Random,
    people: list[Person],
    events: list[_Event],
    open_defects: list[_Defect],
    repairs: list[tuple[datetime, int, _Event]],
    now: datetime,
    start: datetime,
) -> None:
    """Defects noticed by now: enough other changes shipped after them, or one did and the patience ran out."""
    for defect in list(open_defects):
        waited = now - defect.at
        if defect.shipped is None or defect.shipped > now:
            if defect.shipped is None and waited > QUIET_SERVICE_DAYS:
                # Nothing else shipped to its services: its author finds it and fixes it forward.
                defect.fix_forward = True
                open_defects.remove(defect)
                heapq.heappush(repairs, _repair(rng, people, events, defect, events[-1].at, start))
            continue
        if defect.seen >= defect.needed or waited > defect.patience:
            open_defects.remove(defect)
            heapq.heappush(repairs, _repair(rng, people, events, defect, max(defect.shipped, events[-1].at), start))


def _repair(
    rng: random.Random, people: list[Person], events: list[_Event], defect: _Defect, after: datetime, start: datetime
) -> tuple[datetime, int, _Event]:
    """The revert or fix of a defect, some hours after the deployment that came before it was noticed."""
    bad = events[defect.index]
    at = after + timedelta(minutes=rng.randint(45, 360), seconds=rng.randint(0, 59))
    week = min(WEEKS - 1, (at - start).days // 7)
    present = [p for p in people if p.is_active_in(week)]
    area_people = [p for p in present if bad.area in p.areas and p.username != bad.author.username]
    if defect.fix_forward:
        fixer = bad.author if bad.author in present and rng.random() < 0.6 else None
        author = fixer or rng.choice(area_people or present)
        paths = [p for p in bad.paths if not _is_test(p)] or list(bad.paths)
        event = _Event(at, author, bad.area, paths, 0, False, kind="fix", target=defect.index)
    else:
        on_call = [p for p in area_people if p.level >= 5] or [p for p in present if p.level >= 6]
        author = bad.author if bad.author.level >= 5 and rng.random() < 0.4 else rng.choice(on_call)
        event = _Event(at, author, bad.area, list(bad.paths), 0, False, kind="revert", target=defect.index)
    return at, defect.index, event


def _reverted(current: list[str], before: list[str], after: list[str]) -> list[str]:
    """What `git revert` leaves: the lines the bad change added taken out, those it deleted put back where its
    edit began; lines others added since stay (they only added lines to these files meanwhile)."""
    extra = Counter(after) - Counter(before)
    kept = []
    for line in current:
        if extra[line] > 0:
            extra[line] -= 1
            continue
        kept.append(line)
    missing = Counter(before) - Counter(after)
    restored = []
    for line in before:
        if missing[line] > 0:
            missing[line] -= 1
            restored.append(line)
    same = (i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b)
    start = next(same, min(len(before), len(after)))
    kept[start:start] = restored
    return kept


def plan_repository(
    name: str, *, seed: int, start: datetime, end: datetime, cutoff: datetime | None = None
) -> RepoPlan:
    """Plan a realistic history from `start` to `end`, of which what happened before `cutoff` (default: `end`) is
    kept: see the module's docstring. Open branches are work of the days before the cutoff."""
    cutoff = cutoff or end
    spec = REPOSITORIES[name]
    rng = random.Random(f"{seed}-{name}")
    people = [p for p in PEOPLE if p.repo == name]
    all_files = [f"{area}/{f}" for area, files in spec["files"].items() for f in files]
    content: dict[str, list[str]] = {
        path: [code_line(rng, path) for _ in range(rng.randint(40, 160))] for path in all_files
    }
    events = _plan_events(name, rng, start, end)
    # Events are in time order and a revert or fix comes after its bad change: cutting the tail keeps every
    # reference valid (a defect whose repair falls after the cutoff is simply not found yet).
    events = [e for e in events if e.at < cutoff]
    plan = RepoPlan(name=name)
    before: dict[int, dict[str, list[str]]] = {}
    after: dict[int, dict[str, list[str]]] = {}
    added: dict[int, dict[str, Counter[str]]] = {}

    for index, event in enumerate(events):
        files: dict[str, str | None] = {}
        if event.kind == "import":
            files = {p: "\n".join(content[p]) + "\n" for p in event.paths}
            area = event.area
            message = f"Import {area} from the monolith\n\nBrings {area} over with its history squashed."
            plan.commits.append(CommitSpec(event.author, event.at, message, files))
            continue
        if event.kind == "revert":
            target = event.target
            for path in before[target]:
                content[path] = _reverted(content[path], before[target][path], after[target][path])
                files[path] = "\n".join(content[path]) + "\n"
            title = plan.commits[target].message.splitlines()[0]
            message = f'Revert "{title}"\n\nThis reverts commit {{sha:{target}}}.'
            plan.commits.append(CommitSpec(event.author, event.at, message, files, revert_of=target))
            continue
        if event.kind == "fix":
            target = event.target
            for path in event.paths:
                lines = list(content[path])
                bad_lines = added[target].get(path, Counter())
                positions = [j for j, line in enumerate(lines) if line in bad_lines]
                if positions:
                    share = rng.uniform(0.3, 0.8)
                    for j in rng.sample(positions, k=max(1, int(len(positions) * share))):
                        lines[j] = code_line(rng, path)
                content[path] = edit_lines(rng, lines, path, rng.randint(2, 8), adds_only=True)
                files[path] = "\n".join(content[path]) + "\n"
            message = fix_message(rng, plan.commits[target], target)
            plan.commits.append(CommitSpec(event.author, event.at, message, files, fix_of=target))
            continue
        if event.bad:
            before[index] = {p: list(content[p]) for p in event.paths}
        for path in event.paths:
            size = max(1, event.size // len(event.paths))
            content[path] = edit_lines(rng, content[path], path, size, adds_only=path in event.adds_only)
            files[path] = "\n".join(content[path]) + "\n"
        if event.bad:
            first = event.paths[0]
            if not any(Counter(content[p]) - Counter(before[index][p]) for p in event.paths):
                # A defect is in code the change wrote: it adds lines, so that blame can find it later.
                content[first] = edit_lines(rng, content[first], first, 3, adds_only=True)
                files[first] = "\n".join(content[first]) + "\n"
            after[index] = {p: list(content[p]) for p in event.paths}
            added[index] = {p: Counter(content[p]) - Counter(before[index][p]) for p in event.paths}
        message = commit_message(rng, event.area, event.ai)
        plan.commits.append(CommitSpec(event.author, event.at, message, files, is_bad=event.bad))

    _open_times(plan, random.Random(f"{seed}-{name}-opened"))
    _plan_branches(plan, name, rng, people, content, cutoff)
    return plan


def _open_times(plan: RepoPlan, rng: random.Random) -> None:
    """How long each change was open before it merged: hours for most, a day or more for a few, minutes for a
    revert (its own random stream, so that the history itself does not move when this does)."""
    for spec in plan.commits:
        if spec.revert_of is not None:
            lead = timedelta(minutes=rng.uniform(8, 40))
        elif spec.fix_of is not None:
            lead = timedelta(minutes=rng.uniform(40, 240))
        elif spec.message.startswith("Import "):
            lead = timedelta(0)
        else:
            lead = timedelta(hours=min(96.0, rng.lognormvariate(1.6, 1.0)))
        spec.opened = spec.at - lead


def _plan_branches(
    plan: RepoPlan, name: str, rng: random.Random, people: list[Person], content: dict[str, list[str]], end: datetime
) -> None:
    """Open branches: work in progress, mostly by juniors and mids, many AI-assisted."""
    spec = REPOSITORIES[name]
    owned: dict[str, str] = spec["owned"]
    present = [p for p in people if p.is_active_in(WEEKS - 1)]
    authors = [p for p in present if p.level <= 5] + [p for p in present if p.level >= 6][:2]
    for n in range(26 if name == "shop" else 12):
        person = authors[n % len(authors)]
        ai = rng.random() < (0.75 if person.level <= 5 else 0.3)
        area = person.areas[n % len(person.areas)]
        prefix = rng.choice(("claude", "copilot")) if ai and rng.random() < 0.3 else "feature"
        branch = f"{prefix}/{person.username}-{n + 1}-{rng.choice(WORDS)}-{rng.choice(WORDS)}"
        snapshot = {p: list(lines) for p, lines in content.items()}
        specs = []
        for k in range(rng.choice((1, 1, 2, 3))):
            candidates = [f"{area}/{f}" for f in spec["files"][area] if f"{area}/{f}" not in owned]
            touched = rng.sample(candidates, k=min(len(candidates), rng.choice((1, 2, 2, 3))))
            size = 2600 if (n == 3 and k == 0) else _size(rng)
            files: dict[str, str | None] = {}
            for path in touched:
                snapshot[path] = edit_lines(rng, snapshot[path], path, max(1, size // len(touched)))
                files[path] = "\n".join(snapshot[path]) + "\n"
            if k == 0 and n == 5:
                # A credential pasted into a settings file: the secrets gate sends it back to the author.
                key = "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
                files[f"{area}/settings_local.py"] = f'AWS_ACCESS_KEY_ID = "{key}"\nAWS_REGION = "eu-west-1"\n'
            if k == 0 and n == 8:
                # A lock file regenerated without its manifest: the lockfiles gate fails.
                files[f"{area}/package-lock.json"] = '{\n  "name": "storefront",\n  "lockfileVersion": 3\n}\n'
            at = end - timedelta(hours=rng.uniform(2, 120)) + timedelta(minutes=10 * k)
            specs.append(CommitSpec(person, min(at, end), commit_message(rng, area, ai), files, branch=branch))
        plan.branches[branch] = specs
