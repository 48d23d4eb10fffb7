"""The fault suite's fixtures, and the table of every scenario's figures printed at the end of the run."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings as django_settings

from tests.faults import harness, hostload


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.worker)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001 - pytest's hook signature
    if not harness.ROWS:
        return
    scale = "full" if harness.FULL else "bounded (FAULTS_SCALE=full for the issue's figures)"
    terminalreporter.section(f"fault suite, {scale}")
    for line in harness.table_lines():
        terminalreporter.write_line(line)


@pytest.fixture
def broker(transactional_db, settings) -> redis.Redis:
    """The suite's Redis database, emptied; webhooks signed with the suite's secret."""
    settings.PORTAL_GITHUB_WEBHOOK_SECRET = hostload.GITHUB_SECRET
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    client.flushdb()
    yield client
    client.close()
