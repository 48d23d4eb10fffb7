"""Template filters of the incidents app."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from incidents.report.reporting import SIGN_OFF_FLAGS
from incidents.report.reporting import sign_off_flag as _sign_off_flag
from incidents.richtext import render_markdown
from reviews.templatetags import humane

register = template.Library()


@register.filter
def markdown(source: str) -> SafeString:
    """Markdown rendered to HTML that nh3 has sanitised: safe to insert as it is."""
    return mark_safe(render_markdown(source or ""))  # noqa: S308 - sanitised by nh3 in render_markdown


@register.filter
def signed(weight: float) -> str:
    """A weight with its sign: +1.25, -0.40."""
    return f"{weight:+.2f}"


@register.filter
def minutes(value: float | None) -> str:
    """Minutes as people say them ('42 min', '3 h 5 min'), as everywhere in the portal; a dash when not known."""
    if value is None or value == "":
        return "–"
    return humane.minutes(value)


@register.filter
def sign_off_flag(change: dict) -> str:
    """A causing change's flag: 'rubber_stamp', 'unsigned' or '' (incidents.report.reporting.sign_off_flag)."""
    return _sign_off_flag(change or {})


@register.filter
def flag_label(flag: str) -> str:
    """The words for a flag, the same on the page, in the Markdown and in the PDF."""
    return SIGN_OFF_FLAGS.get(flag, "")
