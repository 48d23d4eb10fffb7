"""Who an imported commit is credited to, on addresses shaped like real ones."""

from __future__ import annotations

from intake.services.repositories import repository_import, repository_register
from reviews.models import Change


def test_an_engineer_is_credited_with_commits_made_under_a_former_github_login(db, make_engineer, work_repo):
    # As psf/black: account 61329810 committed as cobaltt7, and is known to the portal by its current login.
    cobalt = make_engineer(6, username="cobalt", email="61329810+RedGuy12@users.noreply.github.com")
    work_repo.commit({"src/a.py": "a = 1\n"}, "Add a", author="cobalt <61329810+cobaltt7@users.noreply.github.com>")
    work_repo.commit({"src/a.py": "a = 2\n"}, "Tune a", author="Other <12621235+hauntsaninja@users.noreply.github.com>")

    repository_import(repository=repository_register(name="psf/black", url=str(work_repo.path)))

    assert dict(Change.objects.values_list("title", "author")) == {"Add a": cobalt.pk, "Tune a": None}


def test_history_imported_before_its_author_had_an_account_is_credited_to_them_on_the_next_import(
    db, make_engineer, work_repo
):
    # As aio-libs/aiohttp: Sam Bull wrote most of aiohttp/web_protocol.py; his account was made after the import, so
    # the seniors picked for fix-stall (which touches it) all read as "new to these files", Sam included.
    work_repo.commit({"aiohttp/web_protocol.py": "a = 1\n"}, "Fix pause", author="Sam Bull <git@sambull.org>")
    work_repo.commit({"aiohttp/web_protocol.py": "a = 2\n"}, "Tune", author="Sam Bull <Git@SamBull.org>")
    work_repo.branch("fix-stall")
    work_repo.commit(
        {"aiohttp/web_protocol.py": "a = 3\n"}, "Fix 2 flow control stalls", author="Sam <git@sambull.org>"
    )
    work_repo.checkout("main")
    repository = repository_register(name="aio-libs/aiohttp", url=str(work_repo.path))
    repository_import(repository=repository)
    sam = make_engineer(7, username="sam", email="git@sambull.org")

    result = repository_import(repository=repository)

    assert result.attributed == 2
    assert set(Change.objects.filter(state=Change.State.MERGED).values_list("author", flat=True)) == {sam.pk}
    assert Change.objects.get(state=Change.State.OPEN).author is None  # the policy's business: left to an admin
    assert repository_import(repository=repository).attributed == 0
