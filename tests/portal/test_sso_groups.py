"""The group map: parsing refuses what is unclear; profiles take the first team, the highest level, governed roles."""

from __future__ import annotations

import pytest

from sso.groups import GroupMapError, groups_claim, parse_group_map, profile_from_groups

MAP = parse_group_map("a=team:alpha, b=team:beta, s=level:6, st=level:7, lead=role:manager, ops=role:incident_reviewer")


def test_first_team_highest_level_and_roles():
    profile = profile_from_groups(["b", "a", "s", "st", "ops"], MAP, default_level=3)
    assert (profile.team, profile.level) == ("alpha", 7)
    assert profile.roles == {"incident_reviewer": True, "manager": False}


def test_no_matching_group_clears_team_and_defaults_level():
    profile = profile_from_groups(["other"], MAP, default_level=4)
    assert (profile.team, profile.sync_team, profile.level) == (None, True, 4)


def test_what_the_map_does_not_mention_is_left_alone():
    profile = profile_from_groups(["x"], parse_group_map("x=role:staff"), default_level=3)
    assert (profile.sync_team, profile.level, profile.roles) == (False, None, {"staff": True})
    assert profile_from_groups([], parse_group_map(""), default_level=3).roles == {}


@pytest.mark.parametrize(
    "text",
    ["nogroup", "a=team:", "=team:x", "a=level:9", "a=level:six", "a=role:king", "a=colour:blue", "a:team=x"],
)
def test_bad_entries_are_refused(text):
    with pytest.raises(GroupMapError):
        parse_group_map(text)


def test_groups_claim_shapes():
    assert groups_claim(["a", 1, "b"]) == ["a", "b"]
    assert groups_claim("a") == ["a"]
    assert groups_claim({"a": 1}) == [] and groups_claim(None) == []
