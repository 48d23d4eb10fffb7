"""The HTML of diff rows, written in Python: the same markup reviews/_diff_rows.html wrote per line, at a
fraction of the cost (a 5,000-line change is 10,000 cells; the template engine spent most of the page's time
resolving their variables). Code cells were escaped by reviews.diffview; every other value is escaped here."""

from __future__ import annotations

from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def _code(cell: dict[str, Any], slot: str, css: str) -> str:
    flag = cell.get("flag") or ""
    head = f'<td class="{css}{" flagged" if flag else ""}"' + (f' title="{escape(flag)}">' if flag else ">")
    url = cell.get("comment_url") or ""
    button = ""
    if url:
        old = " (old)" if cell.get("side") == "old" else ""
        button = (
            f'<button type="button" class="add-comment" hx-get="{escape(url)}" hx-target="#{escape(slot)}"'
            f' aria-label="Comment on line {escape(_number(cell.get("line")))}{old}">+</button>'
        )
    return f'{head}{button}<span class="mk">{escape(cell["mark"])}</span>{cell["html"]}</td>'


def _split_cell(cell: dict[str, Any] | None, slot: str) -> str:
    if not cell:
        return '<td class="ln empty"></td><td class="code empty"></td>'
    kind = escape(cell["kind"])
    return f'<td class="ln {kind}" data-n="{_number(cell.get("no"))}"></td>' + _code(cell, slot, f"code {kind}")


def row_html(item: dict[str, Any], mode: str) -> SafeString:
    """A line's row (unified: 3 columns, split: 4) and the comment slot after it, if it has one."""
    kind, slot = item["kind"], item.get("slot") or ""
    cols = 4 if mode == "split" else 3
    if kind in ("hunk", "meta"):
        if mode == "split":
            html = f'<tr class="{kind}"><td colspan="4" class="code">{item["html"]}</td></tr>\n'
        else:
            html = f'<tr class="{kind}"><td class="ln" colspan="2"></td><td class="code">{item["html"]}</td></tr>\n'
        return mark_safe(html)  # noqa: S308 - diffview escaped the hunk or meta line
    if mode == "split":
        html = f'<tr class="pair">{_split_cell(item.get("left"), slot)}{_split_cell(item.get("right"), slot)}</tr>\n'
    else:
        html = (
            f'<tr class="{escape(kind)}"><td class="ln" data-n="{_number(item.get("old_no"))}"></td>'
            f'<td class="ln" data-n="{_number(item.get("new_no"))}"></td>{_code(item["cell"], slot, "code")}</tr>\n'
        )
    if slot:
        html += f'<tr class="comment-slot"><td colspan="{cols}" id="{escape(slot)}"></td></tr>\n'
    return mark_safe(html)  # noqa: S308 - every value above is escaped or was escaped by diffview


def with_row_html(items: list[dict[str, Any]], mode: str) -> list[dict[str, Any]]:
    """Give each line item its rendered row (`row_html`); gaps keep their template."""
    for item in items:
        if item["kind"] != "gap":
            item["row_html"] = row_html(item, mode)
    return items
