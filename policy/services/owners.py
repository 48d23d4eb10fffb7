"""Who owns a change's paths: CODEOWNERS entries resolved to engineers, else the teams of its services."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from policy.codeowners_file import resolve_owner
from reviews.models import Engineer, Service


@dataclass(frozen=True)
class OwnerIndex:
    """Every engineer by git host login, e-mail and team: what CODEOWNERS entries and owning teams resolve to."""

    by_login: dict[str, int]
    by_email: dict[str, int]
    members: dict[str, list[int]]  # team slug -> engineer ids
    team_members: dict[int, set[int]]  # team id -> engineer ids


def owner_index() -> OwnerIndex:
    """Read every engineer once, for resolving the owners of many changes. One query."""
    by_login: dict[str, int] = {}
    by_email: dict[str, int] = {}
    members: dict[str, list[int]] = {}
    team_members: dict[int, set[int]] = {}
    for pk, github, gitlab, email, team_slug, team_id in Engineer.objects.values_list(
        "pk", "github_login", "gitlab_username", "email", "team__slug", "team_id"
    ):
        for login in (github, gitlab):
            if login:
                by_login[login.lower()] = pk
        by_email[email.lower()] = pk
        if team_slug:
            members.setdefault(team_slug.lower(), []).append(pk)
        if team_id is not None:
            team_members.setdefault(team_id, set()).add(pk)
    return OwnerIndex(by_login=by_login, by_email=by_email, members=members, team_members=team_members)


def owners_of(
    paths: Iterable[str],
    *,
    path_owners: dict[str, list[str]],
    services: Iterable[Service],
    index: OwnerIndex | None = None,
) -> set[int]:
    """Engineers who own `paths`: their CODEOWNERS entries where the change has them, else the teams of the
    services the paths fall in. With no index, the engineers are read as needed."""
    paths = list(paths)
    if path_owners:
        tokens = {t for p in paths for t in path_owners.get(p, ())}
        if tokens:
            index = index or owner_index()
            owners: set[int] = set()
            for token in tokens:
                owners |= resolve_owner(
                    token,
                    engineers_by_login=index.by_login,
                    engineers_by_email=index.by_email,
                    team_members=index.members,
                )
            return owners
    team_ids = set()
    for service in services:
        if service.team_id and any(p.startswith(tuple(service.path_prefixes or ())) for p in paths):
            team_ids.add(service.team_id)
    if index is None:
        return set(Engineer.objects.filter(team_id__in=team_ids).values_list("pk", flat=True))
    return {pk for team_id in team_ids for pk in index.team_members.get(team_id, ())}
