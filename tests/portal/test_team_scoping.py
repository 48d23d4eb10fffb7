"""Team scoping: another team's people, queues and reviews are not there for the caller (404, not 403); the
caller's own team's answer 403 when the role does not allow it. The rules themselves, role by role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from portal.access.rules import may
from reviews.models import Assignment, Change
from tests.portal.matrix_world import World, build_world


@pytest.fixture
def world(db) -> World:
    return build_world()


def _api(world: World, role: str, method: str, path: str, data: dict | None = None):
    client = world.client(role)
    if method == "GET":
        return client.get(path)
    return client.post(path, data or {}, content_type="application/json")


def test_another_teams_queue_is_not_found_and_ones_own_team_is_forbidden(world):
    path = f"/api/v1/engineers/{world.objects['engineer_id']}/queue/"
    assert _api(world, "other_manager", "GET", path).status_code == 404
    assert _api(world, "code_owner", "GET", path).status_code == 404
    assert _api(world, "author", "GET", path).status_code == 403
    assert _api(world, "manager", "GET", path).status_code == 200
    assert _api(world, "senior", "GET", path).status_code == 200


def test_setting_another_teams_engineer_away_is_not_found(world):
    path = f"/api/v1/engineers/{world.objects['engineer_id']}/away/"
    assert _api(world, "other_manager", "POST", path, {"away": True}).status_code == 404
    assert _api(world, "author", "POST", path, {"away": True}).status_code == 403
    assert _api(world, "manager", "POST", path, {"away": True}).status_code == 200


def test_rerouting_another_teams_review_is_not_found(world):
    url = f"/assignments/{world.objects['assignment_id']}/reroute/"
    assert world.client("other_manager").get(url).status_code == 404
    assert world.client("other_manager").post(url).status_code == 404
    assert world.client("author").get(url).status_code == 403
    assert world.client("manager").get(url).status_code == 200
    assert world.client("admin").get(url).status_code == 200
    assignment = Assignment.objects.get(pk=world.objects["assignment_id"])
    assert assignment.state == Assignment.State.ACTIVE


def test_handing_back_someone_elses_review_from_another_team_is_not_found(world):
    url = f"/assignments/{world.objects['assignment_id']}/hand-back/"
    assert world.client("other_manager").post(url, {"reason": "not mine at all"}).status_code == 404
    assert world.client("manager").post(url, {"reason": "not mine at all"}).status_code == 403


def test_changes_are_read_across_teams(world):
    change_id = world.objects["change_id"]
    assert world.client("other_manager").get(f"/changes/{change_id}/").status_code == 200
    assert _api(world, "svc_read", "GET", f"/api/v1/changes/{change_id}/").status_code == 200


def test_sign_off_rule_by_role(world):
    change = Change.objects.get(pk=world.objects["change_id"])
    users = {role: engineer.user for role, engineer in world.engineers.items()}
    allowed = {role for role, user in users.items() if may(user, "reviews.sign_off_change", change)}
    # Seniors who did not write it, the code owner among them; never its author, a junior, or a superuser as such.
    assert allowed == {"senior", "code_owner", "manager", "other_manager"}
    assert not may(world.users["admin"], "reviews.sign_off_change", change)
    assert not may(AnonymousUser(), "reviews.sign_off_change", change)


def test_the_last_pusher_may_not_sign_off_and_a_closed_change_takes_no_verdict(world):
    change = Change.objects.get(pk=world.objects["change_id"])
    senior = world.engineers["senior"]
    change.last_pusher_email = senior.email.upper()
    assert not may(senior.user, "reviews.sign_off_change", change)
    change.last_pusher_email = ""
    change.state = Change.State.MERGED
    assert not may(senior.user, "reviews.sign_off_change", change)


def test_code_owner_rule_reads_codeowners_logins(world):
    from portal.access.rules import is_code_owner

    change = Change.objects.get(pk=world.objects["change_id"])
    assert is_code_owner(world.engineers["code_owner"].user, change)
    assert not is_code_owner(world.engineers["senior"].user, change)


def test_user_has_perm_answers_from_the_rules_backend(world):
    change = Change.objects.get(pk=world.objects["change_id"])
    assert world.engineers["senior"].user.has_perm("reviews.sign_off_change", change)
    assert not world.engineers["author"].user.has_perm("reviews.sign_off_change", change)
    assert world.engineers["manager"].user.has_perm("assignment.use_whatif")
    assert not world.engineers["author"].user.has_perm("assignment.use_whatif")


def test_someone_elses_notification_is_not_found(world):
    url = f"/inbox/{world.objects['notification_id']}/"
    assert world.client("senior").get(url).status_code == 404
    assert world.client("author").get(url).status_code == 302


@pytest.mark.parametrize("path", ["/api/v1/changes/", "/api/v1/engineers/", "/api/v1/changes/{change_id}/"])
def test_a_token_posting_to_a_read_only_endpoint_gets_405_not_500(world, path):
    path = path.format(**world.objects)
    for role in ("svc_read", "svc_ci", "tok_admin"):
        assert _api(world, role, "POST", path).status_code == 405


def test_a_paging_tools_service_account_with_add_incident_records_incidents(world):
    body = {"title": "Checkout down", "severity": "SEV2", "started_at": "2026-11-20T10:00:00Z"}
    assert _api(world, "svc_incidents", "POST", "/api/v1/incidents/", body).status_code == 201
    # The scope alone is not enough: the read token of the same account may not.
    assert _api(world, "svc_read", "POST", "/api/v1/incidents/", body).status_code == 403
