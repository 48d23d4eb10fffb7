"""Fixtures of the host write-back tests: the fake hosts, connected repositories, changes waiting for sign-off."""

from __future__ import annotations

import itertools

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from reviews.hostoutbox import host_sync_mark
from reviews.models import Change, HostConnection, Repository
from tests.hostsync.fakehosts import FakeGitHub, FakeGitLab

INSTALLATION = 77
_numbers = itertools.count(1)


@pytest.fixture
def fake_github(settings):
    fake = FakeGitHub()
    settings.PORTAL_GITHUB_APP_ID = fake.app_id
    settings.PORTAL_GITHUB_APP_PRIVATE_KEY = fake.private_key
    settings.PORTAL_BASE_URL = "https://countersign.example"
    settings.PORTAL_HOST_BACKOFF_SECONDS = 1
    settings.PORTAL_HOST_BACKOFF_MAX = 2
    cache.clear()  # no installation token of another test's fake
    yield fake
    fake.close()


@pytest.fixture
def fake_gitlab(settings):
    fake = FakeGitLab()
    settings.PORTAL_BASE_URL = "https://countersign.example"
    yield fake
    fake.close()


@pytest.fixture
def gh_repo(db, fake_github) -> Repository:
    repository = Repository.objects.create(
        name="octo/shop", provider="github", clone_url=f"{fake_github.base}/octo/shop.git"
    )
    HostConnection.objects.create(repository=repository, installation_id=INSTALLATION)
    return repository


@pytest.fixture
def gl_repo(db, fake_gitlab) -> Repository:
    return Repository.objects.create(
        name="group/shop",
        provider="gitlab",
        clone_url=f"{fake_gitlab.base}/group/shop.git",
        api_token=fake_gitlab.token,
    )


@pytest.fixture
def make_change(make_engineer):
    author = None

    def make(repository: Repository, *, review_state: str = "needs_sign_off", mark: bool = True, **extra) -> Change:
        nonlocal author
        author = author or make_engineer(3, username="jun", email="jun@example.com")
        number = next(_numbers)
        fields = {
            "repository": repository,
            "external_id": f"pr:{number}",
            "number": number,
            "title": f"Change {number}",
            "head_sha": f"{number:040x}",
            "author": author,
            "opened_at": timezone.now(),
            "review_state": review_state,
            "required_sign_offs": 1,
            "ai_assisted": True,
            "diff_state": "done",
            "policy_reasons": ["AI-assisted change by a junior engineer: one senior sign-off"],
            **extra,
        }
        change = Change.objects.create(**fields)
        change.diff_sha = change.head_sha
        change.save(update_fields=["diff_sha"])
        if mark:
            with transaction.atomic():
                host_sync_mark(change_id=change.pk, reason="evaluated")
        return change

    return make
