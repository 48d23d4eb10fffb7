"""Fake GitHub and GitLab APIs on pytest-httpserver: each request is checked against the hosts' documented contract.

A request that breaks the contract is answered as the host would (401, 404, 422) and recorded in `violations`, which
every test asserts empty. Switches make the host go down (502), rate-limit (403/429 with the headers), answer slowly,
or forget an installation (404 on the token exchange).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

logging.getLogger("werkzeug").setLevel(logging.WARNING)
SHA = re.compile(r"^[0-9a-f]{40}$")
CHECK_STATUS = {"queued", "in_progress", "completed"}
CONCLUSIONS = {"action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"}
LEVELS = {"notice", "warning", "failure"}
GH_STATES = {"error", "failure", "pending", "success"}
GL_STATES = {"pending", "running", "success", "failed", "canceled"}
GL_CHECK = {"passed", "failed", "pending"}
MAX_TEXT = 65535


def rsa_key() -> tuple[str, str]:
    """A fresh RSA key pair in PEM: (private, public)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@dataclass
class Switches:
    """How the fake behaves right now."""

    down: bool = False
    rate_limited_for: float = 0.0  # seconds from the first refused request
    rate_limited_until: float = 0.0
    latency: float = 0.0
    removed_installations: set[int] = field(default_factory=set)


class FakeHost:
    """Shared machinery: the server, the log, violations, switches, JSON answers."""

    def __init__(self) -> None:
        self.server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._handle)
        self.server.start()
        self.base = f"http://127.0.0.1:{self.server.port}"
        self.lock = threading.Lock()
        self.log: list[tuple[str, str, Any]] = []
        self.violations: list[str] = []
        self.switch = Switches()
        self.next_id = 1000

    def close(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def refuse(self, status: int, message: str, *, violation: bool = True) -> Response:
        if violation:
            self.violations.append(message)
        return self.json({"message": message}, status)

    @staticmethod
    def json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")

    def writes(self, method: str | None = None, pattern: str = "") -> list[tuple[str, str, Any]]:
        """Logged write requests (not GETs, not token exchanges), optionally filtered."""
        with self.lock:
            return [
                (m, p, b)
                for m, p, b in self.log
                if m != "GET" and "access_tokens" not in p and (method is None or m == method) and pattern in p
            ]

    def _gate(self, request: Request) -> Response | None:
        """The switches: latency, outage, rate limit."""
        if self.switch.latency:
            time.sleep(self.switch.latency)
        if self.switch.down:
            return Response("<html>502 Bad Gateway</html>", status=502, content_type="text/html")
        now = time.time()
        if self.switch.rate_limited_for and not self.switch.rate_limited_until:
            self.switch.rate_limited_until = now + self.switch.rate_limited_for
        if self.switch.rate_limited_until > now:
            reset = int(self.switch.rate_limited_until) + 1
            headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset), "ratelimit-remaining": "0"}
            return self.json({"message": "API rate limit exceeded"}, 403, headers)
        if self.switch.rate_limited_until:
            self.switch.rate_limited_for = self.switch.rate_limited_until = 0.0
        return None

    def _handle(self, request: Request) -> Response:
        body = None
        if request.method in ("POST", "PATCH", "PUT"):
            raw = request.get_data()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self.refuse(400, f"{request.method} {request.path}: body is not JSON")
        with self.lock:
            self.log.append((request.method, request.path, body))
        gated = self._gate(request)
        if gated is not None:
            return gated
        with self.lock:
            return self.route(request, body)

    def route(self, request: Request, body: Any) -> Response:  # pragma: no cover - overridden
        raise NotImplementedError


def _text_ok(value: Any, limit: int = MAX_TEXT) -> bool:
    return isinstance(value, str) and len(value) <= limit


class FakeGitHub(FakeHost):
    """GitHub REST v3 for one App (JWT, installation tokens) and one personal token."""

    def __init__(self, *, app_id: str = "4242", pat: str = "ghp_fallback") -> None:
        super().__init__()
        self.app_id = app_id
        self.private_key, self.public_key = rsa_key()
        self.pat = pat
        self.tokens: dict[str, tuple[int, float]] = {}  # token -> (installation, expires)
        self.check_runs: dict[int, dict] = {}
        self.statuses: dict[str, list[dict]] = {}
        self.comments: dict[int, dict] = {}
        self.token_exchanges = 0

    # --- authentication ---

    def _jwt_ok(self, request: Request) -> str:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return "App call without a Bearer JWT"
        try:
            claims = jwt.decode(
                auth[7:], self.public_key, algorithms=["RS256"], options={"require": ["iat", "exp", "iss"]}
            )
        except jwt.PyJWTError as exc:
            return f"JWT refused: {exc}"
        now = time.time()
        if str(claims["iss"]) != self.app_id:
            return f"JWT iss {claims['iss']!r} is not the app id"
        if claims["iat"] > now + 1 or claims["exp"] - claims["iat"] > 600 or claims["exp"] > now + 600:
            return "JWT lifetime beyond ten minutes, or issued in the future"
        return ""

    def _token_ok(self, request: Request) -> str:
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if request.headers.get("X-GitHub-Api-Version") != "2022-11-28":
            return "missing X-GitHub-Api-Version"
        if token == self.pat:
            return ""
        installation = self.tokens.get(token)
        if installation is None or installation[1] < time.time():
            return "not an installation token (or expired)"
        if installation[0] in self.switch.removed_installations:
            return "installation removed"
        return ""

    def issue(self, installation_id: int) -> dict:
        token = f"ghs_{self._id()}"
        self.tokens[token] = (installation_id, time.time() + 3600)
        self.token_exchanges += 1
        return {"token": token, "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))}

    # --- routes ---

    def route(self, request: Request, body: Any) -> Response:
        path, method = request.path.removeprefix("/api/v3"), request.method
        if match := re.fullmatch(r"/app/installations/(\d+)/access_tokens", path):
            if method != "POST":
                return self.refuse(404, "token exchange is a POST")
            if error := self._jwt_ok(request):
                return self.refuse(401, error)
            if int(match[1]) in self.switch.removed_installations:
                return self.refuse(404, "Not Found", violation=False)
            return self.json(self.issue(int(match[1])), 201)
        if error := self._token_ok(request):
            return self.refuse(401, error, violation=error != "installation removed")
        headers = {"x-ratelimit-remaining": "4999", "x-ratelimit-reset": str(int(time.time()) + 3600)}
        if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/check-runs", path):
            return self._check_create(request, body, headers)
        if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/check-runs/(\d+)", path):
            return self._check_update(request, int(match[2]), body, headers)
        if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/commits/([0-9a-f]{40})/check-runs", path):
            runs = [r for r in self.check_runs.values() if r["head_sha"] == match[2]]
            if name := request.args.get("check_name"):
                runs = [r for r in runs if r["name"] == name]
            runs.sort(key=lambda r: -r["id"])
            return self.json({"total_count": len(runs), "check_runs": runs}, 200, headers)
        if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/statuses/(\w+)", path):
            return self._status(match[2], body, headers)
        if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/commits/(\w+)/statuses", path):
            return self.json(list(reversed(self.statuses.get(match[2], []))), 200, headers)
        if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", path):
            number = int(match[2])
            if method == "GET":
                return self.json([c for c in self.comments.values() if c["number"] == number], 200, headers)
            if not isinstance(body, dict) or not _text_ok(body.get("body"), 65536):
                return self.refuse(422, "comment body missing or longer than 65536")
            comment = {"id": self._id(), "number": number, "body": body["body"]}
            self.comments[comment["id"]] = comment
            return self.json(comment, 201, headers)
        if match := re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)", path):
            comment = self.comments.get(int(match[2]))
            if comment is None:
                return self.refuse(404, "Not Found", violation=False)
            if not isinstance(body, dict) or not _text_ok(body.get("body"), 65536):
                return self.refuse(422, "comment body missing or longer than 65536")
            comment["body"] = body["body"]
            return self.json(comment, 200, headers)
        return self.refuse(404, f"no such route {method} {path}")

    def _check_errors(self, body: Any, *, creating: bool) -> str:
        if not isinstance(body, dict):
            return "check run body must be an object"
        if creating and (not isinstance(body.get("name"), str) or not body["name"]):
            return "check run name is required"
        if creating and not SHA.match(str(body.get("head_sha", ""))):
            return "head_sha must be a full SHA"
        status = body.get("status")
        if status is not None and status not in CHECK_STATUS:
            return f"status {status!r} not in the enum"
        if "conclusion" in body and body["conclusion"] not in CONCLUSIONS:
            return f"conclusion {body['conclusion']!r} not in the enum"
        if status == "completed" and "conclusion" not in body:
            return "a completed check run needs a conclusion"
        for key in ("external_id", "details_url"):
            if key in body and not isinstance(body[key], str):
                return f"{key} must be a string"
        output = body.get("output")
        if output is not None:
            if not isinstance(output, dict) or not _text_ok(output.get("title"), 1000):
                return "output.title is required"
            if not _text_ok(output.get("summary")) or not output["summary"]:
                return "output.summary is required and at most 65535 characters"
            if "text" in output and not _text_ok(output["text"]):
                return "output.text is at most 65535 characters"
            annotations = output.get("annotations", [])
            if not isinstance(annotations, list) or len(annotations) > 50:
                return f"at most 50 annotations per request, got {len(annotations)}"
            for a in annotations:
                if not isinstance(a, dict) or not isinstance(a.get("path"), str) or not a.get("message"):
                    return "annotation needs path and message"
                if a.get("annotation_level") not in LEVELS:
                    return f"annotation_level {a.get('annotation_level')!r} not in the enum"
                if not isinstance(a.get("start_line"), int) or not isinstance(a.get("end_line"), int):
                    return "annotation needs start_line and end_line"
        return ""

    def _check_create(self, request: Request, body: Any, headers: dict) -> Response:
        if error := self._check_errors(body, creating=True):
            return self.refuse(422, error)
        run = {
            "id": self._id(),
            "name": body["name"],
            "head_sha": body["head_sha"],
            "status": body.get("status", "queued"),
            "conclusion": body.get("conclusion"),
            "external_id": body.get("external_id"),
            "details_url": body.get("details_url"),
            "output": {k: v for k, v in (body.get("output") or {}).items() if k != "annotations"},
            "annotations": list((body.get("output") or {}).get("annotations", [])),
        }
        self.check_runs[run["id"]] = run
        return self.json(run, 201, headers)

    def _check_update(self, request: Request, run_id: int, body: Any, headers: dict) -> Response:
        run = self.check_runs.get(run_id)
        if run is None:
            return self.refuse(404, "Not Found", violation=False)
        if error := self._check_errors(body, creating=False):
            return self.refuse(422, error)
        for key in ("status", "conclusion", "external_id", "details_url"):
            if key in body:
                run[key] = body[key]
        if body.get("status") == "in_progress":
            run["conclusion"] = None
        if output := body.get("output"):
            run["annotations"] += list(output.get("annotations", []))
            run["output"].update({k: v for k, v in output.items() if k != "annotations"})
        return self.json(run, 200, headers)

    def _status(self, sha: str, body: Any, headers: dict) -> Response:
        if not SHA.match(sha):
            return self.refuse(422, "status on something that is not a SHA")
        if not isinstance(body, dict) or body.get("state") not in GH_STATES:
            return self.refuse(422, "status state not in the enum")
        if "description" in body and not _text_ok(body["description"], 140):
            return self.refuse(422, "status description longer than 140 characters")
        status = {"id": self._id(), **body}
        self.statuses.setdefault(sha, []).append(status)
        return self.json(status, 201, headers)

    def shown(self, sha: str, name: str = "Countersign") -> dict | None:
        """The latest check run of that name on a commit, as the merge box shows it."""
        runs = [r for r in self.check_runs.values() if r["head_sha"] == sha and r["name"] == name]
        return max(runs, key=lambda r: r["id"]) if runs else None


class FakeGitLab(FakeHost):
    """GitLab REST v4 for one private token."""

    def __init__(self, *, token: str = "glpat-fake") -> None:
        super().__init__()
        self.token = token
        self.statuses: dict[str, list[dict]] = {}
        self.notes: dict[int, dict] = {}
        self.external_checks: list[dict] = []
        self.check_responses: list[dict] = []

    def route(self, request: Request, body: Any) -> Response:
        if request.headers.get("PRIVATE-TOKEN") != self.token:
            return self.refuse(401, "401 Unauthorized: PRIVATE-TOKEN missing or wrong")
        # The raw path: GitLab's project ids are URL-encoded ("group%2Fshop") and must stay one segment.
        raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
        path, method = raw.split("?", 1)[0].removeprefix("/api/v4"), request.method
        if match := re.fullmatch(r"/projects/([^/]+)/statuses/(\w+)", path):
            return self._status(match[2], body)
        if match := re.fullmatch(r"/projects/([^/]+)/repository/commits/(\w+)/statuses", path):
            return self.json(list(reversed(self.statuses.get(match[2], []))))
        if re.fullmatch(r"/projects/([^/]+)/external_status_checks", path):
            return self.json(self.external_checks)
        if match := re.fullmatch(r"/projects/([^/]+)/merge_requests/(\d+)/status_check_responses", path):
            ids = {c["id"] for c in self.external_checks}
            if not isinstance(body, dict) or not SHA.match(str(body.get("sha", ""))):
                return self.refuse(400, "sha is required")
            if body.get("external_status_check_id") not in ids or body.get("status") not in GL_CHECK:
                return self.refuse(400, "external_status_check_id unknown or status not passed/failed/pending")
            self.check_responses.append(body)
            return self.json({"id": self._id(), **body}, 201)
        if match := re.fullmatch(r"/projects/([^/]+)/merge_requests/(\d+)/notes", path):
            number = int(match[2])
            if method == "GET":
                return self.json([n for n in self.notes.values() if n["number"] == number])
            if not isinstance(body, dict) or not _text_ok(body.get("body"), 1_000_000) or not body["body"]:
                return self.refuse(400, "note body is required")
            note = {"id": self._id(), "number": number, "body": body["body"]}
            self.notes[note["id"]] = note
            return self.json(note, 201)
        if match := re.fullmatch(r"/projects/([^/]+)/merge_requests/(\d+)/notes/(\d+)", path):
            note = self.notes.get(int(match[3]))
            if note is None:
                return self.refuse(404, "404 Note Not Found", violation=False)
            if method != "PUT" or not isinstance(body, dict) or not body.get("body"):
                return self.refuse(400, "note update is a PUT with a body")
            note["body"] = body["body"]
            return self.json(note)
        return self.refuse(404, f"no such route {method} {path}")

    def _status(self, sha: str, body: Any) -> Response:
        if not SHA.match(sha):
            return self.refuse(400, "status on something that is not a SHA")
        if not isinstance(body, dict) or body.get("state") not in GL_STATES:
            return self.refuse(400, "state does not have a valid value")
        if "description" in body and not _text_ok(body["description"], 140):
            return self.refuse(400, "description longer than 140 characters")
        name = body.get("name", "default")
        current = [s for s in self.statuses.get(sha, []) if s["name"] == name]
        if current and current[-1]["status"] == body["state"]:
            # What GitLab answers when a status is posted twice in the same state.
            return self.refuse(
                400, f"Cannot transition status via :{body['state']} from :{body['state']}", violation=False
            )
        status = {"id": self._id(), "name": name, "status": body["state"], "description": body.get("description")}
        self.statuses.setdefault(sha, []).append(status)
        return self.json(status, 201)

    def shown(self, sha: str, name: str = "countersign/sign-off") -> str | None:
        current = [s for s in self.statuses.get(sha, []) if s["name"] == name]
        return current[-1]["status"] if current else None
