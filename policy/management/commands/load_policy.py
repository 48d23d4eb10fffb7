"""Publish the sign-off policy kept in a repository file (default .countersign/policy.json)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from policy.services.policies import POLICY_FILE, policy_load_from_repository
from reviews.audit import ServiceError
from reviews.models import Repository


class Command(BaseCommand):
    help = "Publish the policy file from a repository's default branch as a new policy version."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("repository", help="Repository name in the portal")
        parser.add_argument("--path", default=POLICY_FILE)

    def handle(self, *args, repository: str, path: str, **options) -> None:
        repo = Repository.objects.filter(name=repository).first()
        if repo is None:
            raise CommandError(f"no repository named {repository!r}")
        try:
            version = policy_load_from_repository(repository=repo, actor=None, path=path)
        except ServiceError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"policy version {version.number} published from {version.source}")
