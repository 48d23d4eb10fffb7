"""Who may do what, in one place: named predicates for the roles and the permissions built from them.

Views, services and the API ask `may(user, "<name>", obj)`, templates `{% load rules %}` and
`{% test_rule "<name>" user obj as x %}`; `user.has_perm("<name>", obj)` answers the same through
`rules.permissions.ObjectPermissionBackend`. The roles:

- author: any engineer, for their own changes (attest, declare AI use, comment);
- senior: an engineer at PORTAL_SENIOR_LEVEL or above, who signs off others' changes and sees their team's queue;
- code owner: an engineer CODEOWNERS names for a path a change touches; their sign-off counts as the owner's
  (`policy.signoff_rules`), so they sign off like any senior and the policy does the counting;
- team manager: an engineer with `is_manager`, for their own team's people, queues and per-person figures;
- incident reviewer: `is_incident_reviewer` (or a superuser): records incidents, decides their causes, and
  drafts the weekly report;
- admin: a staff user: settings, the policy, deliveries, host connections, every team;
- service accounts: API tokens whose scopes (read, review, ci, incidents, admin) limit what the holder's user may
  do through the API (`reviews.api.permissions`); the rules below still apply to that user. A service account
  reports check results and deployments with Django's "Can add gate result" / "Can add deployment", and records
  incidents with "Can add incident", granted in the admin.

Team scoping: changes, reviews, incidents, reports and the policy are read across the organisation; a person's
queue, their availability, re-routing their reviews and per-person figures are for their own team. Outside their
team a caller is told the object does not exist (404, see `portal.access.http.refuse`), not that it is forbidden.

Predicates read the engineer through `user.engineer` and import no domain module, so any layer may use them.
"""

from __future__ import annotations

from typing import Any

import rules
from django.conf import settings


def engineer_of(user: Any) -> Any | None:
    """The engineer profile of a user, or None (anonymous users and accounts without a profile)."""
    if not getattr(user, "is_authenticated", False):
        return None
    cache = user._state.fields_cache  # where Django keeps `user.engineer` once read (reviews.people fills it too)
    if "engineer" not in cache:
        engineer_model = user.__class__.engineer.related.related_model
        engineer = engineer_model.objects.select_related("team").filter(user_id=user.pk).first()
        if engineer is not None:
            engineer._state.fields_cache["user"] = getattr(user, "_wrapped", user)
        cache["engineer"] = engineer
    return cache["engineer"]


def team_of(obj: Any) -> int | None:
    """The team an object belongs to for scoping: an engineer's, an assignment's reviewer's, or a team id."""
    if obj is None:
        return None
    if isinstance(obj, int):
        return obj
    if hasattr(obj, "reviewer"):
        obj = obj.reviewer
    return getattr(obj, "team_id", None)


# Roles ----------------------------------------------------------------------------------------------------------


@rules.predicate
def is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_staff)


@rules.predicate
def is_superuser(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_superuser)


@rules.predicate
def is_engineer(user: Any) -> bool:
    return engineer_of(user) is not None


@rules.predicate
def is_senior(user: Any) -> bool:
    me = engineer_of(user)
    return me is not None and me.level >= settings.PORTAL_SENIOR_LEVEL


@rules.predicate
def is_manager(user: Any) -> bool:
    me = engineer_of(user)
    return me is not None and me.is_manager


@rules.predicate
def is_incident_reviewer(user: Any) -> bool:
    me = engineer_of(user)
    return me is not None and me.is_incident_reviewer


@rules.predicate
def is_incident_service(user: Any) -> bool:
    """A tool's account (the paging tool) an admin granted "Can add incident": it records incidents by API token."""
    return (
        bool(getattr(user, "is_authenticated", False))
        and engineer_of(user) is None
        and (user.has_perm("incidents.add_incident"))
    )


@rules.predicate
def has_team(user: Any) -> bool:
    me = engineer_of(user)
    return me is not None and me.team_id is not None


# Relations to an object -----------------------------------------------------------------------------------------


@rules.predicate
def is_self(user: Any, engineer: Any) -> bool:
    me = engineer_of(user)
    return me is not None and engineer is not None and me.pk == engineer.pk


@rules.predicate
def in_same_team(user: Any, obj: Any) -> bool:
    """The caller's team is the object's (an engineer, an assignment's reviewer, a team id)."""
    me = engineer_of(user)
    return me is not None and me.team_id is not None and me.team_id == team_of(obj)


@rules.predicate
def is_assigned_reviewer(user: Any, assignment: Any) -> bool:
    me = engineer_of(user)
    return me is not None and assignment is not None and assignment.reviewer_id == me.pk


@rules.predicate
def is_change_author(user: Any, change: Any) -> bool:
    me = engineer_of(user)
    return me is not None and change is not None and change.author_id == me.pk


@rules.predicate
def is_last_pusher(user: Any, change: Any) -> bool:
    """Whoever pushed last wrote part of what is under review, whatever the recorded author says."""
    me = engineer_of(user)
    pusher = (getattr(change, "last_pusher_email", "") or "").strip().casefold()
    return me is not None and bool(pusher) and me.email.strip().casefold() == pusher


@rules.predicate
def is_code_owner(user: Any, change: Any) -> bool:
    """CODEOWNERS names the caller (by host login or e-mail) for a path the change touches."""
    me = engineer_of(user)
    if me is None or change is None:
        return False
    names = {n.casefold() for n in (me.github_login, me.gitlab_username, me.email) if n}
    owners = {str(o).lstrip("@").casefold() for paths in (change.path_owners or {}).values() for o in paths}
    return bool(names & owners)


@rules.predicate
def change_is_open(user: Any, change: Any) -> bool:
    return change is not None and change.state == "open"


@rules.predicate
def change_author_known(user: Any, change: Any) -> bool:
    return change is not None and not change.is_author_unknown


@rules.predicate
def owns_action_item(user: Any, item: Any) -> bool:
    me = engineer_of(user)
    return me is not None and item is not None and item.owner_id == me.pk


@rules.predicate
def is_thread_author(user: Any, thread: Any) -> bool:
    me = engineer_of(user)
    return me is not None and thread is not None and thread.author_id == me.pk


@rules.predicate
def is_thread_change_author(user: Any, thread: Any) -> bool:
    return thread is not None and is_change_author(user, thread.change)


@rules.predicate
def thread_by_senior(user: Any, thread: Any) -> bool:
    """A thread a senior opened is a senior's objection, which only a senior may close (or reopen)."""
    return thread is not None and thread.author.level >= settings.PORTAL_SENIOR_LEVEL


@rules.predicate
def is_recipient(user: Any, notification: Any) -> bool:
    me = engineer_of(user)
    return me is not None and notification is not None and notification.recipient_id == me.pk


@rules.predicate
def is_quality_section(user: Any, section: Any) -> bool:
    return section == "quality"


# Permissions ----------------------------------------------------------------------------------------------------

may_record_incidents = is_superuser | is_incident_reviewer | is_incident_service
may_edit_reports = is_admin | may_record_incidents
may_see_dashboards = is_admin | is_manager

PERMISSIONS = {
    # Changes and reviews: read by every engineer; written by their author, their seniors, or an admin.
    # What a person's work is: seniors review, every engineer authors, staff and superusers administer.
    "portal.administer": is_admin | is_superuser,
    "reviews.review_changes": is_senior,
    "reviews.author_changes": is_engineer,
    "reviews.sign_off_change": is_senior & change_author_known & change_is_open & ~is_change_author & ~is_last_pusher,
    "reviews.override_gate": is_senior & ~is_change_author,
    "reviews.resolve_ai_finding": is_senior | is_change_author,
    "reviews.claim_change": is_senior & ~is_change_author,
    "reviews.comment_change": is_engineer,
    "reviews.resolve_thread": (thread_by_senior & is_senior)
    | (~thread_by_senior & (is_senior | is_thread_author | is_thread_change_author)),
    "reviews.set_change_author": is_admin,
    "reviews.issue_admin_token": is_admin,
    "reviews.view_team_queue": has_team & (is_senior | is_manager),
    # A person's queue, availability and reviews: themselves, their team, or an admin.
    "reviews.view_queue_of": is_admin | is_self | (in_same_team & (is_senior | is_manager)),
    "reviews.set_away_of": is_admin | is_self | (in_same_team & is_manager),
    "reviews.hand_back_assignment": is_assigned_reviewer,
    "reviews.reroute_assignment": is_admin | (in_same_team & is_manager),
    # A person's own notifications; someone else's do not exist for them.
    "notifications.open_notification": is_recipient,
    # Settings: admins.
    "reviews.view_ledger_alert": is_admin | is_superuser,
    "notifications.view_failed_messages": is_admin,
    "reviews.edit_policy": is_admin,
    "intake.view_deliveries": is_admin,
    "incidents.redeliver": is_admin,
    "hostsync.view_connections": is_admin,
    "hostsync.resync_repository": is_admin,
    # Managers' tools.
    "assignment.use_whatif": may_see_dashboards,
    "insights.view_dashboards": may_see_dashboards,
    "insights.view_section": may_see_dashboards | (is_incident_reviewer & is_quality_section),
    "insights.view_person_figures": is_admin | (is_manager & in_same_team),
    # Incidents and the weekly report.
    "incidents.record_incident": may_record_incidents,
    "incidents.update_action_item": may_record_incidents | owns_action_item,
    "incidents.edit_reports": may_edit_reports,
    "incidents.read_reports": may_edit_reports | is_manager,
}

for _name, _predicate in PERMISSIONS.items():
    rules.add_perm(_name, _predicate)
    # The same predicate as a rule, for `{% test_rule %}` in templates (see `may`).
    rules.add_rule(_name, _predicate)


def may(user: Any, permission: str, obj: Any = None) -> bool:
    """Whether the rule `permission` lets `user` act (on `obj`): what views, services and the API ask.

    `user.has_perm` gives the same answer through `rules.permissions.ObjectPermissionBackend`, except that Django
    lets an active superuser do anything and asks the model backend too (two queries per request); the rules of
    the review itself (no sign-off of one's own change) hold for superusers as well, so the portal asks the rule.
    """
    return rules.has_perm(permission, user, obj)
