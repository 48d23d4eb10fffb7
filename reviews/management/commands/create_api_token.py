"""Create a scoped API token for a user or a service account (shown once; only its hash is stored)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from reviews.audit import ServiceError
from reviews.models import ApiToken
from reviews.services.accounts import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Create and print an API token for USERNAME (--service creates the account as a service account)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--scopes", default="read,review", help="Comma-separated: read,review,ci,incidents,admin")
        parser.add_argument("--days", type=int, default=0, help="Expires after this many days (0: never)")
        parser.add_argument("--name", default="command-line token")
        parser.add_argument("--service", action="store_true", help="Create USERNAME as a service account if missing")
        parser.add_argument("--rotate", action="store_true", help="Revoke the user's live tokens first")

    def handle(self, *args, username: str, scopes: str, days: int, name: str, service: bool, rotate: bool, **_):
        users = get_user_model().objects
        user = users.filter(username=username).first()
        if user is None and service:
            user = users.create_user(username=username)  # no usable password: it only ever uses tokens
        if user is None:
            raise CommandError(f"no user named {username!r}")
        if rotate:
            for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
                api_token_revoke(token=token, actor=None)
        expires = timezone.now() + timedelta(days=days) if days > 0 else None
        # The command line is an operator's: it may grant admin, as the admin pages would.
        admin = users.filter(is_superuser=True).first() or user
        try:
            _, key = api_token_create(
                user=user,
                actor=admin if "admin" in scopes else user,
                name=name,
                scopes=[s.strip() for s in scopes.split(",") if s.strip()],
                expires_at=expires,
                service_account=service,
            )
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(key)
