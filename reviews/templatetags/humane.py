"""Durations and counts as people say them: "4 min", "1 h 12 min", "1 file", "2 files".

`{% load humane %}` then `{{ seconds|duration }}`, `{{ minutes|minutes }}`, `{{ n|count:"file" }}` or, for an
irregular plural, `{{ n|count:"reply,replies" }}`. Every template that shows a duration or a count of things uses
these, so the portal says it one way everywhere.
"""

from __future__ import annotations

from django import template

register = template.Library()


def say_duration(seconds: float | int | None) -> str:
    """A duration rounded to what matters at its size: "40 s", "3 min 20 s" (under 10 min), "4 min", "1 h 12 min",
    "3 d 2 h"; "–" when unknown."""
    if seconds is None:
        return "–"
    try:
        total = max(0, round(float(seconds)))
    except (TypeError, ValueError):
        return "–"
    if total < 60:
        return f"{total} s"
    if total < 600:
        whole, rest = divmod(total, 60)
        return f"{whole} min {rest} s" if rest else f"{whole} min"
    minutes = round(total / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def say_count(number: int | float | None, noun: str) -> str:
    """A count with its noun in the right number: "1 file", "2 files", "1,204 lines"; `noun` may be "one,many"."""
    one, _, many = noun.partition(",")
    many = many or f"{one}s"
    if number is None:
        return f"no {many}"
    try:
        value = float(number)
    except (TypeError, ValueError):
        return f"{number} {many}"
    shown = f"{int(value):,}" if value == int(value) else f"{value:,.1f}"
    return f"{shown} {one if value == 1 else many}"


@register.filter
def duration(seconds: float | int | None) -> str:
    """Seconds as people say them."""
    return say_duration(seconds)


@register.filter
def minutes(value: float | int | None) -> str:
    """Minutes as people say them."""
    try:
        return say_duration(None if value is None else float(value) * 60)
    except (TypeError, ValueError):
        return "–"


@register.filter
def count(number: int | float | None, noun: str) -> str:
    """A count and its noun, singular or plural."""
    return say_count(number, noun)


@register.filter
def risk_score(value: float | None) -> str:
    """A risk score to two decimals; "<0.01" rather than a 0.00 that reads as "no risk"."""
    try:
        score = float(value)
    except (TypeError, ValueError):
        return "–"
    return "<0.01" if 0 <= score < 0.005 else f"{score:.2f}"
