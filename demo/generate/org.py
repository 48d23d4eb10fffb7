"""The organisation's people and code: teams, engineers (seniors among them), repositories and services."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from demo.generate.db import copy_rows

UNUSABLE_PASSWORD = "!generated"  # noqa: S105 - Django's unusable-password form: nobody logs in with a password
PEOPLE_PER_TEAM = 20
SERVICES_PER_REPOSITORY = 4
FILES_PER_SERVICE = 120
# Sensitive paths (auth, payments) are a small part of the code, as in most organisations.
DIRECTORIES = ("api", "core", "jobs", "web", "lib", "models", "api", "core", "jobs", "web", "lib", "auth", "payments")
BENCH_SENIOR = "senior-0001"  # the senior whose queue the benchmark opens (25 open items)
ORG_ADMIN = "org-admin"  # staff: sees every dashboard of the whole organisation


@dataclass
class Org:
    """Ids and attributes the history refers to, kept in memory while it is written."""

    teams: list[int] = field(default_factory=list)
    level: dict[int, int] = field(default_factory=dict)  # engineer id -> level
    team_of: dict[int, int] = field(default_factory=dict)  # engineer id -> team id
    user_of: dict[int, tuple[int, str]] = field(default_factory=dict)  # engineer id -> (user id, username)
    seniors_of_team: dict[int, list[int]] = field(default_factory=dict)
    members_of_team: dict[int, list[int]] = field(default_factory=dict)
    seniors: list[int] = field(default_factory=list)
    authors: list[int] = field(default_factory=list)  # engineers weighted by how much they write
    repositories: list[int] = field(default_factory=list)
    services: list[tuple[int, int, int, str]] = field(default_factory=list)  # (id, repository, team, prefix)
    service_weights: list[float] = field(default_factory=list)
    services_of_team: dict[int, list[int]] = field(default_factory=dict)  # team -> service indexes
    files: dict[int, list[str]] = field(default_factory=dict)  # service index -> paths
    bench_senior: int = 0


def build_org(rng: random.Random, *, engineers: int, seniors: int, repositories: int, joined: datetime) -> Org:
    """Write teams, users, engineers, repositories and services; return what the history needs of them."""
    org = Org()
    team_count = max(2, engineers // PEOPLE_PER_TEAM)
    org.teams = list(range(1, team_count + 1))
    copy_rows("reviews_team", ["id", "name", "slug"], ((t, f"Team {t:03d}", f"team-{t:03d}") for t in org.teams))
    senior_ids = set(range(1, seniors + 1))  # the first ids are the seniors, spread round the teams
    users, people = [], []
    for pk in range(1, engineers + 1):
        team = org.teams[(pk - 1) % team_count]
        is_senior = pk in senior_ids
        level = rng.choice((6, 6, 6, 7, 7, 8)) if is_senior else rng.choice((3, 4, 4, 5, 5))
        username = f"senior-{pk:04d}" if is_senior else f"eng-{pk:04d}"
        # One manager per team (its first non-senior), a few incident reviewers.
        is_manager = not is_senior and pk - seniors <= team_count
        users.append((pk, UNUSABLE_PASSWORD, False, username, "", "", f"{username}@example.org", False, True, joined))
        people.append(
            (
                pk, pk, f"{'Senior' if is_senior else 'Engineer'} {pk:04d}", f"{username}@example.org", level, team,
                240 if is_senior else 0, False, 8, is_manager, pk % 97 == 0, username, "",
            )
        )  # fmt: skip
        org.level[pk] = level
        org.team_of[pk] = team
        org.user_of[pk] = (pk, username)
        org.members_of_team.setdefault(team, []).append(pk)
        if is_senior:
            org.seniors.append(pk)
            org.seniors_of_team.setdefault(team, []).append(pk)
        # A few prolific authors and a long tail, as in any organisation.
        org.authors.extend([pk] * rng.choice((1, 1, 2, 2, 3, 5)))
    admin = engineers + 1
    users.append((admin, UNUSABLE_PASSWORD, True, ORG_ADMIN, "", "", "org-admin@example.org", True, True, joined))
    copy_rows(
        "auth_user",
        ["id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff", "is_active",
         "date_joined"],
        users,
    )  # fmt: skip
    copy_rows(
        "reviews_engineer",
        ["id", "user_id", "display_name", "email", "level", "team_id", "weekly_capacity_minutes", "is_away",
         "max_open_assignments", "is_manager", "is_incident_reviewer", "github_login", "gitlab_username"],
        people,
    )  # fmt: skip
    for team in org.teams:  # a team without a senior of its own borrows its neighbour's
        org.seniors_of_team.setdefault(team, org.seniors_of_team[org.teams[(team - 1) % min(team_count, seniors)]])
    org.bench_senior = 1
    org.repositories = list(range(1, repositories + 1))
    copy_rows(
        "reviews_repository",
        ["id", "name", "provider", "clone_url", "default_branch", "sensitive_paths", "created_at", "api_token",
         "last_error", "poll_enabled", "track_branches", "webhook_secret"],
        (
            (r, f"org/repo-{r:02d}", "github", f"https://git.example.invalid/org/repo-{r:02d}.git", "main",
             '["**/auth/**", "**/payments/**"]', joined, "", "", False, False, "")
            for r in org.repositories
        ),
    )  # fmt: skip
    services = []
    for r in org.repositories:
        for s in range(SERVICES_PER_REPOSITORY):
            pk = len(services) + 1
            team = org.teams[rng.randrange(team_count)]
            prefix = f"svc{s}/"
            services.append((pk, f"repo-{r:02d}-svc{s}", f'["{prefix}"]', r, team))
            index = len(org.services)
            org.services.append((pk, r, team, prefix))
            org.services_of_team.setdefault(team, []).append(index)
            # A service's weight: a few very busy services, many quiet ones (Zipf-like).
            org.service_weights.append(1.0 / (1 + (pk * 7919) % 37))
            org.files[index] = [
                f"{prefix}{rng.choice(DIRECTORIES)}/module_{n:03d}.py" for n in range(FILES_PER_SERVICE)
            ]
    copy_rows("reviews_service", ["id", "name", "path_prefixes", "repository_id", "team_id"], services)
    return org
