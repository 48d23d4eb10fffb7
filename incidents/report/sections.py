"""The dashboard sections the weekly report embeds, provided by the insights app at start-up.

Insights builds on incidents (it reads incident links and report weeks), so incidents does not import it back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

SectionsProvider = Callable[..., dict[str, Any]]

_provider: SectionsProvider | None = None


def register_sections_provider(provider: SectionsProvider) -> None:
    """Called once at start-up by the app that draws the dashboards."""
    global _provider
    _provider = provider


def report_sections(*, start: datetime, end: datetime, seed: str) -> dict[str, Any]:
    """The dashboards' sections for the report's week; none when no app provides them."""
    return _provider(start=start, end=end, seed=seed) if _provider else {}
