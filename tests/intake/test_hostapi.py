"""The host API clients against a real HTTP server on loopback: pagination, rate limits, errors."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from intake.hostapi import GitHubClient, GitLabClient, HostApiError, api_base


class FakeHost:
    """Answers canned responses per path and records the requests it saw."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict, object]] = {}
        self.seen: list[tuple[str, dict]] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                host.seen.append((self.path, dict(self.headers)))
                status, headers, body = host.routes.get(self.path, (404, {}, {"message": "Not Found"}))
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value.replace("{base}", host.base))
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def host():
    fake = FakeHost()
    yield fake
    fake.close()


def test_github_client_follows_label_pages_and_sends_the_token(host):
    host.routes["/api/v3/repos/octo/shop/pulls/7"] = (
        200,
        {},
        {"title": "Add cache", "body": "why", "draft": True, "user": {"login": "jun"}},
    )
    host.routes["/api/v3/repos/octo/shop/issues/7/labels?per_page=100"] = (
        200,
        {"Link": '<{base}/api/v3/repos/octo/shop/issues/7/labels?per_page=100&page=2>; rel="next"'},
        [{"name": "ai-assisted"}],
    )
    host.routes["/api/v3/repos/octo/shop/issues/7/labels?per_page=100&page=2"] = (200, {}, [{"name": "payments"}])

    meta = GitHubClient(f"{host.base}/api/v3", "t0ken").pull_request("octo/shop", 7)

    assert meta.title == "Add cache" and meta.draft and meta.author_login == "jun"
    assert meta.labels == ("ai-assisted", "payments")
    assert all(headers.get("Authorization") == "Bearer t0ken" for _, headers in host.seen)


def test_github_rate_limit_is_transient_with_the_reset_wait(host):
    reset = str(int(time.time()) + 120)
    host.routes["/api/v3/repos/octo/shop/pulls/7"] = (
        403,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
        {"message": "API rate limit exceeded"},
    )

    with pytest.raises(HostApiError) as excinfo:
        GitHubClient(f"{host.base}/api/v3", "t").pull_request("octo/shop", 7)

    assert excinfo.value.transient and 100 <= excinfo.value.retry_after <= 121


def test_retry_after_header_is_honoured(host):
    host.routes["/api/v3/repos/octo/shop/pulls/7"] = (429, {"Retry-After": "30"}, {"message": "slow down"})

    with pytest.raises(HostApiError) as excinfo:
        GitHubClient(f"{host.base}/api/v3", "t").pull_request("octo/shop", 7)

    assert excinfo.value.retry_after == 30


@pytest.mark.parametrize(("status", "transient"), [(404, False), (401, False), (500, True), (502, True)])
def test_http_errors_say_whether_to_retry(host, status, transient):
    host.routes["/api/v3/repos/octo/shop/pulls/7"] = (status, {}, {"message": "x"})

    with pytest.raises(HostApiError) as excinfo:
        GitHubClient(f"{host.base}/api/v3", "t").pull_request("octo/shop", 7)

    assert excinfo.value.transient is transient


def test_a_next_link_to_another_host_is_not_followed(host):
    host.routes["/api/v3/repos/octo/shop/pulls/7"] = (200, {}, {"title": "t"})
    host.routes["/api/v3/repos/octo/shop/issues/7/labels?per_page=100"] = (
        200,
        {"Link": '<https://evil.example/steal>; rel="next"'},
        [],
    )

    with pytest.raises(HostApiError, match="outside"):
        GitHubClient(f"{host.base}/api/v3", "t").pull_request("octo/shop", 7)


def test_non_json_answer_is_an_error(host):
    host.routes["/api/v3/repos/octo/shop/pulls/7"] = (200, {}, b"<html>")

    with pytest.raises(HostApiError, match="not JSON"):
        GitHubClient(f"{host.base}/api/v3", "t").pull_request("octo/shop", 7)


def test_unreachable_api_is_transient():
    with pytest.raises(HostApiError) as excinfo:
        GitHubClient("http://127.0.0.1:1/api/v3", "t", timeout=2).pull_request("octo/shop", 7)

    assert excinfo.value.transient


def test_gitlab_client_reads_a_merge_request(host):
    host.routes["/api/v4/projects/group%2Fshop/merge_requests/3"] = (
        200,
        {},
        {"title": "Fix", "description": "d", "labels": ["ai-generated"], "author": {"username": "ana"}, "draft": False},
    )

    meta = GitLabClient(f"{host.base}/api/v4", "glpat").pull_request("group/shop", 3)

    assert (meta.title, meta.labels, meta.author_login, meta.draft) == ("Fix", ("ai-generated",), "ana", False)
    assert {k.lower(): v for k, v in host.seen[0][1].items()}["private-token"] == "glpat"


@pytest.mark.parametrize(
    ("provider", "url", "expected"),
    [
        ("github", "https://github.com/octo/shop.git", "https://api.github.com"),
        ("github", "https://ghe.corp.example/octo/shop.git", "https://ghe.corp.example/api/v3"),
        ("gitlab", "https://gitlab.com/group/shop.git", "https://gitlab.com/api/v4"),
    ],
)
def test_api_base_follows_the_clone_url(provider, url, expected):
    assert api_base(provider, url) == expected


def test_api_base_refuses_a_local_path():
    with pytest.raises(HostApiError):
        api_base("github", "/srv/git/shop.git")


def test_refresh_metadata_updates_the_change_and_queues_detection_when_labels_change(db, host, make_engineer):
    from intake.services.hostchanges import change_refresh_metadata
    from reviews.models import Change, Repository

    author = make_engineer(4, github_login="jun")
    repository = Repository.objects.create(
        name="octo/shop", provider="github", clone_url=f"{host.base}/octo/shop.git", api_token="t0ken"
    )
    change = Change.objects.create(
        repository=repository,
        external_id="pr:7",
        number=7,
        title="#7",
        head_sha="a" * 40,
        opened_at="2026-11-20T10:00:00Z",
        diff_state="done",
        diff_sha="a" * 40,
    )
    host.routes["/api/v3/repos/octo/shop/pulls/7"] = (
        200,
        {},
        {"title": "Add cache", "body": "b", "user": {"login": "jun"}},
    )
    host.routes["/api/v3/repos/octo/shop/issues/7/labels?per_page=100"] = (200, {}, [{"name": "ai-assisted"}])

    change_refresh_metadata(change_id=change.pk)

    change.refresh_from_db()
    assert (change.title, change.labels, change.author) == ("Add cache", ["ai-assisted"], author)
    assert change.diff_state == Change.DiffState.PENDING
