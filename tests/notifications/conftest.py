"""Fixtures of the notification tests: an organisation with one change under review, and a chat webhook server."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assignment.services.assign import change_assign
from reviews.models import Change, Engineer
from tests.reviews.test_views import make_change


@dataclass
class Org:
    author: Engineer
    senior: Engineer
    other: Engineer
    manager: Engineer
    change: Change


@pytest.fixture
def org(db, repository, make_engineer, settings) -> Org:
    settings.PORTAL_NOTIFY_BURST_SECONDS = 0
    author = make_engineer(4, username="leo")
    senior = make_engineer(6, username="maya")
    other = make_engineer(7, username="omar", max_open_assignments=0)  # full: the engine picks Maya first
    manager = make_engineer(6, username="rosa", is_manager=True, max_open_assignments=0)
    change = make_change(repository, author, requires_attestation=False)
    change_assign(change=change)
    change.refresh_from_db()
    assert change.assignments.get().reviewer == senior
    other.max_open_assignments = 8
    other.save()
    return Org(author, senior, other, manager, change)


@dataclass
class Received:
    """What the fake chat provider received: (path with query, headers, parsed JSON body)."""

    requests: list = field(default_factory=list)
    status: int = 200


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the standard library's name
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        self.server.received.requests.append((self.path, dict(self.headers), payload))
        self.send_response(self.server.received.status)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def chat_server(settings):
    """A local HTTP server standing in for the chat providers' webhook endpoints."""
    settings.PORTAL_CHAT_ALLOW_HTTP = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.received = Received()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
