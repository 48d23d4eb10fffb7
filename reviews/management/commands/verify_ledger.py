"""Check every link of the audit ledger and every anchor of its head; exit non-zero when anything is wrong."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reviews.services.ledger import ledger_check, ledger_verify


class Command(BaseCommand):
    help = (
        "Verify the audit ledger: every entry's hash and link, in id order, and every anchor in "
        "PORTAL_LEDGER_ANCHOR_DIR (the anchored entry must exist with that hash; signatures must verify). "
        "Exits 1 and names the first broken entry when the ledger is not intact."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--alert", action="store_true", help="Also raise alerts for admins, as the beat task does")

    def handle(self, *args, alert: bool, **options) -> None:
        started = time.monotonic()
        report = ledger_check() if alert else ledger_verify()
        seconds = time.monotonic() - started
        for note in report.notes:
            self.stderr.write(f"note: {note}")
        summary = f"{report.entries} entries, {report.anchors} anchors checked in {seconds:.1f} s"
        if report.is_intact:
            self.stdout.write(f"ledger intact: {summary}; head #{report.last_id} {report.last_hash}")
            return
        # The first broken link names where a rewrite starts; anchor problems come after it.
        first = next((p for p in report.problems if p.key.startswith(("link:", "entry:"))), report.problems[0])
        for problem in report.problems:
            if problem is not first:
                self.stderr.write(f"also: {problem.message}")
        raise CommandError(f"ledger broken ({summary}, {len(report.problems)} problems): {first.message}")
