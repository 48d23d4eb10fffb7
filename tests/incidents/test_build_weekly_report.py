"""`manage.py build_weekly_report`: builds a draft in the foreground, re-exports a final one as frozen."""

from __future__ import annotations

import io

import pypdf
import pytest
from django.core.management import CommandError, call_command

from incidents import services
from incidents.models import Incident, WeeklyReport
from tests.incidents.report_data import WEEK, seed_week


@pytest.fixture
def week(db, repository, make_engineer):
    return seed_week(repository, make_engineer)


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("build_weekly_report", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_builds_a_draft_without_a_worker_and_prints_markdown(week):
    out, err = run("--week", WEEK, "--format", "md")

    report = WeeklyReport.objects.get()
    assert (report.status, report.build_state, report.revision) == ("draft", "done", 1)
    assert out.startswith("# Weekly operations report 2026-W47")
    assert "Checkout charges the wrong tax" in out and "Rewrite tax rounding" in out
    assert "built 2026-W47 revision 1 (draft)" in err and "2 incidents, 1 causing changes" in err


def test_writes_a_pdf_to_a_file(week, tmp_path):
    target = tmp_path / "w47.pdf"

    _, err = run("--week", WEEK, "--output", str(target))

    text = " ".join(p.extract_text() for p in pypdf.PdfReader(target).pages)
    assert "Checkout charges the wrong tax" in " ".join(text.split())
    assert f"to {target}" in err


def test_rebuilds_an_open_draft_in_place(week):
    run("--week", WEEK)
    Incident.objects.create(title="Late entry", severity="SEV4", started_at=WeeklyReport.objects.get().starts_at)

    run("--week", WEEK)

    report = WeeklyReport.objects.get()
    assert report.snapshot["incidents"]["count"] == 3


def test_re_exports_a_final_report_as_it_was_frozen(week):
    run("--week", WEEK)
    report = services.weekly_report_finalise(actor=None, report=WeeklyReport.objects.get())
    Incident.objects.filter(pk=week.incident.pk).update(title="Renamed afterwards")

    out, err = run("--week", WEEK, "--format", "html")

    assert "Checkout charges the wrong tax" in out and "Renamed afterwards" not in out
    assert "re-exported 2026-W47 revision 1 (final" in err
    assert WeeklyReport.objects.get().snapshot == report.snapshot


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2026-W99"], "2026 has no week 99"),
        (["--week", "last week"], "is not an ISO week"),
        (["--week", WEEK, "--format", "pdf"], "a PDF needs --output"),
        (["--week", WEEK, "--output", "report.docx"], "cannot tell the format"),
        (["--week", "9999-W52"], "out of range"),
    ],
)
def test_bad_input_is_a_clear_error(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not WeeklyReport.objects.exists()


def test_an_unknown_format_is_refused_by_the_parser(db):
    with pytest.raises(CommandError, match="invalid choice"):
        run("--week", WEEK, "--format", "docx")


def test_bad_week_exits_non_zero_from_the_shell(db):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "build_weekly_report", "--week", "2026-W60"],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "2026 has no week 60" in result.stderr
