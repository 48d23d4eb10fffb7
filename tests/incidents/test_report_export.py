"""Exports of the weekly report (incidents.report.export): the PDF's fetcher reads only the portal's static files."""

from __future__ import annotations

import pytest
from weasyprint import HTML

from incidents.report.pdf import StaticOnlyFetcher
from incidents.report.static import BASE_URL, static_path


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (BASE_URL + "static/incidents/report.css", "incidents/report.css"),
        (BASE_URL + "static/portal/portal.css", "portal/portal.css"),
        (BASE_URL + "static/incidents/../incidents/report.css", None),
        (BASE_URL + "static/%2e%2e/portal/settings.py", None),
        (BASE_URL + "static/", None),
        (BASE_URL + "media/x.css", None),
        (BASE_URL + "static//etc/passwd", None),
        ("file:///etc/passwd", None),
        ("file:///work/static/incidents/report.css", None),
        ("http://169.254.169.254/latest/meta-data/", None),
        ("https://cdn.example.com/static/portal/portal.css", None),
        ("data:text/css,body{}", None),
    ],
)
def test_only_static_urls_under_the_base_are_served(url, expected):
    assert static_path(url) == expected


def test_fetcher_serves_a_static_file_with_its_type():
    response = StaticOnlyFetcher().fetch(BASE_URL + "static/incidents/report.css")

    assert response.content_type == "text/css"
    assert b".report-status" in response.read()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://127.0.0.1:6379/", BASE_URL + "static/nothing-here.css"])
def test_fetcher_refuses_everything_else(url):
    with pytest.raises(ValueError):
        StaticOnlyFetcher().fetch(url)


def test_a_pdf_never_reads_a_local_file_or_the_network(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    served: dict[str, bool] = {}

    class Spy(StaticOnlyFetcher):
        def fetch(self, url, headers=None):
            served[url] = False
            response = super().fetch(url, headers)
            served[url] = True
            return response

    html = (
        f'<link rel="stylesheet" href="file://{secret}"><img src="http://127.0.0.1:9/x.png">'
        f'<object data="file://{secret}"></object><p>Hello</p>'
        '<link rel="stylesheet" href="/static/incidents/report.css">'
    )
    pdf = HTML(string=html, base_url=BASE_URL, url_fetcher=Spy()).write_pdf()

    assert pdf.startswith(b"%PDF") and b"TOP-SECRET-CONTENT" not in pdf
    assert served.pop(BASE_URL + "static/incidents/report.css") is True
    assert served == {f"file://{secret}": False, "http://127.0.0.1:9/x.png": False}
