"""Register a repository so that webhooks and polling can find it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from intake.services.repositories import repository_register
from reviews.audit import ServiceError


class Command(BaseCommand):
    help = "Register a repository. For GitHub and GitLab, NAME is the host's owner/repo (path_with_namespace)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--url", required=True, help="Clone URL (https:// or file://) or absolute path")
        parser.add_argument("--provider", default="git", choices=["git", "github", "gitlab"])
        parser.add_argument("--default-branch", default="main")

    def handle(self, *args, name: str, url: str, provider: str, default_branch: str, **options) -> None:
        try:
            repository = repository_register(name=name, url=url, provider=provider, default_branch=default_branch)
        except ServiceError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{repository.name} ({repository.get_provider_display()}) registered as #{repository.pk}")
