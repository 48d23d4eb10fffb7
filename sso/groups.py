"""The identity provider's groups as the portal's team, level and roles (pure: no ORM, no settings).

The map is "group=kind:value" entries, comma-separated, e.g.
``cs-payments=team:payments, cs-staff-eng=level:6, cs-leads=role:manager, cs-oncall=role:incident_reviewer``.
A group may appear in several entries. Only what the map mentions is synced: with no `team` entry at all, teams
stay as set in the admin, and likewise for levels and for each role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ROLES = ("manager", "incident_reviewer", "staff", "admin")
KINDS = ("team", "level", "role")
_ENTRY = re.compile(r"^(?P<group>[^=]+)=(?P<kind>[a-z_]+):(?P<value>.+)$")


class GroupMapError(ValueError):
    """The group map does not parse."""


@dataclass(frozen=True)
class GroupMap:
    """Parsed entries, in the order written (the first team that matches wins)."""

    teams: tuple[tuple[str, str], ...] = ()
    levels: tuple[tuple[str, int], ...] = ()
    roles: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Profile:
    """What the groups say; None for what the map does not govern (left as it is)."""

    team: str | None = None
    sync_team: bool = False
    level: int | None = None
    roles: dict[str, bool] = field(default_factory=dict)


def parse_group_map(text: str) -> GroupMap:
    """Parse PORTAL_OIDC_GROUP_MAP; refuse anything unclear rather than ignore it."""
    teams: list[tuple[str, str]] = []
    levels: list[tuple[str, int]] = []
    roles: list[tuple[str, str]] = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        match = _ENTRY.match(entry)
        if match is None:
            raise GroupMapError(f"group map entry {entry!r} is not 'group=kind:value'")
        group, kind, value = match["group"].strip(), match["kind"], match["value"].strip()
        if not group or not value:
            raise GroupMapError(f"group map entry {entry!r} has an empty group or value")
        if kind == "team":
            teams.append((group, value))
        elif kind == "level":
            if not value.isdigit() or not 3 <= int(value) <= 8:
                raise GroupMapError(f"group map entry {entry!r}: a level is 3 to 8")
            levels.append((group, int(value)))
        elif kind == "role":
            if value not in ROLES:
                raise GroupMapError(f"group map entry {entry!r}: a role is one of {', '.join(ROLES)}")
            roles.append((group, value))
        else:
            raise GroupMapError(f"group map entry {entry!r}: the kind is one of {', '.join(KINDS)}")
    return GroupMap(teams=tuple(teams), levels=tuple(levels), roles=tuple(roles))


def profile_from_groups(groups: list[str] | tuple[str, ...], group_map: GroupMap, *, default_level: int) -> Profile:
    """The team (first match), the highest level, and each role the map governs, for a person in `groups`."""
    held = set(groups)
    team = next((value for group, value in group_map.teams if group in held), None)
    level = None
    if group_map.levels:
        level = max((value for group, value in group_map.levels if group in held), default=default_level)
    governed = {role for _, role in group_map.roles}
    roles = {role: any(group in held for group, r in group_map.roles if r == role) for role in sorted(governed)}
    return Profile(team=team, sync_team=bool(group_map.teams), level=level, roles=roles)


def groups_claim(value: object) -> list[str]:
    """The groups claim as a list of names (providers send a list, some a single string); anything else is none."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []
