"""Markdown of the correction-of-error review (incidents.richtext): rendered, and nothing unsafe gets through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.richtext import MAX_SOURCE, render_markdown


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("**bold** and *em*", "<p><strong>bold</strong> and <em>em</em></p>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("`code`", "<p><code>code</code></p>"),
        (
            "[runbook](https://r.example/x)",
            '<p><a href="https://r.example/x" rel="noopener noreferrer nofollow">runbook</a></p>',
        ),
        ("", ""),
        ("   \n", ""),
    ],
)
def test_markdown_is_rendered(source, html):
    assert render_markdown(source) == html


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src=x onerror="alert(1)">', "onerror"),
        ("[x](javascript:alert(1))", "javascript:"),
        ('<a href="data:text/html,hi">x</a>', "data:"),
        ('<p style="background:url(x)">x</p>', "style"),
        ("<iframe src=https://evil.example></iframe>", "<iframe"),
        ('<svg onload="alert(1)"></svg>', "onload"),
        ("<!-- hidden -->", "<!--"),
    ],
)
def test_anything_unsafe_is_removed(source, forbidden):
    assert forbidden not in render_markdown(source)


@given(st.text(max_size=500))
def test_no_input_renders_a_script_or_an_event_handler(source):
    html = render_markdown(source).lower()

    assert "<script" not in html
    assert " onerror=" not in html and " onload=" not in html


def test_only_the_first_part_of_a_huge_text_is_rendered():
    assert len(render_markdown("a" * (MAX_SOURCE + 5000))) < MAX_SOURCE + 100
