"""A small generated history for the what-if tests: two seniors in two teams, a junior and a mid, four changes."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from policy.document import DEFAULT_POLICY_DATA
from policy.risk import estimate_review_minutes
from reviews.models import Change, Engineer, Repository, Service, Team

_sha = itertools.count(1)

# Every change needs one senior sign-off; and the same with two.
EVERY_CHANGE = copy.deepcopy(DEFAULT_POLICY_DATA)
EVERY_CHANGE["rules"].append({"name": "every-change", "when": {}, "require": {"sign_offs": 1}})
TWO_FOR_EVERY_CHANGE = copy.deepcopy(DEFAULT_POLICY_DATA)
TWO_FOR_EVERY_CHANGE["rules"].append({"name": "two-for-all", "when": {}, "require": {"sign_offs": 2}})


@dataclass
class History:
    repository: Repository
    seniors: list[Engineer]
    authors: dict[str, Engineer]
    minutes: dict[str, int]  # change title -> estimated review minutes


def merged(
    repository: Repository, author: Engineer, title: str, at: datetime, files: dict[str, int], **extra
) -> Change:
    """A merged change with its files (path -> lines added), as intake leaves it."""
    n = next(_sha)
    change = Change.objects.create(
        repository=repository,
        external_id=f"{n:040x}",
        head_sha=f"{n:040x}",
        title=title,
        author=author,
        author_email=author.email,
        author_name=author.display_name,
        state=Change.State.MERGED,
        opened_at=at,
        merged_at=at + timedelta(hours=1),
        lines_added=sum(files.values()),
        files_count=len(files),
        diff_state=Change.DiffState.DONE,
        **extra,
    )
    for path, lines in files.items():
        change.files.create(path=path, status="modified", lines_added=lines)
    return change


def build(make_engineer, *, end: datetime, extra_seniors: int = 0, extra_changes: int = 0) -> History:
    """Seniors Sam (L6, team A, 4 h a week) and Tess (L7, team B, 8 h a week); junior June and mid Max.

    In the last two weeks: June's sensitive change to pay/charge.py (10 days ago; team B owns pay/), Max's plain
    change (9 days ago), June's AI-assisted change (3 days ago), Sam's own change (2 days ago). Under the default
    policy the first and third need a senior; the sensitive one needs an owner, so Tess.
    """
    team_a = Team.objects.create(name="Alpha", slug="alpha")
    team_b = Team.objects.create(name="Beta", slug="beta")
    sam = make_engineer(6, username="sam", team=team_a, weekly_capacity_minutes=240)
    tess = make_engineer(7, username="tess", team=team_b, weekly_capacity_minutes=480)
    june = make_engineer(4, username="june", team=team_a)
    max_ = make_engineer(5, username="max", team=team_b)
    seniors = [sam, tess]
    for i in range(extra_seniors):
        team = Team.objects.create(name=f"Extra {i}", slug=f"extra-{i}")
        seniors.append(make_engineer(6, username=f"extra{i}", team=team, weekly_capacity_minutes=120))
    repository = Repository.objects.create(name="acme/pay", clone_url="/nonexistent", sensitive_paths=["pay/**"])
    Service.objects.create(name="payments", repository=repository, path_prefixes=["pay/"], team=team_b)
    merged(repository, tess, "Charge module", end - timedelta(days=40), {"pay/charge.py": 200})
    merged(repository, june, "Retry charges", end - timedelta(days=10), {"pay/charge.py": 400})
    merged(repository, max_, "Tidy the app", end - timedelta(days=9), {"app/views.py": 100})
    merged(repository, june, "Cache pages", end - timedelta(days=3), {"app/cache.py": 200}, ai_declared=True)
    merged(repository, sam, "Speed up search", end - timedelta(days=2), {"app/search.py": 300})
    for i in range(extra_changes):
        merged(repository, max_, f"Extra {i}", end - timedelta(days=5, hours=i), {f"app/extra{i}.py": 50})
    minutes = {
        title: estimate_review_minutes(lines, 1, 0.0)
        for title, lines in [
            ("Retry charges", 400),
            ("Tidy the app", 100),
            ("Cache pages", 200),
            ("Speed up search", 300),
        ]
    }
    return History(repository, seniors, {"june": june, "max": max_}, minutes)
