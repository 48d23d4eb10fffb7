"""Template filters that present a file's unified diff as classified lines."""

from __future__ import annotations

from django import template

register = template.Library()

MAX_RENDERED_LINES = 3000


@register.filter
def diff_lines(patch: str) -> list[tuple[str, str]]:
    """(css class, text) for each line of a file's patch, skipping the file headers."""
    rows: list[tuple[str, str]] = []
    for line in patch.splitlines():
        if line.startswith(("--- ", "+++ ", "diff --git", "index ", "similarity index", "rename ")):
            continue
        if line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        elif line.startswith("\\"):
            kind = "meta"
        else:
            kind = "ctx"
        rows.append((kind, line))
        if len(rows) >= MAX_RENDERED_LINES:
            rows.append(("meta", f"… diff truncated after {MAX_RENDERED_LINES} lines"))
            break
    return rows


@register.filter
def signed(value: float) -> str:
    """A contribution with its sign: +0.18 or -0.05."""
    try:
        return f"{float(value):+.2f}"
    except (TypeError, ValueError):
        return ""
