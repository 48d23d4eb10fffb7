"""Register a git repository and import its history and open branches as changes."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from intake.gitrun import GitError
from intake.services.repositories import repository_forget, repository_import, repository_register
from reviews.audit import ServiceError
from reviews.models import Repository


class Command(BaseCommand):
    help = "Register a git repository (path or URL) as a bare mirror and import its default branch and open branches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("location", help="Absolute or relative path, file:// or https:// URL of the repository")
        parser.add_argument("--name", required=True, help="Name of the repository in the portal (e.g. acme/shop)")
        parser.add_argument("--default-branch", default="main")
        parser.add_argument("--provider", default="git", choices=["git", "github", "gitlab"])

    def handle(self, *args, location: str, name: str, default_branch: str, provider: str, **options) -> None:
        known = Repository.objects.filter(name=name.strip()).exists()
        repository = None
        try:
            repository = repository_register(name=name, url=location, provider=provider, default_branch=default_branch)
            result = repository_import(repository=repository)
        except (ServiceError, GitError) as exc:
            # A first import that fails leaves nothing behind: no empty repository for the poller to fail on.
            if repository is not None and not known and repository_forget(repository=repository):
                raise CommandError(f"{exc} ({name.strip()} was not registered)") from None
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{repository.name}: {result.merged_created} merged changes and {result.open_created} open changes added, "
            f"{result.open_updated} open changes updated, {result.closed} closed, "
            f"{result.stale} stale branches left out, {result.off_release_line} branches of release lines left out, "
            f"{result.attributed} earlier changes credited to engineers"
        )
