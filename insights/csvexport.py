"""CSV downloads of the dashboards' tables: safe file names, and cells neutralised against formula injection."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence

from django.http import StreamingHttpResponse

# A spreadsheet treats a cell starting with one of these as a formula (OWASP: CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r"[^a-z0-9._-]+")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed with a quote; numbers as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_filename(*parts: str) -> str:
    """A download name of lower-case letters, digits, dots, dashes and underscores, ending in .csv."""
    name = "-".join(p for p in (_UNSAFE_NAME.sub("-", part.lower()).strip("-.") for part in parts) if p)
    return f"{(name or 'export')[:150]}.csv"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> StreamingHttpResponse:
    """Stream a table as a CSV attachment."""
    writer = csv.writer(_Echo())

    def lines() -> Iterable[str]:
        yield writer.writerow([neutralise(h) for h in header])
        for row in rows:
            yield writer.writerow([neutralise(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{safe_filename(filename)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
