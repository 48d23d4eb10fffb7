"""Every one of GitHub's own example payloads (octokit/webhooks-examples, MIT), signed, is answered 2xx and recorded.

The fixture holds the 726 examples of api.github.com and GitHub Enterprise Server 3.1 to 3.3 as published in the
npm package @octokit/webhooks-examples 7.6.1. Events Countersign does not act on are recorded and ignored.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from intake.hostevents import parse_github
from reviews.models import Delivery, HostConnection, HostInstallation, Repository
from tests.intake.test_webhooks import GITHUB_SECRET, post_github

EXAMPLES = json.loads(gzip.decompress((Path(__file__).parent / "fixtures" / "github_examples.json.gz").read_bytes()))


def test_every_example_parses_without_a_payload_error():
    kinds = {parse_github(e["event"], e["payload"]).kind for e in EXAMPLES}
    assert len(EXAMPLES) == 726 and "installation" in kinds and "ignored" in kinds


@pytest.mark.django_db
def test_every_signed_example_delivery_answers_2xx_and_is_recorded(client, settings):
    settings.PORTAL_GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    refused = []
    for number, example in enumerate(EXAMPLES):
        response = post_github(client, example["event"], example["payload"], delivery=f"example-{number}")
        if response.status_code >= 300:
            refused.append((example["event"], response.status_code, response.json().get("detail")))
    assert refused == []
    assert Delivery.objects.count() == len(EXAMPLES)


@pytest.mark.django_db
def test_installation_events_connect_and_disconnect_registered_repositories(client, settings):
    settings.PORTAL_GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    repository = Repository.objects.create(
        name="octo/shop", provider="github", clone_url="https://github.com/octo/shop"
    )
    added = {
        "action": "added",
        "installation": {"id": 901, "account": {"login": "octo"}},
        "repository_selection": "selected",
        "repositories_added": [{"id": 1, "full_name": "octo/shop"}, {"id": 2, "full_name": "octo/later"}],
        "repositories_removed": [],
        "sender": {"login": "admin"},
    }
    assert post_github(client, "installation_repositories", added).status_code == 202
    connection = HostConnection.objects.get(repository=repository)
    assert connection.installation_id == 901 and connection.is_connected
    assert HostInstallation.objects.get(installation_id=901).repository_names == ["octo/later", "octo/shop"]

    deleted = {"action": "deleted", "installation": {"id": 901, "account": {"login": "octo"}}, "sender": {}}
    assert post_github(client, "installation", deleted).status_code == 202
    connection.refresh_from_db()
    assert not connection.is_connected and "deleted" in connection.disconnected_reason
