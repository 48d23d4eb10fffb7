"""Fill the database with a synthetic organisation's year of history, in bulk (for benchmarks)."""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from demo.generate import db
from demo.generate.history import DAY, HistoryWriter, opening_times
from demo.generate.org import build_org
from demo.generate.tail import (
    SHOWCASE,
    write_deployments,
    write_incidents,
    write_ledger,
    write_showcase,
    write_watermark,
)

ID_TABLES = [
    "auth_user", "reviews_team", "reviews_engineer", "reviews_repository", "reviews_service", "reviews_change",
    "reviews_changefile", "reviews_revision", "reviews_review", "reviews_assignment", "reviews_deployment",
    "reviews_deployment_changes", "incidents_incident", "incidents_incident_services",
    "incidents_incidentchangelink", "reviews_auditevent", "reviews_ledgerhead",
]  # fmt: skip


class Command(BaseCommand):
    help = (
        "Generate a realistic organisation (engineers, repositories, a year of changes with reviews, deployments, "
        "incidents and audit events) in the database named by DATABASE_URL. Deterministic for a seed and an end date."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--changes", type=int, required=True)
        parser.add_argument("--engineers", type=int, default=2000)
        parser.add_argument("--seniors", type=int, default=300)
        parser.add_argument("--repositories", type=int, default=50)
        parser.add_argument("--incidents", type=int, default=500)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--until", type=date.fromisoformat, default=None, help="End of the year (default today).")
        parser.add_argument(
            "--replace", action="store_true", help="Delete what the database holds first, even real data."
        )

    def handle(self, *args, **options) -> None:
        changes, engineers, seniors = options["changes"], options["engineers"], options["seniors"]
        if connection.vendor != "postgresql":
            raise CommandError("generate_org writes with PostgreSQL's COPY: point DATABASE_URL at PostgreSQL.")
        if not 10 <= changes <= 10_000_000:
            raise CommandError("--changes must be between 10 and 10,000,000.")
        if not 2 <= seniors < engineers <= 100_000 or not 1 <= options["repositories"] <= 1000:
            raise CommandError("Need 2 <= seniors < engineers <= 100,000 and 1 to 1,000 repositories.")
        if not 0 <= options["incidents"] <= 100_000:
            raise CommandError("--incidents must be between 0 and 100,000.")
        if db.holds_data():
            if not options["replace"]:
                what = "a generated organisation" if db.marker().startswith(db.MARKER) else "data"
                raise CommandError(
                    f"The database {connection.settings_dict['NAME']} already holds {what}; "
                    "pass --replace to delete it and generate anew."
                )
            db.empty_tables()
        until = options["until"] or datetime.now(UTC).date()
        end = datetime(until.year, until.month, until.day, tzinfo=UTC).timestamp()
        start = end - 365 * DAY
        rng = random.Random(options["seed"])
        started = time.perf_counter()
        db.bulk_session()
        db.set_marker("in progress")  # an interrupted run is never taken for a complete organisation
        org = build_org(
            rng,
            engineers=engineers,
            seniors=seniors,
            repositories=options["repositories"],
            joined=datetime.fromtimestamp(start, UTC) - timedelta(days=30),
        )
        self._say(f"organisation: {engineers} engineers ({seniors} seniors), {len(org.services)} services", started)
        history_count = changes - len(SHOWCASE)
        writer = HistoryWriter(
            rng,
            org,
            start=start,
            end=end,
            floor=(settings.PORTAL_REVIEW_FLOOR_SECONDS_PER_10_LINES, settings.PORTAL_REVIEW_FLOOR_MIN_SECONDS),
        )
        writer.write(opening_times(rng, history_count, start, end))
        self._say(f"changes: {history_count} ({writer.history.counts.get('open', 0)} open)", started)
        write_showcase(rng, org, first_id=history_count + 1, end=end)
        write_deployments(writer.history, org)
        links = write_incidents(rng, writer.history, org, count=options["incidents"], start=start, end=end)
        self._say(f"deployments: {len(writer.history.deployments)}, incident links: {links}", started)
        entries = write_ledger(org)
        self._say(f"audit ledger: {entries} entries", started)
        write_watermark()
        db.reset_sequences(ID_TABLES)
        db.rebuild_history_rollups()
        self._say("assignment history rollups", started)
        with connection.cursor() as cursor:  # a bulk load leaves no visibility map: index-only scans need it
            cursor.execute("VACUUM (ANALYZE)")
        db.set_marker(
            f"changes={changes} engineers={engineers} seniors={seniors} repositories={options['repositories']} "
            f"incidents={options['incidents']} seed={options['seed']} until={until.isoformat()}"
        )
        self._say("done (vacuumed and analysed)", started)

    def _say(self, text: str, started: float) -> None:
        self.stdout.write(f"[{time.perf_counter() - started:7.1f} s] {text}")
