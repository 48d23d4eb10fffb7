"""Accounts from single sign-on: created on first login, their team, level and roles kept in sync at each login."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from reviews.audit import audit_record
from reviews.models import Engineer, Team
from sso.groups import Profile, groups_claim, parse_group_map, profile_from_groups

logger = logging.getLogger(__name__)
User = get_user_model()


class AccountRefused(Exception):
    """This identity may not have an account here (no e-mail, or its e-mail belongs to another identity)."""


def _team(name: str) -> Team:
    slug = slugify(name)[:100] or "team"
    team = Team.objects.filter(Q(slug=slug) | Q(name__iexact=name)).first()
    return team or Team.objects.create(name=name[:100], slug=slug)


def _username(claims: dict[str, Any], email: str) -> str:
    wanted = str(claims.get(settings.PORTAL_OIDC_USERNAME_CLAIM) or email.split("@")[0])[:140] or "user"
    candidate, n = wanted, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{wanted}-{n}"
    return candidate


def _find(subject: str, email: str, email_verified: Any) -> Engineer | None:
    engineer = Engineer.objects.select_related("user").filter(sso_subject=subject).first()
    if engineer is not None:
        return engineer
    if email_verified is False:
        # An address the provider has not verified never takes over an existing account.
        return None
    engineer = Engineer.objects.select_related("user").filter(email__iexact=email).first()
    if engineer is not None and engineer.sso_subject and engineer.sso_subject != subject:
        raise AccountRefused(f"{email} already belongs to another single sign-on identity")
    return engineer


def _apply(engineer: Engineer, profile: Profile) -> list[str]:
    changed: list[str] = []
    if profile.sync_team:
        team = _team(profile.team) if profile.team else None
        if engineer.team_id != (team.pk if team else None):
            engineer.team = team
            changed.append("team")
    if profile.level is not None and engineer.level != profile.level:
        engineer.level = profile.level
        changed.append("level")
    for role, field in (("manager", "is_manager"), ("incident_reviewer", "is_incident_reviewer")):
        if role in profile.roles and getattr(engineer, field) != profile.roles[role]:
            setattr(engineer, field, profile.roles[role])
            changed.append(field)
    return changed


def _apply_user(user: Any, profile: Profile, email: str, name: str) -> list[str]:
    changed: list[str] = []
    staff = profile.roles.get("staff")
    admin = profile.roles.get("admin")
    wanted = {
        "email": email,
        "is_staff": (bool(staff) or bool(admin)) if (staff is not None or admin is not None) else user.is_staff,
        "is_superuser": admin if admin is not None else user.is_superuser,
    }
    if name:
        first, _, last = name.partition(" ")
        wanted.update(first_name=first[:150], last_name=last[:150])
    for field, value in wanted.items():
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    return changed


@transaction.atomic
def account_sync(*, claims: dict[str, Any]) -> Any:
    """The user for these verified claims: found by subject (or verified e-mail), else created; groups applied."""
    subject = str(claims["sub"])
    email = str(claims.get("email") or "").strip().lower()
    if not email or "@" not in email:
        raise AccountRefused("the provider sent no e-mail address")
    group_map = parse_group_map(settings.PORTAL_OIDC_GROUP_MAP)
    groups = groups_claim(claims.get(settings.PORTAL_OIDC_GROUPS_CLAIM))
    profile = profile_from_groups(groups, group_map, default_level=settings.PORTAL_OIDC_DEFAULT_LEVEL)
    name = str(claims.get("name") or "").strip()[:200]
    engineer = _find(subject, email, claims.get("email_verified"))
    user = engineer.user if engineer else None
    if engineer is None and claims.get("email_verified") is not False:
        user = User.objects.filter(email__iexact=email).first()
    if user is not None and not user.is_active:
        # A disabled account stays as it is: no sync, no login.
        raise AccountRefused(f"the account {user.get_username()} is disabled")
    created = engineer is None
    if engineer is None:
        if Engineer.objects.filter(email__iexact=email).exists():
            raise AccountRefused(f"{email} belongs to an account this identity cannot claim (unverified e-mail)")
        if user is None and not settings.OIDC_CREATE_USER:
            raise AccountRefused(f"no account for {email} and accounts are not created at login")
        if user is None:
            user = User.objects.create_user(_username(claims, email), email=email)
            user.set_unusable_password()
            user.save(update_fields=["password"])
        if Engineer.objects.filter(user=user).exists():
            engineer = Engineer.objects.select_related("user").get(user=user)
        else:
            engineer = Engineer.objects.create(
                user=user,
                display_name=name or email,
                email=email,
                level=profile.level or settings.PORTAL_OIDC_DEFAULT_LEVEL,
            )
    user = engineer.user
    changed = _apply(engineer, profile)
    if engineer.sso_subject != subject:
        engineer.sso_subject = subject
        changed.append("sso_subject")
    if engineer.email != email and not Engineer.objects.filter(email__iexact=email).exclude(pk=engineer.pk).exists():
        engineer.email = email
        changed.append("email")
    if name and engineer.display_name != name:
        engineer.display_name = name
        changed.append("display_name")
    if changed:
        engineer.save(update_fields=changed)
    user_changed = _apply_user(user, profile, email, name)
    if user_changed:
        user.save(update_fields=user_changed)
    if created:
        audit_record(actor=user, action="sso.account_created", target=engineer, payload={"groups": groups})
    elif set(changed) - {"sso_subject", "display_name", "email"} or set(user_changed) & {"is_staff", "is_superuser"}:
        payload = {"fields": sorted(set(changed + user_changed)), "groups": groups}
        audit_record(actor=user, action="sso.account_synced", target=engineer, payload=payload)
    return user
