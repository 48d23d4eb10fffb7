"""A causing change's flag reads the same on the report page (and so the PDF, drawn from the print page) and in
its Markdown: one label function, incidents.report.reporting.sign_off_flag_label."""

from __future__ import annotations

import copy

import pytest
from django.template.loader import render_to_string

from incidents.report import reporting
from incidents.report.markdown import report_markdown
from tests.incidents.test_reporting import SNAPSHOT


def _change(**kw: object) -> dict:
    change = copy.deepcopy(SNAPSHOT["causes"][0]["change"])
    change.update(kw)
    return change


UNSIGNED = {"approvals": [], "required_sign_offs": 1, "rubber_stamp": False, "seconds": 0}
NOT_REQUIRED = {"approvals": [], "required_sign_offs": 0, "rubber_stamp": False, "seconds": 0}
SIGNED = {
    "approvals": [{"reviewer": {"display_name": "Grace"}, "seconds_spent": 900, "rubber_stamp": False}],
    "rubber_stamp": False,
}


@pytest.mark.parametrize(
    ("fields", "label"),
    [({}, "Rubber stamp"), (UNSIGNED, "Unsigned"), (NOT_REQUIRED, ""), (SIGNED, "")],
    ids=["rubber stamp", "unsigned", "not required", "signed"],
)
def test_the_flag_label(fields: dict, label: str) -> None:
    assert reporting.sign_off_flag_label(_change(**fields)) == label


def _snapshot(**fields: object) -> dict:
    snapshot = copy.deepcopy(SNAPSHOT)
    snapshot["causes"][0]["change"] = _change(change_id=7, **fields)
    snapshot["causes"][0]["change_id"] = 7
    snapshot["causes"][0]["severity"] = "SEV2"
    snapshot.pop("insights")
    return snapshot


def _page_flag(snapshot: dict) -> str:
    html = render_to_string(
        "incidents/_report_body.html", {"snapshot": snapshot, "incident_rows": [], "action_tables": []}
    )
    causes = html.split('id="report-causes"', 1)[1].split("</section>", 1)[0]
    return causes.split("<td>")[-1].split("</td>", 1)[0]


def _markdown_flag(snapshot: dict) -> str:
    text = report_markdown(snapshot, {}, {})
    row = next(line for line in text.splitlines() if "Retry payment calls" in line)
    return row.rstrip(" |").rsplit("|", 1)[1].strip()


@pytest.mark.parametrize(("fields", "shown"), [(UNSIGNED, "Unsigned"), ({}, "Rubber stamp"), (SIGNED, "–")])
def test_the_page_and_the_markdown_say_the_same(fields: dict, shown: str) -> None:
    snapshot = _snapshot(**fields)
    assert shown in _page_flag(snapshot)
    assert _markdown_flag(snapshot) == shown  # an empty cell is a dash in Markdown, as on the page
