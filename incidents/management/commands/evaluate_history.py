"""Evaluate the suspect ranking, the assignment strategies and AI detection on an imported repository's history."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.history import report as history_report
from incidents.history.source import read_history, since_text
from intake.gitrun import GitError
from intake.mirrors import repository_mirror
from reviews.models import Change, Repository


def _day(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.combine(date.fromisoformat(text), clock.min, tzinfo=UTC)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = (
        "On an imported repository: take reverts as incidents of known cause and score the suspect ranking "
        "against 'latest change to an affected folder within 30 days' and 'latest deployment' (top-1, top-5, "
        "MRR with 95 % intervals; culprits out of reach reported with the reason); with --szz, fixes that are "
        "not reverts and name their culprit, ranked from the fix's traced lines only; replay assignment from "
        "--assignment-from with the N most active human authors as seniors; measure AI detection against a "
        "labels file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("repo", help="Name of the repository in the portal, e.g. pypa/pip")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON")
        parser.add_argument("--since", metavar="DATE", help="Only incidents from this day on (bounds the run)")
        parser.add_argument("--lead-minutes", type=int, default=30, help="Incident start before the revert (30)")
        parser.add_argument("--window-days", type=int, default=90, help="How far back suspects go (90)")
        parser.add_argument("--szz", action="store_true", help="Also the fix-known mode (git blame per fix)")
        parser.add_argument("--max-fixes", type=int, default=200, help="At most this many fixes traced (200)")
        parser.add_argument("--assignment-from", metavar="DATE", help="Replay assignment from this day on")
        parser.add_argument("--seniors", type=int, default=10, help="Most active human authors as seniors (10)")
        parser.add_argument("--max-minutes", type=int, default=60, help="Cap of review minutes per change (60)")
        parser.add_argument("--ai-labels", metavar="FILE", help="Lines 'sha yes|no': hand labels of AI assistance")
        parser.add_argument("--ai-candidates", metavar="FILE", help="Write the changes a wide net finds, to label")

    def handle(self, *args, **options) -> None:
        repository = Repository.objects.filter(name=options["repo"]).first()
        if repository is None:
            raise CommandError(f"no repository named {options['repo']!r}")
        for name in ("lead_minutes", "window_days", "max_fixes", "seniors", "max_minutes"):
            if options[name] < 1 or options[name] > 100_000:
                raise CommandError(f"--{name.replace('_', '-')} must be between 1 and 100000")
        since = _day(options["since"])
        assignment_from = _day(options["assignment_from"])
        window = timedelta(days=options["window_days"])
        began = time.monotonic()
        mirror = repository_mirror(repository)
        try:
            if not mirror.exists():
                mirror.fetch(repository.clone_url)
            # Files are read from a year before the earliest moment measured; without --since, the whole history.
            earliest = min(d for d in (since, assignment_from) if d) if since else None
            history = read_history(
                mirror,
                repository.default_branch,
                files_since=since_text(earliest - window - timedelta(days=365) if earliest else None),
            )
        except GitError as exc:
            raise CommandError(f"cannot read the mirror of {repository.name}: {exc}") from None
        result: dict[str, object] = {
            "repository": repository.name,
            "changes_in_portal": Change.objects.filter(repository=repository).count(),
            "main_line_changes": len(history.changes),
            "bounded_since": options["since"],
        }
        result["detection"] = history_report.detection(
            history, since=since, lead=timedelta(minutes=options["lead_minutes"]), window=window
        )
        if options["szz"]:
            result["fix_known"] = history_report.fix_known(
                history, mirror, since=since, window=window, max_fixes=options["max_fixes"], stderr=self.stderr
            )
        if assignment_from:
            result["assignment"] = history_report.assignment(
                history, since=assignment_from, seniors=options["seniors"], max_minutes=options["max_minutes"]
            )
        if options["ai_candidates"]:
            count = history_report.write_ai_candidates(history, Path(options["ai_candidates"]), since=since)
            result["ai_candidates_written"] = count
        if options["ai_labels"]:
            try:
                text = Path(options["ai_labels"]).read_text(encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"cannot read {options['ai_labels']}: {exc.strerror}") from None
            result["ai_detection"] = history_report.ai_scores(history, text, since=since)
        result["wall_seconds"] = round(time.monotonic() - began, 1)
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, default=str))
        else:
            self.stdout.write(history_report.as_text(result))
