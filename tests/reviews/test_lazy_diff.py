"""The change page of a large change (reviews.views.diff): the first files within a line budget, large files in
parts loaded as they scroll into view, generated and lock files behind "Load diff", the file endpoint's checks and
query counts, and the risk card's account of what the page flags."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from intake.services.diffs import change_pull_diff
from intake.services.repositories import repository_import, repository_register
from reviews import filelist
from reviews.changepage.parts import PART_LINES
from reviews.models import Change, GateResult
from reviews.views.diff import INLINE_LINES

HX = {"HX-Request": "true"}
BIG_LINES = 450  # three parts of PART_LINES (200): 200, 200, 50


def go_lines(count: int) -> str:
    return "".join(f'\tlog.Printf("step %d", {n}) // step {n}\n' for n in range(count))


@pytest.fixture
def big(db, work_repo, make_engineer, client) -> Change:
    """An open branch: a small Python file, a 450-line Go file, a lock file and a migration on a sensitive path."""
    work_repo.commit({"README.md": "# Shop\n"}, "Initial import")
    work_repo.branch("feature/big")
    work_repo.commit(
        {
            "a/small.py": "def small():\n    return 1\n",
            "b/big.go": "package b\n\nfunc big() {\n" + go_lines(BIG_LINES - 4) + "}\n",
            "c/package-lock.json": "".join(f'  "dep{n}": "1.0.{n}",\n' for n in range(120)),
            "migrations/0001_init.sql": "CREATE TABLE cart (id integer);\n",
            "d/schema_gen.py": "SCHEMA = 1\n",
            ".gitattributes": "*_gen.py linguist-generated\n",
        },
        "Big work",
    )
    work_repo.checkout("main")
    repository = repository_register(name="acme/big", url=str(work_repo.path))
    repository.sensitive_paths = ["migrations/**"]
    repository.save(update_fields=["sensitive_paths"])
    repository_import(repository=repository)
    change = Change.objects.get(state=Change.State.OPEN)
    change_pull_diff(change_id=change.pk)
    client.force_login(make_engineer(7).user)
    return Change.objects.get(pk=change.pk)


def file_section(html: str, path: str) -> str:
    anchor = filelist.file_anchor(path)
    start = html.index(f'id="{anchor}"')
    end = html.find('<section class="diff-file', start)
    return html[start : end if end > 0 else len(html)]


def part_url(change: Change, path: str, part: int | str | None = None) -> str:
    url = f"/changes/{change.pk}/files/?path={path}&view=unified"
    return url if part is None else f"{url}&part={part}"


def line_numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="ln" data-n="(\d+)"></td><td class="code', html)]


def test_the_page_renders_small_files_and_leaves_a_large_file_to_load_when_revealed(client, big):
    html = client.get(f"/changes/{big.pk}/").content.decode()

    assert "<table" in file_section(html, "a/small.py")
    large = file_section(html, "b/big.go")
    assert "<table" not in large
    assert 'hx-trigger="revealed"' in large
    assert f"{BIG_LINES} changed lines" in large
    assert INLINE_LINES < BIG_LINES


def test_a_lock_file_waits_behind_load_diff_and_never_loads_on_scroll(client, big):
    html = client.get(f"/changes/{big.pk}/").content.decode()

    lock = file_section(html, "c/package-lock.json")
    assert ">Load diff</button>" in lock
    assert 'hx-trigger="click"' in lock
    assert "revealed" not in lock
    assert "<table" not in lock


def test_a_file_gitattributes_marks_generated_waits_behind_load_diff_too(client, big):
    html = client.get(f"/changes/{big.pk}/").content.decode()

    assert ">Load diff</button>" in file_section(html, "d/schema_gen.py")
    assert "<table" in file_section(html, "a/small.py")


def test_a_large_file_comes_in_parts_each_asking_for_the_next_when_it_scrolls_into_view(client, big):
    first = client.get(part_url(big, "b/big.go"), headers=HX).content.decode()
    second = client.get(part_url(big, "b/big.go", 1), headers=HX).content.decode()
    last = client.get(part_url(big, "b/big.go", 2), headers=HX).content.decode()

    assert first.lstrip().startswith("<section")
    assert len(line_numbers(first)) == PART_LINES
    assert "part=1" in first and "lines 201–400 of 450" in first
    assert "<section" not in second and "<html" not in second
    assert second.lstrip().startswith("<tr")
    assert len(line_numbers(second)) == PART_LINES and "part=2" in second
    assert len(line_numbers(last)) == BIG_LINES - 2 * PART_LINES
    assert "part=3" not in last and "diff-more" not in last


def test_the_parts_together_are_the_whole_file_once(client, big):
    numbers = []
    for part in range(3):
        numbers += line_numbers(client.get(part_url(big, "b/big.go", part), headers=HX).content.decode())

    assert numbers == list(range(1, BIG_LINES + 1))


@pytest.mark.parametrize("part", ["-1", "3", "99999999999", "x", "1.5"])
def test_a_part_that_does_not_exist_is_not_found(client, big, part):
    assert client.get(part_url(big, "b/big.go", part), headers=HX).status_code == 404


@pytest.mark.parametrize("path", ["nope.go", "../b/big.go", "/etc/passwd", "b/big.go\0"])
def test_a_file_that_is_not_the_changes_is_refused_with_a_client_error(client, big, path):
    assert 400 <= client.get(part_url(big, path, 1), headers=HX).status_code < 500


def test_a_part_of_a_file_of_a_change_that_does_not_exist_is_not_found(client, big):
    assert client.get(f"/changes/{big.pk + 1000}/files/?path=b/big.go&part=1", headers=HX).status_code == 404


def test_the_file_endpoint_sends_a_visitor_to_log_in_as_the_change_page_does(client, big):
    client.logout()

    page = client.get(f"/changes/{big.pk}/")
    part = client.get(part_url(big, "b/big.go", 1), headers=HX)

    assert page.status_code == part.status_code == 302
    assert "/login/" in page["Location"] and "/login/" in part["Location"]


def test_a_part_without_htmx_is_a_page_of_its_own(client, big):
    response = client.get(part_url(big, "b/big.go", 1))

    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert line_numbers(response.content.decode())[0] == PART_LINES + 1


def count_queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_each_part_costs_the_same_queries_and_no_more_than_the_first(client, big):
    counts = [count_queries(client, part_url(big, "b/big.go", part), **HX) for part in range(3)]

    assert counts[0] == counts[1] == counts[2] <= 12


def test_the_change_page_of_a_large_change_keeps_its_query_count(client, big):
    assert count_queries(client, f"/changes/{big.pk}/") <= 18


def test_the_risk_card_says_which_flags_of_the_page_the_score_does_not_weigh(client, big):
    GateResult.objects.update_or_create(
        change=big, head_sha=big.head_sha, name="migrations", defaults={"status": "warn", "message": "a migration"}
    )
    Change.objects.filter(pk=big.pk).update(risk_score=0.001, risk_reasons=[], ai_assisted=True, ai_undeclared=True)

    html = client.get(f"/changes/{big.pk}/").content.decode()
    flags = html[html.index('id="risk-flags"') :]
    flags = flags[: flags.index("</ul>")]

    assert "Risk under 0.01" in html and "No risk factors" not in html
    assert "gate migrations: warn" in flags and "gates are not inputs of the score" in flags
    assert "1 file on a sensitive path" in flags
    assert "AI-assisted, not declared by the author" in flags
    assert "not in the score" in flags and "weighed, but under 0.01 here" in flags
