"""Filters that format the dashboards' plain values: rates with their intervals, hours, ISO timestamps."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from insights import thin
from insights.headline import headline_of

register = template.Library()


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    """A fraction as a percentage ('12.5%'); '–' for none."""
    if value is None:
        return "–"
    return f"{100 * float(value):.{int(digits)}f}%"


@register.filter
def interval(r: dict | None) -> str:
    """The 95% interval of a rate dict ('4.1–22.3%'), or '' when there is not enough data."""
    if not r or not r.get("enough"):
        return ""
    return f"{100 * r['low']:.1f}–{100 * r['high']:.1f}%"


@register.filter
def hours(value: float | None) -> str:
    """Hours as '3.5 h', or days past 48 hours ('4.2 d'); '–' for none."""
    if value is None:
        return "–"
    value = float(value)
    return f"{value / 24:.1f} d" if value >= 48 else f"{value:.1f} h"


@register.filter
def minutes_as_hours(value: float | None) -> str:
    """Minutes as hours with one decimal ('12.5 h')."""
    if value is None:
        return "–"
    return f"{float(value) / 60:,.1f} h"


@register.filter
def isotime(value: str | None) -> datetime | None:
    """An ISO timestamp from a snapshot as a local datetime, for the date filter."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


@register.simple_tag
def pipeline_headline(p: dict | None) -> dict:
    """The pipeline section's headline (stored with it, or read off its figures for older report snapshots)."""
    return headline_of(p or {})


@register.simple_tag
def cfr_split(cfr: dict | None) -> dict:
    """Failure-rate rows with a rate, and the too-thin ones in words (insights.thin)."""
    return thin.cfr_split(cfr or {})


@register.simple_tag
def trend_split(weeks: list | None) -> dict:
    """Weeks with a failure rate, and how many had too few deployed changes (insights.thin)."""
    return thin.trend_split(weeks or [])
