"""Detect AI assistance from commit trailers and identities (pure; e-mail addresses, never names alone)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Addresses and domains that AI coding tools put in trailers or use as identities.
AI_EMAIL_DOMAINS = (
    "claude.ai",
    "claude.com",
    "chatgpt.com",
    "anthropic.com",
    "openai.com",
    "cursor.com",
    "cursor.sh",
    "aider.chat",
    "codeium.com",
    "windsurf.com",
)
AI_EMAIL_PATTERNS = (
    re.compile(r"^\d*\+?copilot@users\.noreply\.github\.com$"),
    re.compile(r"^copilot@github\.com$"),
    re.compile(
        r"^\d*\+?(devin-ai-integration|copilot-swe-agent|claude|cursor|codex|gemini-code-assist|google-labs-jules)\[bot\]@users\.noreply\.github\.com$"
    ),
)
# Well-known automation that is not AI assistance.
NON_AI_BOTS = re.compile(r"(dependabot|renovate|github-actions|snyk-bot|pre-commit-ci)", re.IGNORECASE)

TRAILER_KEYS = ("co-authored-by", "assisted-by", "generated-by", "made-with")
_TRAILER_RE = re.compile(r"^(?P<key>[A-Za-z-]{2,40}):\s*(?P<value>.{1,500})$")
_EMAIL_RE = re.compile(r"<([^<>\s]{3,320})>")
_URL_RE = re.compile(r"https?://[^\s<>()]{1,300}")


@dataclass(frozen=True)
class AiDetection:
    """Whether a change is AI-assisted, how sure we are, and the evidence."""

    assisted: bool
    confidence: float
    evidence: tuple[str, ...] = field(default_factory=tuple)


def is_ai_email(email: str) -> bool:
    """True when an e-mail address belongs to an AI coding tool."""
    email = email.strip().lower()
    if not email or NON_AI_BOTS.search(email):
        return False
    if any(p.match(email) for p in AI_EMAIL_PATTERNS):
        return True
    return _is_ai_domain(email.rpartition("@")[2])


def _is_ai_domain(domain: str) -> bool:
    domain = domain.lower().strip(".")
    return bool(domain) and any(domain == d or domain.endswith("." + d) for d in AI_EMAIL_DOMAINS)


def trailers(message: str) -> list[tuple[str, str]]:
    """The (key, value) trailers of a commit message's last paragraph."""
    paragraphs = [p for p in re.split(r"\n\s*\n", message.strip()) if p.strip()]
    if len(paragraphs) < 2:
        return []
    found = []
    for line in paragraphs[-1].splitlines():
        match = _TRAILER_RE.match(line.strip())
        if match:
            found.append((match["key"].lower(), match["value"].strip()))
    return found


def detect_ai(
    messages: Iterable[str],
    identities: Iterable[str] = (),
    *,
    branch: str = "",
    labels: Iterable[str] = (),
    declared: bool | None = None,
) -> AiDetection:
    """Weigh trailers, author/committer e-mails, branch prefix, labels and the author's declaration."""
    evidence: list[str] = []
    score = 0.0
    for message in messages:
        for key, value in trailers(message):
            if key not in TRAILER_KEYS:
                continue
            # Only an address or a link of an AI tool counts: a person may be called Claude.
            addresses = _EMAIL_RE.findall(value) or [value.strip()]
            hosts = [urlsplit(url).hostname or "" for url in _URL_RE.findall(value)]
            if any(is_ai_email(a) for a in addresses) or any(_is_ai_domain(h) for h in hosts):
                evidence.append(f"trailer {key.title()}: {value[:120]}")
                score = max(score, 0.95)
            elif key != "co-authored-by" and not NON_AI_BOTS.search(value):
                evidence.append(f"trailer {key.title()} names no tool address, not counted: {value[:100]}")
                score = max(score, 0.3)
    for identity in identities:
        if is_ai_email(identity):
            evidence.append(f"AI identity as author or committer: {identity[:120]}")
            score = max(score, 0.95)
    prefix = branch.split("/", 1)[0].lower() if "/" in branch else ""
    if prefix in ("copilot", "claude", "cursor", "codex", "devin", "aider", "jules"):
        evidence.append(f"branch prefix {prefix}/")
        score = max(score, 0.7)
    for label in labels:
        if label.lower() in ("ai-assisted", "ai-generated", "copilot", "ai"):
            evidence.append(f"label {label}")
            score = max(score, 0.9)
    if declared:
        evidence.append("declared by the author")
        score = 1.0
    # Keep evidence unique and in the order seen.
    unique = tuple(dict.fromkeys(evidence))
    return AiDetection(assisted=score >= 0.5, confidence=round(score, 2), evidence=unique)
