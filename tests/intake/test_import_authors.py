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
