"""What the portal's views share about htmx requests."""

from __future__ import annotations

from django.http import HttpRequest


def is_fragment(request: HttpRequest) -> bool:
    """An htmx request for a partial; boosted navigations get the full page (STYLE: one view, two renderings)."""
    return bool(request.htmx) and not request.htmx.boosted
