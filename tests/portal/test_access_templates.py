"""Templates ask the same rules as the views: each role sees the links and buttons it may use, and no others."""

from __future__ import annotations

import pytest

from tests.portal.matrix_world import World, build_world


@pytest.fixture
def world(db) -> World:
    return build_world()


def _nav(world: World, role: str) -> str:
    return world.client(role).get("/policy/").content.decode()


def test_the_navigation_shows_each_role_its_own_pages(world):
    author, manager = _nav(world, "author"), _nav(world, "manager")
    reviewer, admin = _nav(world, "incident_reviewer"), _nav(world, "admin")

    assert 'href="/dashboards/"' not in author and 'href="/whatif/"' not in author and "/deliveries/" not in author
    assert 'href="/dashboards/"' in manager and 'href="/whatif/"' in manager and "/deliveries/" not in manager
    assert 'href="/dashboards/quality/"' in reviewer and 'href="/whatif/"' not in reviewer
    assert 'href="/dashboards/"' in admin and "/deliveries/" in admin and "/admin/" in admin


def test_only_admins_see_the_policy_editor_and_managers_the_what_if_links(world):
    assert "Edit the policy (new draft)" in _nav(world, "admin")
    assert "Edit the policy (new draft)" not in _nav(world, "manager")
    assert 'href="/whatif/"' in _nav(world, "manager")
    assert 'href="/whatif/"' not in _nav(world, "author")


def test_the_team_queue_link_and_claim_buttons_follow_the_rules(world):
    assert 'href="/team/"' in world.client("senior").get("/").content.decode()
    assert 'href="/team/"' not in world.client("author").get("/").content.decode()
    team = world.client("manager").get("/team/").content.decode()
    assert "Claim" in team  # a senior manager may claim the core team's waiting change
