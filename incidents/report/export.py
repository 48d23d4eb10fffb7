"""Exports of the weekly report from its snapshot: printable HTML, Markdown, PDF (WeasyPrint), plain text.

The PDF draws the same server-side SVG charts as the page. WeasyPrint fetches resources through
`incidents.report.pdf.StaticOnlyFetcher`, which reads the portal's own static files and refuses everything else:
no network, no file:// URLs, no data: URLs.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.dateparse import parse_datetime

from incidents.models import WeeklyReport
from incidents.report.markdown import NARRATIVE, report_markdown
from incidents.report.reporting import times_chart_height

FORMATS = ("html", "md", "pdf")
# WeasyPrint logs each rendering step at INFO; the portal's logs keep its warnings only. pygal names the
# legend anchors of every chart alike, which WeasyPrint reports once per chart: noise, not a problem.
logging.getLogger("weasyprint").addFilter(lambda record: not record.getMessage().startswith("Anchor defined twice"))
PDF_CACHE_SECONDS = 7 * 24 * 3600


class PdfUnavailable(RuntimeError):
    """The server cannot draw PDFs (WeasyPrint's system libraries are missing)."""


log = logging.getLogger(__name__)


def _when(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def report_context(report: WeeklyReport) -> dict[str, Any]:
    """What the report body shows: the snapshot with its dates parsed, and the narrative sections."""
    snapshot = report.snapshot or {}
    incidents = snapshot.get("incidents", {})
    actions = snapshot.get("actions", {})
    rows = [
        {**row, **{k: _when(row.get(k)) for k in ("started_at", "detected_at", "mitigated_at", "resolved_at")}}
        for row in incidents.get("rows", [])
    ]
    return {
        "report": report,
        "snapshot": snapshot,
        "incident_rows": rows,
        "times_chart_height": times_chart_height(len(rows)),
        "action_tables": [
            ("Overdue at the end of the week", actions.get("overdue", [])),
            ("Opened this week", actions.get("opened", [])),
            ("Closed this week", actions.get("closed", [])),
        ],
        "narrative": [(key, title, getattr(report, key)) for key, title in NARRATIVE],
        "start": _when(snapshot.get("start")) or report.starts_at,
        "end": _when(snapshot.get("end")) or report.ends_at,
    }


def report_html(report: WeeklyReport, *, for_email: bool = False) -> str:
    """The printable HTML page of a report; for e-mail, its stylesheet is inlined."""
    context = report_context(report)
    context["table_open"] = True  # paper has no disclosure widget: chart tables are printed open
    if for_email:
        found = finders.find("incidents/report.css")
        context["inline_css"] = Path(found).read_text(encoding="utf-8") if found else ""
    return render_to_string("incidents/report_print.html", context)


def report_pdf(report: WeeklyReport) -> bytes:
    """The report as a PDF, with the same SVG charts as the page; kept in the cache by the HTML it is drawn from."""
    html = report_html(report)
    # Drawing takes seconds and the same HTML always gives the same PDF: a final report is drawn once
    # (when it is e-mailed, or on the first download), a draft again only after it changed.
    key = "report-pdf:" + hashlib.sha256(html.encode()).hexdigest()
    try:
        cached = cache.get(key)
    except Exception:  # noqa: BLE001 - no cache: draw it
        log.warning("report PDF cache unavailable", exc_info=True)
        cached = None
    if isinstance(cached, bytes):
        return cached
    try:
        from incidents.report.pdf import draw_pdf
    except (ImportError, OSError) as exc:  # WeasyPrint loads Pango when imported
        raise PdfUnavailable(
            "PDF export needs the Pango library on the server (Debian: libpango-1.0-0 libpangoft2-1.0-0)."
        ) from exc
    pdf = draw_pdf(html)
    try:
        cache.set(key, pdf, timeout=PDF_CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - the PDF is drawn and returned either way
        log.warning("could not keep the report PDF in the cache", exc_info=True)
    return pdf


def report_md(report: WeeklyReport) -> str:
    """The report as a Markdown document."""
    meta = {
        "status": report.get_status_display(),
        "revision": str(report.revision),
        "period": f"{report.starts_at:%d %b %Y} to {report.ends_at:%d %b %Y} (exclusive), {report.time_zone}",
    }
    return report_markdown(report.snapshot or {}, {key: getattr(report, key) for key, _ in NARRATIVE}, meta)


report_text = report_md


def report_filename(report: WeeklyReport, extension: str) -> str:
    """A download name like weekly-report-2026-W47-r2.pdf."""
    return f"weekly-report-{report.week}-r{report.revision}.{extension}"


def export(report: WeeklyReport, fmt: str) -> tuple[bytes, str]:
    """The report in html, md or pdf, with its content type."""
    if fmt == "html":
        return report_html(report).encode(), "text/html; charset=utf-8"
    if fmt == "md":
        return report_md(report).encode(), "text/markdown; charset=utf-8"
    if fmt == "pdf":
        return report_pdf(report), "application/pdf"
    raise ValueError(f"unknown format {fmt!r}: use html, md or pdf")
