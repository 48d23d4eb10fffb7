"""Markdown of incident reviews, rendered to HTML and sanitised (pure).

Markdown lets raw HTML through, so the rendered HTML goes through nh3 (the ammonia sanitiser) with a short
list of tags and attributes: no scripts, no styles, no event handlers, links only to http(s) and mailto.
"""

from __future__ import annotations

import markdown
import nh3

MAX_SOURCE = 20000
TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
        "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "del",
    }
)  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def render_markdown(source: str) -> str:
    """Safe HTML for a Markdown text; at most MAX_SOURCE characters are rendered."""
    if not source or not source.strip():
        return ""
    html = markdown.markdown(source[:MAX_SOURCE], extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
