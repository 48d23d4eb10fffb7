"""Drawing the weekly report's PDF with WeasyPrint, fetching only the portal's own static files.

Imported only when a PDF is drawn: WeasyPrint loads the Pango library, which nothing else in the portal needs.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib.staticfiles import finders
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from incidents.report.static import BASE_URL, static_path


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves only the portal's static files."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = static_path(url)
        if path is None:
            raise ValueError(f"refused to fetch {url[:200]!r}: only the portal's static files are served")
        found = finders.find(path)
        if not found:
            raise ValueError(f"no static file {path!r}")
        with open(found, "rb") as handle:
            body = handle.read()
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": content_type})


def draw_pdf(html: str) -> bytes:
    """The PDF of a printable HTML page whose links resolve under BASE_URL."""
    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).write_pdf()
