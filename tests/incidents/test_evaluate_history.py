"""evaluate_history on a git history built in the test, shaped like the public ones it was run on."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command

from intake.services.repositories import repository_register

COBALT_OLD = "cobalt <61329810+cobaltt7@users.noreply.github.com>"
COBALT_NEW = "cobalt <61329810+RedGuy12@users.noreply.github.com>"
JELLE = "Jelle <jelle@example.com>"
DEPENDABOT = "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>"


def _evaluate(name: str, *args: str) -> dict:
    out = StringIO()
    call_command("evaluate_history", name, "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_a_renamed_github_login_is_one_senior_in_the_assignment_replay(db, work_repo):
    # As psf/black: the same account (id 61329810) committed as cobaltt7, then as RedGuy12 after a rename.
    work_repo.commit({"src/black/a.py": "a = 0\n"}, "Initial", author=JELLE, date="2023-06-01T10:00:00+00:00")
    for day, author in [(2, COBALT_OLD), (3, COBALT_OLD), (4, COBALT_NEW), (5, JELLE), (6, DEPENDABOT)]:
        work_repo.commit(
            {"src/black/a.py": f"a = {day}\n", f"tests/t{day}.py": "ok = 1\n"},
            f"Change {day} (#{100 + day})",
            author=author,
            date=f"2024-02-0{day}T10:00:00+00:00",
        )
    repository_register(name="psf/black", url=str(work_repo.path))

    result = _evaluate("psf/black", "--assignment-from", "2024-01-01", "--seniors", "5")

    seniors = result["assignment"]["seniors"]
    assert seniors == ["61329810@users.noreply.github.com", "jelle@example.com"]
    assert result["assignment"]["senior_names"] == ["cobalt", "Jelle"]
    assert result["assignment"]["bots_excluded"] == 1
    assert result["assignment"]["strategies"]["balanced"]["changes"] == 4


def test_a_history_without_reverts_reports_no_figures_rather_than_zeros(db, work_repo):
    # As pallets/flask since 2020: no revert, so no case; the text report must not read "MRR 0.0".
    work_repo.commit({"src/flask/app.py": "app = 1\n"}, "Initial", date="2024-01-01T10:00:00+00:00")
    work_repo.commit({"src/flask/app.py": "app = 2\n"}, "Tune app (#5001)", date="2024-01-02T10:00:00+00:00")
    repository_register(name="pallets/flask", url=str(work_repo.path))

    result = _evaluate("pallets/flask", "--since", "2020-01-01")
    out = StringIO()
    call_command("evaluate_history", "pallets/flask", "--since", "2020-01-01", stdout=out)

    ranking = result["detection"]["methods"]["ranking"]
    assert (result["detection"]["cases"], ranking["top1"]["rate"], ranking["mrr"]["value"]) == (0, None, None)
    assert "MRR None" in out.getvalue() and "MRR 0.0" not in out.getvalue()
