"""What the git host sends in the fault suite: a repository with many pull requests, and their signed deliveries."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
from django.db import connection
from django.test import Client
from django.urls import reverse

from policy.services.policies import policy_current, policy_publish
from reviews.models import Engineer, Repository, Team

GITHUB_SECRET = "gh-webhook-secret-for-the-fault-suite"
REPOSITORY = "acme/faults"
AUTHOR_LOGIN = "junior-dev"
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "PATH": "/usr/bin:/bin:/usr/local/bin",
}


@dataclass
class PullRepo:
    """A repository on disk whose pull requests are refs/pull/<n>/head, each with one or more revisions."""

    path: Path
    base: str
    heads: dict[int, list[str]] = field(default_factory=dict)  # number -> its revisions' SHAs, oldest first


def pull_request_repo(path: Path, numbers: list[int], revisions: int = 1) -> PullRepo:
    """Build every pull request's commits in one `git fast-import` (thousands of commits in a second or two)."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env={**GIT_ENV, "HOME": str(path)})
    stream: list[bytes] = []
    mark = 0

    def data(text: str) -> None:
        raw = text.encode()
        stream.append(b"data %d\n" % len(raw) + raw + b"\n")

    def commit(ref: str, files: dict[str, str], message: str, parent: int | None, when: int) -> int:
        nonlocal mark
        blobs = {}
        for name, content in files.items():
            mark += 1
            stream.append(b"blob\nmark :%d\n" % mark)
            data(content)
            blobs[name] = mark
        mark += 1
        stream.append(f"commit {ref}\nmark :{mark}\n".encode())
        stream.append(f"committer Dev <dev@example.com> {when} +0000\n".encode())
        data(message)
        if parent is not None:
            stream.append(b"from :%d\n" % parent)
        for name, blob in blobs.items():
            stream.append(f"M 100644 :{blob} {name}\n".encode())
        return mark

    base = commit("refs/heads/main", {"README.md": "faults\n"}, "Initial import", None, 1_700_000_000)
    marks: dict[int, list[int]] = {}
    for number in numbers:
        parent, marks[number] = base, []
        for revision in range(revisions):
            message = f"Pull request {number}, revision {revision}\n\nAssisted-by: GitHub Copilot\n"
            files = {f"app/pr{number}.py": f"n = {number}\nrevision = {revision}\n"}
            parent = commit(f"refs/pull/{number}/head", files, message, parent, 1_700_000_100 + revision)
            marks[number].append(parent)
    marks_file = path / ".git" / "fault-marks"
    subprocess.run(
        ["git", "fast-import", "--quiet", f"--export-marks={marks_file}"],
        cwd=path,
        input=b"".join(stream),
        check=True,
        env={**GIT_ENV, "HOME": str(path)},
    )
    sha = dict(line.split(" ", 1) for line in marks_file.read_text().split("\n") if line)
    repo = PullRepo(path=path, base=sha[f":{base}"])
    repo.heads = {n: [sha[f":{m}"] for m in ms] for n, ms in marks.items()}
    return repo


def organisation(repo: PullRepo, *, seniors: int = 3, cap: int = 1000) -> Repository:
    """The registered repository, the junior who opens every pull request, and seniors to review them."""
    from django.contrib.auth import get_user_model

    users = get_user_model()
    # The default policy, less the self-review attestation: every change goes straight to a senior's queue.
    data = copy.deepcopy(policy_current().data)
    for rule in data["rules"]:
        rule.get("require", {}).pop("attestation", None)
    policy_publish(data=data, actor=None, note="fault suite: no attestation step")
    team, _ = Team.objects.get_or_create(slug="faults", defaults={"name": "Faults"})
    author = users.objects.create_user(username=AUTHOR_LOGIN, password="pw-for-tests-only")
    Engineer.objects.create(
        user=author, display_name="Junior", email="junior@example.com", level=4, team=team, github_login=AUTHOR_LOGIN
    )
    for n in range(seniors):
        user = users.objects.create_user(username=f"senior{n}", password="pw-for-tests-only")
        Engineer.objects.create(
            user=user,
            display_name=f"Senior {n}",
            email=f"senior{n}@example.com",
            level=6,
            team=team,
            weekly_capacity_minutes=100_000,
            max_open_assignments=cap,
        )
    return Repository.objects.create(
        name=REPOSITORY, provider=Repository.Provider.GITHUB, clone_url=str(repo.path), default_branch="main"
    )


def pull_request_event(repo: PullRepo, number: int, revision: int = 0, *, repository: str = REPOSITORY) -> dict:
    """GitHub's pull_request delivery for a revision: opened for the first, synchronize for later ones."""
    head = repo.heads[number][revision]
    payload = {
        "action": "opened" if revision == 0 else "synchronize",
        "number": number,
        "repository": {"full_name": repository},
        "pull_request": {
            "number": number,
            "title": f"Pull request {number}",
            "body": "Adds a module.",
            "user": {"login": AUTHOR_LOGIN},
            "head": {"sha": head, "ref": f"topic-{number}"},
            "base": {"sha": repo.base, "ref": "main"},
            "state": "open",
            "draft": False,
            "labels": [],
            "created_at": "2026-11-20T10:00:00Z",
            "updated_at": f"2026-11-20T10:{revision:02d}:00Z",
        },
    }
    if revision:
        payload["before"], payload["after"] = repo.heads[number][revision - 1], head
    return payload


@dataclass(frozen=True)
class Sent:
    """One delivery as the host sends it: its id (kept on redelivery), and its JSON body."""

    delivery_id: str
    payload: dict

    @classmethod
    def new(cls, payload: dict) -> Sent:
        return cls(str(uuid.uuid4()), payload)


def _signed(sent: Sent) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(sent.payload).encode()
    signature = "sha256=" + hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": sent.delivery_id}
    headers["X-Hub-Signature-256"] = signature
    return body, headers


def post(client: Client, sent: Sent) -> int:
    """POST one signed GitHub delivery through Django's test client; the status code the host sees."""
    body, headers = _signed(sent)
    response = client.post(reverse("webhook-github"), body, content_type="application/json", headers=headers)
    return response.status_code


@dataclass(frozen=True)
class Answer:
    """What the host saw of one request over HTTP: the status (0: no answer) and when it was in flight."""

    code: int
    started: float
    ended: float


def post_http(session: requests.Session, base: str, sent: Sent) -> Answer:
    """POST one signed GitHub delivery to a real web server."""
    body, headers = _signed(sent)
    started = time.monotonic()
    try:
        response = session.post(
            f"{base}/webhooks/github/", data=body, headers={**headers, "Content-Type": "application/json"}, timeout=30
        )
        code = response.status_code
    except requests.RequestException:
        code = 0
    return Answer(code, started, time.monotonic())


def post_all_http(base: str, deliveries: list[Sent], *, threads: int = 4) -> dict[str, Answer]:
    """POST every delivery over HTTP from `threads` threads (each with its own keep-alive session)."""
    answers: dict[str, Answer] = {}
    lock = threading.Lock()
    pending = list(deliveries)

    def run() -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    if not pending:
                        return
                    sent = pending.pop(0)
                answer = post_http(session, base, sent)
                with lock:
                    answers[sent.delivery_id] = answer

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=600)
    return answers


def post_all(deliveries: list[Sent], *, threads: int = 4) -> dict[str, int]:
    """POST every delivery from `threads` threads, each on its own database connection; status code by id."""
    codes: dict[str, int] = {}
    lock = threading.Lock()
    pending = list(enumerate(deliveries))

    def run() -> None:
        client = Client(raise_request_exception=False)  # a server error is an answer, as the host sees it
        try:
            while True:
                with lock:
                    if not pending:
                        return
                    _, sent = pending.pop(0)
                try:
                    code = post(client, sent)
                except Exception:  # noqa: BLE001 - the connection dropped: the host sees no answer
                    code = 0
                with lock:
                    codes[sent.delivery_id] = code
        finally:
            connection.close()

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=600)
    return codes
