"""Build the weekly operations report of an ISO week in the foreground, or re-export its final revision."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.models import WeeklyReport
from incidents.report.export import FORMATS, PdfUnavailable, export
from incidents.report.weeks import parse_iso_week
from incidents.selectors.report import current_report
from incidents.services import weekly_report_build, weekly_report_draft
from reviews.audit import ServiceError


class Command(BaseCommand):
    help = (
        "Build a draft of the weekly report of an ISO week (or rebuild its open draft) without a worker; a week "
        "whose report is final is re-exported as it was frozen, never recomputed. Writes the report as html, md "
        "or pdf to --output, or html and md to standard output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--week", required=True, help="ISO week, like 2026-W47")
        parser.add_argument("--format", choices=FORMATS, help="Export format (html, md or pdf)")
        parser.add_argument("--output", help="File to write the export to (standard output if omitted)")

    def handle(self, *args, week: str, format: str | None, output: str | None, **options) -> None:
        try:
            year, number = parse_iso_week(week)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        label = f"{year:04d}-W{number:02d}"
        if format == "pdf" and not output:
            raise CommandError("a PDF needs --output FILE")
        if output and not format:
            format = Path(output).suffix.lstrip(".").lower()
            if format not in FORMATS:
                raise CommandError(f"cannot tell the format of {output!r}: give --format html, md or pdf")
        report = current_report(label)
        if report is None or report.status == WeeklyReport.Status.DRAFT:
            try:
                report = weekly_report_draft(actor=None, week=label, queue_build=False)
            except (ServiceError, OverflowError) as exc:
                raise CommandError(str(exc)) from None
            report = weekly_report_build(report_id=report.pk)
            if report.build_state != WeeklyReport.BuildState.DONE:
                raise CommandError(f"the build failed: {report.error}")
            summary = f"built {label} revision {report.revision} (draft) in {report.build_seconds:.2f} s"
        else:
            frozen = f"{report.finalised_at:%Y-%m-%d %H:%M}"
            summary = f"re-exported {label} revision {report.revision} ({report.status}, frozen {frozen})"
        snapshot = report.snapshot
        summary += f": {snapshot['incidents']['count']} incidents, {len(snapshot['causes'])} causing changes"
        if format:
            try:
                body, _ = export(report, format)
            except PdfUnavailable as exc:
                raise CommandError(str(exc)) from exc
            if output:
                Path(output).write_bytes(body)
                summary += f"; wrote {len(body):,} bytes to {output}"
            else:
                self.stdout.write(body.decode(), ending="")
        self.stderr.write(summary)
