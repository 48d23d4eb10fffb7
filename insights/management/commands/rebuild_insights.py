"""Rebuild the dashboards' rollups now (the nightly beat job does the same)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from insights.services import knowledge_rebuild


class Command(BaseCommand):
    help = "Rebuild the knowledge snapshots (files known by one person, bus factor) for the last N weeks and now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--weeks", type=int, default=13, help="Weekly snapshots to take before now (1-104)")

    def handle(self, *args, weeks: int, **options) -> None:
        if not 1 <= weeks <= 104:
            self.stderr.write("--weeks must be between 1 and 104")
            raise SystemExit(2)
        began = time.perf_counter()
        written = knowledge_rebuild(weeks=weeks)
        self.stdout.write(f"{written} knowledge snapshots written in {time.perf_counter() - began:.1f} s")
