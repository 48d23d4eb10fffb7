from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from insights.models import KnowledgeSnapshot, SoleKnowledge
from insights.selectors.knowledge import knowledge_section, sole_knowledge
from insights.selectors.scope import Scope
from insights.services import knowledge_rebuild, knowledge_snapshot_build
from reviews.models import ChangeFile, Repository, Service
from tests.insights.builders import W47, W48, change, verdict

D = timedelta(days=1)


def _files(c, *paths: str, status: str = "modified") -> None:
    for path in paths:
        ChangeFile.objects.create(change=c, path=path, status=status, lines_added=3)


@pytest.fixture
def history(db, team, make_engineer):
    """ann wrote a.py and b.py (bo reviewed b.py), cy wrote src/c.py, dan wrote e.py long ago, d.py was deleted."""
    repo = Repository.objects.create(name="acme/shop", clone_url="/nowhere")
    Service.objects.create(name="core", repository=repo, path_prefixes=["src/"], team=team)
    ann, bo, cy, dan = (make_engineer(5, username=n) for n in ("ann", "bo", "cy", "dan"))
    _files(change(repo, author=ann, opened=W47 - 3 * D, merged=W47 - 3 * D), "a.py", "d.py")
    b = change(repo, author=ann, opened=W47 - 2 * D, merged=W47 - 2 * D)
    _files(b, "b.py")
    verdict(b, bo, W47 - 2 * D)
    _files(change(repo, author=cy, opened=W47 - 2 * D, merged=W47 - 2 * D), "src/c.py")
    _files(change(repo, author=dan, opened=W47 - 200 * D, merged=W47 - 200 * D), "e.py")
    _files(change(repo, author=ann, opened=W47 - D, merged=W47 - D), "d.py", status="deleted")
    _files(change(repo, author=ann, opened=W47 - D, merged=W47 + D), "late.py")  # merged after the snapshot
    return {"repo": repo, "team": team, "ann": ann, "cy": cy}


def test_snapshot_counts_files_known_by_one_active_person_and_the_bus_factor(history):
    knowledge_snapshot_build(as_of=W47, sole=True)
    whole = KnowledgeSnapshot.objects.get(repository=history["repo"], team=None)
    # Live files a, b, src/c, e; d was deleted, late.py is not merged yet; dan has been inactive for 200 days.
    assert (whole.files, whole.files_single, whole.files_none) == (4, 2, 1)
    assert (whole.directories, whole.directories_single) == (2, 1)  # "" known by ann and bo; src by cy alone
    assert whole.people == 3
    assert whole.bus_factor == 2
    team_part = KnowledgeSnapshot.objects.get(repository=history["repo"], team=history["team"])
    assert (team_part.files, team_part.files_single, team_part.bus_factor) == (1, 1, 1)
    sole = {(s.path, s.is_directory, s.person_name) for s in SoleKnowledge.objects.all()}
    assert sole == {("a.py", False, "Ann"), ("src/c.py", False, "Cy"), ("src", True, "Cy")}


def test_snapshots_are_replaced_not_added(history):
    knowledge_snapshot_build(as_of=W47, sole=True)
    knowledge_snapshot_build(as_of=W47, sole=True)
    assert KnowledgeSnapshot.objects.filter(team=None).count() == 1
    assert SoleKnowledge.objects.count() == 3


def test_rebuild_takes_weekly_snapshots_and_the_section_reads_them(history):
    knowledge_rebuild(weeks=3, now=W47 + 2 * D)
    as_of = sorted({s.as_of for s in KnowledgeSnapshot.objects.filter(team=None)})
    assert as_of == [W47 - 14 * D, W47 - 7 * D, W47, W47 + 2 * D]
    section = knowledge_section(Scope(start=W47, end=W48))
    (row,) = section["repositories"]
    assert row["files"] == 5 and row["files_single"] == 3  # late.py, merged on W47 + 1 day, is ann's alone
    assert section["holders"][0] == {"name": "Ann", "files": 2}
    assert section["chart"]["x_labels"] == ["W44", "W45", "W46", "18 Nov"]
    team_scope = Scope(start=W47, end=W48, team_id=history["team"].pk, team_name="x", team_slug="x")
    assert sorted(s.path for s in sole_knowledge(team_scope)) == ["src", "src/c.py"]


def test_rebuild_command(history, capsys):
    call_command("rebuild_insights", weeks=1)
    out = capsys.readouterr().out
    assert "facts of 6 changes and 1 verdicts written" in out and "knowledge snapshots written" in out
    assert SoleKnowledge.objects.exists()
    with pytest.raises(CommandError, match="between 1 and 104"):
        call_command("rebuild_insights", weeks=0)


def test_rebuild_task_runs_the_service(history):
    from insights.tasks import rebuild_knowledge

    assert rebuild_knowledge(weeks=1) > 0


def test_a_path_deleted_and_renamed_away_in_one_history_is_gone_once(db, make_engineer):
    """Seen in alembic's history: a file renamed away, later re-added and deleted (KeyError before)."""
    repo = Repository.objects.create(name="real/alembic", clone_url="/nowhere")
    ann = make_engineer(5, username="ann")
    _files(change(repo, author=ann, opened=W47 - 5 * D, merged=W47 - 5 * D), "old.py", "keep.py")
    moved = change(repo, author=ann, opened=W47 - 4 * D, merged=W47 - 4 * D)
    ChangeFile.objects.create(change=moved, path="new.py", old_path="old.py", status="renamed", lines_added=1)
    _files(change(repo, author=ann, opened=W47 - 3 * D, merged=W47 - 3 * D), "old.py", status="deleted")

    knowledge_snapshot_build(as_of=W47, sole=True)

    whole = KnowledgeSnapshot.objects.get(repository=repo, team=None)
    assert whole.files == 2  # keep.py and new.py


def test_a_renamed_github_login_is_one_knower(db):
    """Seen in psf/black's history: one account committed as cobaltt7, then as RedGuy12 (same id 61329810)."""
    repo = Repository.objects.create(name="real/black", clone_url="/nowhere")
    for login in ("cobaltt7", "RedGuy12"):
        c = change(
            repo, opened=W47 - 2 * D, merged=W47 - 2 * D, author_email=f"61329810+{login}@users.noreply.github.com"
        )
        _files(c, "src/black/linegen.py")

    knowledge_snapshot_build(as_of=W47, sole=True)

    whole = KnowledgeSnapshot.objects.get(repository=repo, team=None)
    assert (whole.people, whole.files_single, whole.bus_factor) == (1, 1, 1)
    assert SoleKnowledge.objects.filter(path="src/black/linegen.py").count() == 1


def test_bots_know_no_file(db):
    """Seen in python-poetry/poetry and aio-libs/aiohttp: pre-commit-ci[bot] was the only "person" who knew
    .pre-commit-config.yaml, "aio-libs bot" eight files, and the two lifted aiohttp's bus factor from 2 to 3."""
    repo = Repository.objects.create(name="real/poetry", clone_url="/nowhere")
    bots = [
        ("pre-commit-ci[bot]", "66853113+pre-commit-ci[bot]@users.noreply.github.com", ".pre-commit-config.yaml"),
        ("aio-libs bot", "aiolibsbot@koston.org", ".github/workflows/ci-cd.yml"),
        ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", "src/poetry/core.py"),
    ]
    for name, email, path in bots:
        c = change(repo, opened=W47 - 2 * D, merged=W47 - 2 * D, author_name=name, author_email=email)
        _files(c, path)
    _files(
        change(repo, opened=W47 - 2 * D, merged=W47 - 2 * D, author_email="radoslav@example.com"), "src/poetry/core.py"
    )

    knowledge_snapshot_build(as_of=W47, sole=True)

    whole = KnowledgeSnapshot.objects.get(repository=repo, team=None)
    assert (whole.files, whole.files_single, whole.files_none, whole.people) == (3, 1, 2, 1)
    assert list(SoleKnowledge.objects.filter(is_directory=False).values_list("path", flat=True)) == [
        "src/poetry/core.py"
    ]
