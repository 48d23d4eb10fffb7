"""Rebuild the dashboards' rollups now (the beat jobs keep them up to date otherwise)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from insights.services import facts_refresh, knowledge_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the change and verdict facts from scratch and the knowledge snapshots (files known by one "
        "person, bus factor) for the last N weeks and now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--weeks", type=int, default=13, help="Weekly knowledge snapshots before now (1-104)")
        parser.add_argument("--only", choices=["facts", "knowledge"], help="Rebuild only one of the two")

    def handle(self, *args, weeks: int, only: str | None, **options) -> None:
        if not 1 <= weeks <= 104:
            raise CommandError("--weeks must be between 1 and 104")
        if only != "knowledge":
            began = time.perf_counter()
            counts = facts_refresh(full=True)
            self.stdout.write(
                f"facts of {counts['changes']} changes and {counts['reviews']} verdicts written "
                f"in {time.perf_counter() - began:.1f} s"
            )
        if only != "facts":
            began = time.perf_counter()
            written = knowledge_rebuild(weeks=weeks)
            self.stdout.write(f"{written} knowledge snapshots written in {time.perf_counter() - began:.1f} s")
