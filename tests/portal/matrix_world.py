"""A small organisation with one of everything, for the permission matrix: two teams, a person of each role, API
tokens of each scope, and the objects every URL pattern names (a change, its assignment, thread, finding; an
incident with a why-chain and an action item; a delivery, a report, a what-if run, a notification)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from incidents.models import ActionItem, Incident, WeeklyReport, WhyChain
from notifications.tokens import unsubscribe_token
from policy.services.policies import policy_current
from reviews.models import (
    AiFinding,
    ApiToken,
    ChangeFile,
    Delivery,
    Engineer,
    Notification,
    PolicyDraft,
    Repository,
    ReviewComment,
    Team,
    WhatIfRun,
)
from reviews.services.accounts import api_token_create
from tests.reviews.api_fixtures import assign, make_change

PASSWORD = "pw-for-tests-only"
TOKEN_ROLES = ("svc_read", "svc_review", "svc_ci", "svc_incidents", "tok_admin")
PERSON_ROLES = ("author", "senior", "code_owner", "manager", "other_manager", "incident_reviewer", "admin")
ROLES = ("anon", *PERSON_ROLES, *TOKEN_ROLES)


@dataclass
class World:
    """Everything the matrix requests are made against."""

    engineers: dict[str, Engineer] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)

    def client(self, role: str) -> Client:
        """A client acting as `role`: logged in for people, an Authorization header for tokens."""
        if role in TOKEN_ROLES:
            return Client(HTTP_AUTHORIZATION=f"Token {self.keys[role]}")
        client = Client()
        if role != "anon":
            client.force_login(self.users[role])
        return client


def _person(role: str, team: Team | None, level: int, **extra: Any) -> Engineer:
    user = get_user_model().objects.create_user(username=role.replace("_", "-"), password=PASSWORD)
    return Engineer.objects.create(
        user=user, display_name=role.title(), email=f"{role}@example.com", level=level, team=team, **extra
    )


def build_world() -> World:
    """Two teams, one person per role, service tokens per scope, and one object per URL argument."""
    world = World()
    core = Team.objects.create(name="Core", slug="core")
    payments = Team.objects.create(name="Payments", slug="payments")
    people = {
        "author": _person("author", core, 4, github_login="author-gh"),
        "senior": _person("senior", core, 6, github_login="senior-gh"),
        # Code owners need not sit in the change's team: CODEOWNERS names them for the path.
        "code_owner": _person("code_owner", payments, 6, github_login="owner-gh"),
        "manager": _person("manager", core, 7, is_manager=True),
        "other_manager": _person("other_manager", payments, 7, is_manager=True),
        "incident_reviewer": _person("incident_reviewer", payments, 5, is_incident_reviewer=True),
    }
    world.engineers = people
    world.users = {role: engineer.user for role, engineer in people.items()}
    admin = get_user_model().objects.create_superuser(username="admin", password=PASSWORD)
    world.users["admin"] = admin

    service = get_user_model().objects.create_user(username="ci-bot")
    service.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_gateresult", "add_deployment"], content_type__app_label="reviews"
        ),
        *Permission.objects.filter(codename="add_incident", content_type__app_label="incidents"),
    )
    for role in ("svc_read", "svc_review", "svc_ci", "svc_incidents"):
        _, world.keys[role] = api_token_create(
            user=service, actor=service, name=role, scopes=[role.removeprefix("svc_")], service_account=True
        )
    _, world.keys["tok_admin"] = api_token_create(user=admin, actor=admin, name="admin", scopes=["admin"])

    repo = Repository.objects.create(name="acme/shop", clone_url="https://example.com/acme/shop.git")
    change = make_change(repo, people["author"], path_owners={"app/core.py": ["@owner-gh"]})
    ChangeFile.objects.create(change=change, path="app/core.py", status="modified", fingerprint="fp")
    assignment = assign(change, people["senior"])
    thread = ReviewComment.objects.create(
        change=change, head_sha=change.head_sha, path="app/core.py", line=1, author=people["senior"], body="Why?"
    )
    finding = AiFinding.objects.create(
        change=change, account="bot", verdict="commented", body="x", received_at=timezone.now()
    )
    now = timezone.now()
    incident = Incident.objects.create(title="Checkout down", severity="SEV2", started_at=now)
    chain = WhyChain.objects.create(incident=incident, problem="Checkout failed", whys=["a"])
    item = ActionItem.objects.create(incident=incident, title="Add a test", owner=people["author"])
    delivery = Delivery.objects.create(provider="github", delivery_id="d-1", event="ping", payload={})
    report = WeeklyReport.objects.create(
        week="2026-W45", starts_at=now, ends_at=now, time_zone="UTC", build_state="done", built_at=now
    )
    version = policy_current()
    run = WhatIfRun.objects.create(params={}, params_key="x", policy_version=version)
    notification = Notification.objects.create(
        recipient=people["author"], kind="assigned", key="k", title="t", url="/", created_at=now
    )
    token = (
        ApiToken.objects.filter(user=people["author"].user).first()
        or api_token_create(user=people["author"].user, actor=people["author"].user, name="mine", scopes=["read"])[0]
    )
    draft = PolicyDraft.objects.create(data=version.data, based_on=version, created_by=admin)
    world.objects = {
        "draft_id": draft.pk,
        "section": "quality",
        "change_id": change.pk,
        "assignment_id": assignment.pk,
        "comment_id": thread.pk,
        "finding_id": finding.pk,
        "incident_id": incident.pk,
        "chain_id": chain.pk,
        "item_id": item.pk,
        "delivery_id": delivery.pk,
        "report_id": report.pk,
        "number": version.number,
        "run_id": run.pk,
        "notification_id": notification.pk,
        "token_id": token.pk,
        "repository_id": repo.pk,
        # A person of the core team: other teams' managers are told it does not exist.
        "engineer_id": people["senior"].pk,
        "token": unsubscribe_token(people["author"].pk, "all"),
        "fmt": "md",
    }
    return world


# Query strings some views need to reach their permission check (a file path, a section).
QUERIES = {
    "reviews:file-detail": {"path": "app/core.py"},
    "reviews:file-context": {"path": "app/core.py", "start": "1", "end": "2"},
    "reviews:comment-new": {"path": "app/core.py", "line": "1"},
}
