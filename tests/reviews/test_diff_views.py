"""The diff viewer on a real repository (reviews.views.diff): file fragments, highlighting, Viewed, more context,
changes since a review, paths that must not reach git, and query counts that do not grow with files."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from intake.gitrepo import Mirror
from intake.mirrors import repository_mirror
from intake.services.diffs import change_pull_diff
from intake.services.repositories import change_new_revision, repository_import, repository_register
from reviews import filelist
from reviews.models import Change, FileView, GateResult, Review, ReviewComment
from reviews.views.diff import INLINE_FILES

CORE_BASE = ['"""Core of the shop."""', ""] + [f"value_{n} = {n}" for n in range(3, 121)]
# Line 40 becomes a three-line string (new lines 40-42) and line 41 changes (new line 43).
CORE_TOPIC = (
    CORE_BASE[:39] + ['MESSAGE = """first line', "second line of the string", '"""', "value_41 = 4100"] + CORE_BASE[41:]
)
WIDGET = 'TEMPLATE = "<script>alert(1)</script>"\n\n\ndef widget():\n    return TEMPLATE\n'
HX = {"HX-Request": "true"}


def text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


@dataclass
class Scene:
    change: Change
    senior: object
    work_repo: object


def _import(work_repo, *, sensitive: list[str] | None = None) -> None:
    repository = repository_register(name="acme/shop", url=str(work_repo.path))
    if sensitive is not None:
        repository.sensitive_paths = sensitive
        repository.save(update_fields=["sensitive_paths"])
    repository_import(repository=repository)
    for change_id in Change.objects.filter(state=Change.State.OPEN).values_list("pk", flat=True):
        change_pull_diff(change_id=change_id)


@pytest.fixture
def scene(db, work_repo, make_engineer, client) -> Scene:
    """An open branch that rewrites a line of app/core.py, adds app/widget.py and touches payments/charge.py."""
    work_repo.commit(
        {"app/core.py": text(CORE_BASE), "payments/charge.py": "FEE = 1\n", "README.md": "# Shop\n"}, "Initial import"
    )
    work_repo.branch("feature/topic")
    work_repo.commit(
        {"app/core.py": text(CORE_TOPIC), "app/widget.py": WIDGET, "payments/charge.py": "FEE = 2\n"}, "Topic work"
    )
    work_repo.checkout("main")
    _import(work_repo, sensitive=["payments/**"])
    senior = make_engineer(7)
    client.force_login(senior.user)
    return Scene(change=Change.objects.get(state=Change.State.OPEN), senior=senior, work_repo=work_repo)


def file_url(change: Change, path: str, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"path": path, **params}.items())
    return f"/changes/{change.pk}/files/?{query}"


def new_revision(scene: Scene, files: dict) -> Change:
    scene.work_repo.checkout("feature/topic")
    head = scene.work_repo.commit(files, "More topic work")
    scene.work_repo.checkout("main")
    change_new_revision(change=scene.change, head_sha=head, base_sha=scene.change.base_sha)
    change_pull_diff(change_id=scene.change.pk)
    return Change.objects.get(pk=scene.change.pk)


# --- one file: page and fragment ----------------------------------------------------------------


def test_file_fragment_is_a_page_of_its_own_without_htmx(client, scene):
    response = client.get(file_url(scene.change, "app/core.py"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body
    assert f'id="{filelist.file_anchor("app/core.py")}"' in body
    assert f'href="/changes/{scene.change.pk}/#{filelist.file_anchor("app/core.py")}"' in body


def test_file_fragment_with_htmx_is_the_file_alone(client, scene):
    response = client.get(file_url(scene.change, "app/core.py"), headers=HX)

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith(f'<section class="diff-file" id="{filelist.file_anchor("app/core.py")}"')


def test_boosted_navigation_to_a_file_gets_the_full_page(client, scene):
    response = client.get(file_url(scene.change, "app/core.py"), headers={**HX, "HX-Boosted": "true"})

    assert "<html" in response.content.decode()


def test_file_fragment_is_highlighted_and_a_multi_line_string_stays_a_string_on_its_second_line(client, scene):
    body = client.get(file_url(scene.change, "app/core.py"), headers=HX).content.decode()

    assert '<span class="n">value_41</span>' in body
    assert '<span class="mi">4100</span>' in body
    assert '<span class="s2">second line of the string</span>' in body


def test_code_is_escaped_wherever_it_is_shown(client, scene):
    body = client.get(file_url(scene.change, "app/widget.py"), headers=HX).content.decode()

    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_split_view_pairs_old_and_new_side_by_side(client, scene):
    body = client.get(file_url(scene.change, "payments/charge.py", view="split"), headers=HX).content.decode()

    assert 'class="diff split"' in body
    row = re.search(r'<tr class="pair">(.*?)</tr>', body, re.S).group(1)
    assert '<td class="code del">' in row and '<td class="code add">' in row
    assert row.index('<span class="mi">1</span>') < row.index('<span class="mi">2</span>')


def test_each_diff_line_has_a_comment_control_aimed_at_the_slot_after_its_row(client, scene):
    change = scene.change
    body = client.get(file_url(change, "app/core.py"), headers=HX).content.decode()

    button = re.search(
        r'<button type="button" class="add-comment" hx-get="([^"]+line=41[^"]+)" hx-target="#([^"]+)" '
        r'aria-label="Comment on line 41">',
        body,
    )
    assert button is not None
    assert button.group(1) == f"/changes/{change.pk}/comments/new/?path=app%2Fcore.py&amp;line=41&amp;side=new"
    after_row = body[button.end() :].split("</tr>", 1)[1]
    assert after_row.lstrip().startswith(f'<tr class="comment-slot"><td colspan="3" id="{button.group(2)}"></td>')
    assert 'aria-label="Comment on line 40"' in body and 'hx-get="/changes/' in body


def test_threads_on_a_line_are_shown_under_it(client, scene):
    thread = ReviewComment.objects.create(
        change=scene.change,
        head_sha=scene.change.head_sha,
        path="app/core.py",
        line=43,
        side="new",
        author=scene.senior,
        body="Why four thousand one hundred?",
    )

    body = client.get(file_url(scene.change, "app/core.py"), headers=HX).content.decode()

    assert f'id="thread-{thread.pk}"' in body
    assert body.index('aria-label="Comment on line 43"') < body.index(f'id="thread-{thread.pk}"')
    assert "Why four thousand one hundred?" in body


@pytest.mark.parametrize(
    "path",
    ["README.md", "../README.md", "app/../README.md", "/etc/passwd", "", "app/core.py%00", "app/core.py/.."],
)
def test_a_path_that_is_not_a_file_of_the_change_is_not_found_and_never_reaches_git(client, scene, monkeypatch, path):
    asked = []
    monkeypatch.setattr(Mirror, "read_file", lambda self, sha, p, **kw: asked.append(p))

    responses = [
        client.get(file_url(scene.change, path), headers=HX),
        client.get(f"/changes/{scene.change.pk}/files/context/?path={path}&start=1&end=5"),
        client.post(f"/changes/{scene.change.pk}/files/viewed/", {"path": path, "viewed": "1"}),
    ]

    # A NUL (%00) in the address or query string is refused as a bad request before any view runs.
    expected = [400, 400, 404] if "%00" in path else [404, 404, 404]
    assert [r.status_code for r in responses] == expected
    assert asked == []
    assert not FileView.objects.exists()


def test_file_of_another_change_is_not_found(client, scene):
    assert client.get(f"/changes/{scene.change.pk + 1000}/files/?path=app/core.py").status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(client, scene):
    client.logout()

    response = client.get(file_url(scene.change, "app/core.py"))

    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


# --- the change page ----------------------------------------------------------------------------


def test_change_page_shows_a_tree_with_counts_and_marks_sensitive_and_gate_flagged_files(client, scene):
    change = scene.change
    GateResult.objects.create(
        change=change,
        head_sha=change.head_sha,
        name="custom-lint",
        status="warn",
        message="look at this",
        details=["app/core.py:43: suspicious constant"],
    )

    response = client.get(f"/changes/{change.pk}/")

    body = response.content.decode()
    tree = body[body.index('<details class="file-tree"') : body.index("</details>", body.index('class="file-tree"'))]
    assert [e.path for e in response.context["file_entries"]] == ["app/core.py", "app/widget.py", "payments/charge.py"]
    assert re.search(r'class="marker gate-warn" title="[^"]*custom-lint \(warn\)', tree)
    assert tree.count('class="marker sensitive"') == 1
    assert '<span class="add">+4</span> <span class="del">−2</span>' in tree
    assert "sensitive path</span>" in body
    core = client.get(file_url(change, "app/core.py"), headers=HX).content.decode()
    assert 'title="custom-lint: app/core.py:43: suspicious constant"' in core


def test_change_page_renders_the_first_files_and_leaves_the_rest_to_load_as_they_are_revealed(
    client, db, work_repo, make_engineer
):
    work_repo.commit({"README.md": "x\n"}, "Initial import")
    work_repo.branch("feature/many")
    work_repo.commit({f"pkg/mod_{n:02d}.py": f"N = {n}\n" for n in range(8)}, "Many files")
    work_repo.checkout("main")
    _import(work_repo)
    change = Change.objects.get(state=Change.State.OPEN)
    client.force_login(make_engineer(7).user)

    body = client.get(f"/changes/{change.pk}/?view=split").content.decode()

    assert body.count('<table class="diff split">') == INLINE_FILES
    assert body.count('hx-trigger="revealed"') == 8 - INLINE_FILES
    assert f'<a href="/changes/{change.pk}/files/?path=pkg%2Fmod_07.py&amp;view=split">' in body
    assert f'hx-get="/changes/{change.pk}/files/?path=pkg%2Fmod_07.py&amp;view=split"' in body
    assert 'id="shortcuts"' in body and "portal/diff.js" in body


# --- Viewed -------------------------------------------------------------------------------------


def test_marking_a_file_viewed_answers_with_its_header_and_shows_on_the_page(client, scene):
    change = scene.change

    response = client.post(
        f"/changes/{change.pk}/files/viewed/", {"path": "app/core.py", "viewed": "1", "view": "split"}, headers=HX
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<header class="diff-file-head" id="{filelist.file_anchor("app/core.py")}-head"')
    assert 'data-viewed="true"' in body and " checked>" in body and "<html" not in body
    assert FileView.objects.get().fingerprint == change.files.get(path="app/core.py").fingerprint
    page = client.get(f"/changes/{change.pk}/")
    assert [e.viewed for e in page.context["file_entries"]] == [True, False, False]
    assert page.context["viewed_count"] == 1


def test_unticking_viewed_without_htmx_redirects_back_to_the_file(client, scene):
    change = scene.change
    client.post(f"/changes/{change.pk}/files/viewed/", {"path": "app/core.py", "viewed": "1"})

    response = client.post(f"/changes/{change.pk}/files/viewed/", {"path": "app/core.py", "view": "split"})

    assert response.status_code == 302
    assert response.url == f"/changes/{change.pk}/?view=split#{filelist.file_anchor('app/core.py')}"
    assert not FileView.objects.exists()


def test_a_user_without_an_engineer_profile_cannot_mark_files_viewed(client, scene):
    client.force_login(get_user_model().objects.create_user(username="visitor", password="pw-for-tests-only"))

    response = client.post(f"/changes/{scene.change.pk}/files/viewed/", {"path": "app/core.py", "viewed": "1"})

    assert response.status_code == 403
    assert not FileView.objects.exists()


def test_viewed_resets_for_a_file_a_new_revision_changes_and_stays_for_the_others(client, scene):
    for path in ("app/core.py", "app/widget.py"):
        client.post(f"/changes/{scene.change.pk}/files/viewed/", {"path": path, "viewed": "1"})

    change = new_revision(scene, {"app/core.py": text(CORE_TOPIC[:59] + ["value_60 = 6000"] + CORE_TOPIC[60:])})

    entries = client.get(f"/changes/{change.pk}/").context["file_entries"]
    assert {e.path: e.viewed for e in entries} == {
        "app/core.py": False,
        "app/widget.py": True,
        "payments/charge.py": False,
    }


# --- more context -------------------------------------------------------------------------------


def test_expanding_context_returns_unchanged_head_lines_with_what_is_left_of_the_gap(client, scene):
    change = scene.change
    url = f"/changes/{change.pk}/files/context/?path=app/core.py&start=1&end=36&delta=0&show=last"

    response = client.get(url, headers=HX)

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert body.count('<tr class="ctx">') == 20
    assert '<td class="ln" data-n="17"></td><td class="ln" data-n="17"></td>' in body
    assert '<span class="n">value_36</span>' in body and "value_16" not in body
    assert "start=1&amp;end=16" in body
    assert "add-comment" not in body


def test_the_page_offers_context_between_and_after_the_hunks(client, scene):
    body = client.get(file_url(scene.change, "app/core.py"), headers=HX).content.decode()

    assert "start=1&amp;end=36&amp;delta=0&amp;show=all" in body  # short: all at once
    assert "start=47&amp;end=122&amp;delta=2&amp;show=first" in body  # long: a step down from the hunk
    assert "start=47&amp;end=122&amp;delta=2&amp;show=last" not in body  # nothing below the end to step up from


def test_expanding_a_short_gap_shows_all_of_it_and_old_numbers_follow_the_offset(client, scene):
    url = f"/changes/{scene.change.pk}/files/context/?path=app/core.py&start=80&end=82&delta=2&show=all&view=split"

    body = client.get(url, headers=HX).content.decode()

    assert body.count('<tr class="pair">') == 3
    assert '<td class="ln ctx" data-n="78"></td>' in body and '<td class="ln ctx" data-n="80"></td>' in body


def test_expanding_context_without_htmx_is_a_page(client, scene):
    response = client.get(f"/changes/{scene.change.pk}/files/context/?path=app/core.py&start=1&end=3")

    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert "Unchanged lines 1 to 3" in response.content.decode()


@pytest.mark.parametrize("query", ["start=x&end=3", "start=5&end=2", "start=0&end=3", "start=1&end=3&show=sideways"])
def test_expanding_context_with_bad_numbers_is_not_found(client, scene, query):
    assert client.get(f"/changes/{scene.change.pk}/files/context/?path=app/core.py&{query}").status_code == 404


# --- changes since my last review ---------------------------------------------------------------


def test_interdiff_shows_only_what_changed_since_the_revision_the_reviewer_saw(client, scene):
    first = scene.change
    Review.objects.create(
        change=first,
        reviewer=scene.senior,
        verdict=Review.Verdict.REQUEST_CHANGES,
        head_sha=first.head_sha,
        seconds_spent=300,
        created_at=timezone.now(),
    )
    change = new_revision(
        scene,
        {
            "app/core.py": text(CORE_TOPIC[:59] + ["value_60 = 6000"] + CORE_TOPIC[60:]),
            "payments/charge.py": "FEE = 1\n",
        },
    )

    page = client.get(f"/changes/{change.pk}/").content.decode()
    assert f'href="/changes/{change.pk}/interdiff/?from=1"' in page
    response = client.get(f"/changes/{change.pk}/interdiff/?from=1")

    body = response.content.decode()
    assert response.status_code == 200
    assert [e.path for e in response.context["entries"]] == ["app/core.py", "payments/charge.py"]
    assert '<span class="mi">6000</span>' in body
    assert "second line of the string" not in body
    assert "add-comment" not in body


def test_interdiff_from_the_current_revision_has_nothing_to_show(client, scene):
    body = client.get(f"/changes/{scene.change.pk}/interdiff/?from=1").content.decode()

    assert "nothing changed since" in body


@pytest.mark.parametrize("query", ["from=9", "from=x", ""])
def test_interdiff_from_an_unknown_revision_is_not_found(client, scene, query):
    assert client.get(f"/changes/{scene.change.pk}/interdiff/?{query}").status_code == 404


def test_no_interdiff_link_for_a_reviewer_who_saw_the_current_revision(client, scene):
    assert client.get(f"/changes/{scene.change.pk}/").context["interdiff_from"] is None


def test_diff_paths_reads_paths_literally_and_refuses_paths_that_leave_the_tree(scene, settings):
    mirror = repository_mirror(scene.change.repository)
    base, head = scene.change.base_sha, scene.change.head_sha

    raw, cut = mirror.diff_paths(base, head, ["payments/*"], 1_000_000)
    assert (raw, cut) == (b"", False)
    raw, cut = mirror.diff_paths(base, head, ["payments/charge.py"], 1_000_000)
    assert b"+FEE = 2" in raw and b"app/core.py" not in raw
    for bad in ("../x", "/etc/passwd", "a/../../b"):
        with pytest.raises(Exception, match="refusing path"):
            mirror.diff_paths(base, head, [bad], 1_000_000)


# --- query counts -------------------------------------------------------------------------------


def count_queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# Session, user, engineer, the two navigation counts; the change and its prefetches (files, reviews, assignments,
# attestations, gates, overrides, revisions, AI findings), comment threads, the viewer's viewed files.
CHANGE_PAGE_MAX_QUERIES = 18  # + whose turn it is, the viewer's latest verdict (since-your-review), AI findings
# Session, user, engineer, the two navigation counts; the change, its one file, gates, overrides, revisions,
# comment threads, the viewer's viewed mark.
FILE_FRAGMENT_MAX_QUERIES = 12


def test_change_page_and_file_fragment_queries_do_not_grow_with_files(client, db, work_repo, make_engineer):
    work_repo.commit({"README.md": "x\n"}, "Initial import")
    for name, count in (("small", 3), ("large", 40)):
        work_repo.branch(f"feature/{name}", "main")
        work_repo.commit({f"{name}/mod_{n:02d}.py": f"N = {n}\n" for n in range(count)}, f"{count} files")
    work_repo.checkout("main")
    _import(work_repo)
    small = Change.objects.get(source_branch="feature/small")
    large = Change.objects.get(source_branch="feature/large")
    viewer = make_engineer(7)
    client.force_login(viewer.user)
    for change in (small, large):  # the viewer marked one file viewed on each
        client.post(f"/changes/{change.pk}/files/viewed/", {"path": change.files.first().path, "viewed": "1"})

    pages = [count_queries(client, f"/changes/{c.pk}/") for c in (small, large)]
    fragments = [count_queries(client, file_url(c, c.files.last().path), **HX) for c in (small, large)]

    assert large.files.count() == 40
    assert pages[0] == pages[1] <= CHANGE_PAGE_MAX_QUERIES
    assert fragments[0] == fragments[1] <= FILE_FRAGMENT_MAX_QUERIES
