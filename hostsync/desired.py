"""What the git host should show for a change (pure): the check's state and text, annotations, the summary comment.

Input is plain facts about the change (loaded by `hostsync.facts`); output is the desired host state, each part
with a fingerprint so that the worker writes only what differs from what the host was last told.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

CHECK_NAME = "Countersign"
STATUS_CONTEXT = "countersign/sign-off"
MAX_TEXT = 65535  # GitHub: check run output.summary and output.text, and a comment body
MAX_TITLE = 200
MAX_DESCRIPTION = 140  # a commit status description
MAX_ANNOTATIONS = 50  # per check-run request
MAX_ANNOTATIONS_TOTAL = 500
MARKER = "<!-- countersign:summary change={change_id} -->"

PENDING, SUCCESS, FAILURE, NEUTRAL = "pending", "success", "failure", "neutral"
# The change's review state, as the host's merge button should see it.
STATE_OF = {
    "pending_policy": PENDING,
    "awaiting_attestation": PENDING,
    "needs_sign_off": PENDING,
    "gates_failed": FAILURE,
    "changes_requested": FAILURE,
    "approved": SUCCESS,
    "not_required": NEUTRAL,
}
GITLAB_STATE = {PENDING: "pending", SUCCESS: "success", FAILURE: "failed", NEUTRAL: "success"}
GITLAB_CHECK = {PENDING: "pending", SUCCESS: "passed", FAILURE: "failed", NEUTRAL: "passed"}
GITHUB_STATUS = {PENDING: "pending", SUCCESS: "success", FAILURE: "failure", NEUTRAL: "success"}
LEVEL_OF = {"fail": "failure", "warn": "warning", "pass": "notice"}
_LINE = re.compile(r"^(?P<path>[^\s:][^:]*?):(?P<line>\d{1,9}):\s*(?P<message>.+)$", re.DOTALL)
_FILE = re.compile(r"^(?P<path>[^\s:]+?)(?:(?::\s*|\s+)(?P<message>.+))?$", re.DOTALL)


@dataclass(frozen=True)
class GateFact:
    """One gate's result on the head revision."""

    name: str
    status: str  # pass, warn, fail
    message: str
    details: tuple[str, ...] = ()
    overridden: bool = False


@dataclass(frozen=True)
class AssigneeFact:
    """An active assignment: who reviews, and why them."""

    name: str
    level: int
    reason: str


@dataclass(frozen=True)
class ChangeFacts:
    """What the host state is computed from."""

    change_id: int
    number: int
    head_sha: str
    review_state: str
    required_sign_offs: int
    ai_assisted: bool
    author_level: int | None
    details_url: str
    policy_reasons: tuple[str, ...] = ()
    policy_missing: tuple[str, ...] = ()
    risk_score: float = 0.0
    risk_reasons: tuple[str, ...] = ()
    ai_evidence: tuple[str, ...] = ()
    gates: tuple[GateFact, ...] = ()
    assignees: tuple[AssigneeFact, ...] = ()
    paths: frozenset[str] = field(default_factory=frozenset)
    senior_level: int = 6


@dataclass(frozen=True)
class Annotation:
    """A check-run annotation on the lines a gate finding concerns."""

    path: str
    line: int
    level: str  # notice, warning, failure
    title: str
    message: str

    def as_github(self) -> dict:
        return {
            "path": self.path,
            "start_line": self.line,
            "end_line": self.line,
            "annotation_level": self.level,
            "title": self.title[:255],
            "message": self.message[:64000],
        }


@dataclass(frozen=True)
class DesiredState:
    """The host state Countersign wants for one change's head commit."""

    head_sha: str
    state: str  # pending, success, failure, neutral
    title: str
    description: str
    summary: str
    text: str
    annotations: tuple[Annotation, ...]
    comment: str
    details_url: str
    external_id: str

    @property
    def check_fingerprint(self) -> str:
        return _digest(self.head_sha, self.state, self.title, self.summary, self.text, self.details_url)

    @property
    def annotations_fingerprint(self) -> str:
        return _digest(self.head_sha, *(json.dumps(a.as_github(), sort_keys=True) for a in self.annotations))

    @property
    def comment_fingerprint(self) -> str:
        return _digest(self.comment)

    @property
    def fingerprint(self) -> str:
        return _digest(self.check_fingerprint, self.annotations_fingerprint, self.comment_fingerprint)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def title_of(facts: ChangeFacts, state: str) -> str:
    """One line, as the merge box shows it: "Needs 1 senior sign-off: AI-assisted change by an L3 author"."""
    who = ""
    if facts.ai_assisted:
        who = "AI-assisted change" + (f" by an L{facts.author_level} author" if facts.author_level else "")
    failing = [g.name for g in facts.gates if g.status == "fail" and not g.overridden]
    if facts.review_state == "pending_policy":
        title = "Waiting for the diff and the policy"
    elif facts.review_state == "gates_failed":
        title = f"Gates failing: {', '.join(failing) or 'see details'}; back to the author"
    elif facts.review_state == "changes_requested":
        title = "A senior requested changes"
    elif facts.review_state == "awaiting_attestation":
        title = "Waiting for the author's self-review attestation"
    elif state == SUCCESS:
        title = "Signed off: the policy is met"
    elif state == NEUTRAL:
        title = "No sign-off required"
    else:
        title = f"Needs {_plural(max(1, facts.required_sign_offs), 'senior sign-off')}"
        title += f": {who}" if who else ""
    if state == PENDING and who and facts.review_state != "needs_sign_off":
        title += f" ({who})"
    return title[:MAX_TITLE]


def annotations_of(facts: ChangeFacts) -> tuple[Annotation, ...]:
    """Gate findings that name a file of the change (and a line where they do) as annotations, worst first."""
    found: list[Annotation] = []
    for gate in facts.gates:
        level = "warning" if gate.overridden and gate.status == "fail" else LEVEL_OF.get(gate.status, "notice")
        title = f"{gate.name}: {gate.status}" + (" (overridden by a senior)" if gate.overridden else "")
        for detail in gate.details:
            match = _LINE.match(detail)
            if match and match["path"] in facts.paths and int(match["line"]) > 0:
                found.append(Annotation(match["path"], int(match["line"]), level, title, match["message"].strip()))
                continue
            match = _FILE.match(detail)
            if match and match["path"] in facts.paths:
                found.append(Annotation(match["path"], 1, level, title, f"{gate.message}\n{detail}".strip()))
    rank = {"failure": 0, "warning": 1, "notice": 2}
    found.sort(key=lambda a: (rank[a.level], a.path, a.line))
    return tuple(found[:MAX_ANNOTATIONS_TOTAL])


def _cap(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 40].rstrip() + "\n\n… (cut: see the change page)"


def summary_of(facts: ChangeFacts, state: str, title: str) -> str:
    """The Markdown the check run and the summary comment share: requirement, assignees, gates, risk, AI, link."""
    lines = [f"**{title}**", ""]
    lines.append("### What the policy requires")
    lines += [f"- {r}" for r in facts.policy_reasons] or ["- Nothing beyond the usual review."]
    if facts.policy_missing:
        lines += ["", "Still missing:"] + [f"- {m}" for m in facts.policy_missing]
    lines += ["", "### Who reviews"]
    lines += [f"- {a.name} (L{a.level}): {a.reason}" for a in facts.assignees] or ["- Nobody assigned yet."]
    lines += ["", "### Gates"]
    for gate in facts.gates:
        mark = {"pass": "✅", "warn": "⚠️", "fail": "❌"}.get(gate.status, "•")
        note = " (overridden by a senior)" if gate.overridden else ""
        lines.append(f"- {mark} **{gate.name}**{note}: {gate.message}")
    if not facts.gates:
        lines.append("- No gate has run yet.")
    lines += ["", f"### Risk: {facts.risk_score:.2f}"]
    lines += [f"- {r}" for r in facts.risk_reasons[:5]]
    lines += ["", "### AI assistance", "- " + ("AI-assisted" if facts.ai_assisted else "Not detected as AI-assisted")]
    lines += [f"- {e}" for e in facts.ai_evidence[:5]]
    lines += ["", f"[Open the change in Countersign to sign off]({facts.details_url})"]
    return _cap("\n".join(lines))


def desired_state(facts: ChangeFacts) -> DesiredState:
    """The desired host state for the change's head commit."""
    state = STATE_OF.get(facts.review_state, PENDING)
    title = title_of(facts, state)
    summary = summary_of(facts, state, title)
    text = "\n".join(f"- {g.name}: {d}" for g in facts.gates for d in g.details)
    comment = _cap(f"{MARKER.format(change_id=facts.change_id)}\n## Countersign sign-off\n\n{summary}")
    description = title if len(title) <= MAX_DESCRIPTION else title[: MAX_DESCRIPTION - 1] + "…"
    return DesiredState(
        head_sha=facts.head_sha,
        state=state,
        title=title,
        description=description,
        summary=summary,
        text=_cap(text),
        annotations=annotations_of(facts),
        comment=comment,
        details_url=facts.details_url,
        external_id=str(facts.change_id),
    )


def has_marker(body: object, change_id: int) -> bool:
    """True when a comment is the summary comment of this change (found again after its id was lost)."""
    return isinstance(body, str) and body.startswith(MARKER.format(change_id=change_id))
