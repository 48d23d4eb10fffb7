"""Create the demo organisation (deterministic, idempotent)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.seed import DEMO_LOGINS, seed_demo
from insights.services import facts_refresh, knowledge_rebuild


class Command(BaseCommand):
    help = "Create the demo organisation: teams, engineers, two generated git repositories, reviews and incidents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Seed even with DEBUG off (demo users share one published password: never in a real deployment).",
        )

    def handle(self, *args, allow_without_debug: bool, **options) -> None:
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError("seed_demo creates users with a shared published password; run it with DEBUG=true.")
        stats = seed_demo()
        # The dashboards read rollups that workers keep; fill them now so the demo's dashboards open populated.
        facts = facts_refresh(full=True)
        snapshots = knowledge_rebuild(weeks=26)
        self.stdout.write(
            f"Demo organisation ready: {stats['changes']} changes ({stats['open']} open); "
            f"added {stats['reviews']} sign-offs, {stats['deployments']} deployments, {stats['incidents']} incidents."
        )
        self.stdout.write(
            f"Dashboards: facts of {facts['changes']} changes and {facts['reviews']} verdicts, "
            f"{snapshots} weekly knowledge snapshots."
        )
        self.stdout.write(f"Demo logins (password: {settings.PORTAL_DEMO_PASSWORD}):")
        for role, username in DEMO_LOGINS.items():
            self.stdout.write(f"  {role:<18} {username}")
