"""Detect AI assistance from commit trailers, messages and identities (pure; addresses and tool names as data).

What counts: an address or link of an AI tool in any trailer-like line of any commit (anywhere in the
message: squash merges keep the branch commits' trailers in a middle paragraph); an `Assisted-by:`,
`Generated-by:` or `Made-with:` line that names a known tool (the Linux kernel's `Assisted-by: AGENT:MODEL`);
a "Generated with <tool link>" line; a sentence crediting an unambiguous tool name or an LLM with part of the
work ("partially achieved using an LLM-based agent"); an AI tool as author or committer. A person may be called
Claude, so a name alone in `Co-authored-by:` never counts. Every list is a `Vocabulary`: the built-in one below,
extended by the admin's entries (reviews.models.AiVocabularyEntry, read by intake.selectors.ai_vocabulary).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Domains only tools send from. A vendor's own domain (anthropic.com, openai.com, cursor.com, x.ai) is also its
# staff's work address: an engineer at Anthropic is a person, so only the tools' exact addresses count there.
AI_EMAIL_DOMAINS = ("claude.ai", "claude.com", "chatgpt.com", "aider.chat")
# Hosts a "Generated with <link>" line may point to.
AI_LINK_HOSTS = (*AI_EMAIL_DOMAINS, "anthropic.com", "openai.com", "cursor.com", "x.ai", "windsurf.com", "devin.ai")
# Shell patterns of addresses (lower-case); GitHub's noreply addresses may start with "<id>+".
AI_EMAIL_GLOBS = (
    "noreply@anthropic.com",
    "claude@anthropic.com",
    "noreply@openai.com",
    "codex@openai.com",
    "cursoragent@cursor.com",
    "grok@x.ai",
    "noreply@codeium.com",
    "amp@ampcode.com",
    "copilot@users.noreply.github.com",
    "*+copilot@users.noreply.github.com",
    "copilot@github.com",
    "cursoragent@users.noreply.github.com",
    "*+cursoragent@users.noreply.github.com",
    "*devin-ai-integration[bot]@users.noreply.github.com",
    "*copilot-swe-agent[bot]@users.noreply.github.com",
    "*claude[bot]@users.noreply.github.com",
    "*cursor[bot]@users.noreply.github.com",
    "*codex[bot]@users.noreply.github.com",
    "*chatgpt-codex-connector[bot]@users.noreply.github.com",
    "*gemini-code-assist[bot]@users.noreply.github.com",
    "*google-labs-jules[bot]@users.noreply.github.com",
    "*openhands*@users.noreply.github.com",
    "*sweep-ai[bot]@users.noreply.github.com",
    # Bots that write code or documentation with a model and sign it as co-author (seen in public histories).
    "*codeflash-ai[bot]@users.noreply.github.com",
    "*hyperlint-ai[bot]@users.noreply.github.com",
    "*coderabbitai[bot]@users.noreply.github.com",
    "*sourcery-ai[bot]@users.noreply.github.com",
    "*ellipsis-dev[bot]@users.noreply.github.com",
    "*amazon-q-developer[bot]@users.noreply.github.com",
)
# Tool names an Assisted-by / Generated-by / Made-with line may give instead of an address.
AI_TOOL_NAMES = (
    "claude",
    "claude code",
    "copilot",
    "github copilot",
    "cursor",
    "chatgpt",
    "gpt",
    "openai",
    "codex",
    "gemini",
    "devin",
    "aider",
    "windsurf",
    "jules",
    "grok",
    "amp",
    "qwen",
    "deepseek",
    "llama",
    "mistral",
    "openhands",
    "kiro",
)
TOOL_TRAILER_KEYS = ("assisted-by", "generated-by", "made-with", "ai-assisted-by", "co-developed-by")
ADDRESS_TRAILER_KEYS = ("co-authored-by", *TOOL_TRAILER_KEYS)
# Accounts that open changes themselves (agent-opened, not a person's AI-assisted change).
AGENT_ACCOUNTS = (
    "copilot-swe-agent[bot]",
    "devin-ai-integration[bot]",
    "claude[bot]",
    "cursor[bot]",
    "chatgpt-codex-connector[bot]",
    "google-labs-jules[bot]",
    "openhands-agent",
)
# Review bots: their reviews are findings, never sign-offs.
AI_REVIEWERS = (
    "coderabbitai[bot]",
    "copilot-pull-request-reviewer[bot]",
    "copilot",
    "gemini-code-assist[bot]",
    "sourcery-ai[bot]",
    "cursor[bot]",
    "greptile-apps[bot]",
    "qodo-merge-pro[bot]",
    "ellipsis-dev[bot]",
    "chatgpt-codex-connector[bot]",
    "claude[bot]",
)
# Well-known automation that is not AI assistance.
NON_AI_BOTS = re.compile(r"(dependabot|renovate|github-actions|snyk-bot|pre-commit-ci)", re.IGNORECASE)

_TRAILER_RE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z-]{1,39}):\s*(?P<value>.{1,500})$")
_EMAIL_RE = re.compile(r"<([^<>\s]{3,320})>|\b([^<>\s@]{1,64}@[^<>\s@]{1,255}\.[a-z]{2,})\b", re.IGNORECASE)
_URL_RE = re.compile(r"https?://[^\s<>()\[\]]{1,300}")
# The kernel's documented form, AGENT:MODEL [TOOL]...: a colon-joined pair names a tool whatever its name.
_AGENT_MODEL_RE = re.compile(r"^[A-Za-z][\w.-]{0,60}:[\w.-]{1,80}(\s+\[[^\]]{1,60}\])*\s*$")
_GENERATED_RE = re.compile(r"(?i)\b(generated|created|written|made|co-authored)\s+(with|by|using)\b")
# Tools named in running prose. Only names that are not also ordinary words or code terms ("cursor", "amp",
# "grok", "jules" and "devin" are, so a prose credit to them needs a trailer or an address instead).
PROSE_TOOLS = (
    r"(?:claude(?: code)?|chatgpt|gpt-?[345][\w.-]*|gemini(?: cli| code assist)?|(?:github )?copilot|"
    r"openai codex|deepseek|qwen|windsurf|an? (?:llm|ai)(?:[- ]based)?(?: coding)?(?: agent| assistant| tool| model)?|"
    r"(?:an? )?llm(?:[- ]based)?(?: coding)? (?:agent|assistant|tool)|ai (?:coding )?(?:agent|assistant))"
)
# A sentence that credits such a tool with part of the work: "partially achieved using an LLM-based agent",
# "written with help from Claude", "thanks to Gemini for one of the test cases", "I used ChatGPT to draft". A tool
# that is the subject of the change ("this helps the LLM self-correct", "instructions for Gemini CLI") is not.
_PROSE_CREDIT_RE = re.compile(
    rf"(?i)\b(?:(?:written|generated|produced|achieved|done|drafted|created|implemented|refactored|ported|"
    rf"converted|authored|assisted|prepared)\s+(?:\w+\s+){{0,2}}?(?:with|by|using|via)\s+(?:the\s+)?(?:help\s+of\s+)?"
    rf"{PROSE_TOOLS}|with\s+(?:the\s+)?help\s+(?:of|from)\s+{PROSE_TOOLS}|thanks\s+to\s+{PROSE_TOOLS}\s+for|"
    rf"(?:i|we)\s+(?:used|asked)\s+{PROSE_TOOLS}\s+to\s+(?:write|generate|draft|implement|refactor|port|convert|"
    rf"produce|create|fix|rewrite))\b"
)


@dataclass(frozen=True)
class Vocabulary:
    """The addresses, domains, tool names and accounts detection knows."""

    domains: tuple[str, ...] = AI_EMAIL_DOMAINS
    address_globs: tuple[str, ...] = AI_EMAIL_GLOBS
    tool_names: tuple[str, ...] = AI_TOOL_NAMES
    tool_keys: tuple[str, ...] = TOOL_TRAILER_KEYS
    agent_accounts: tuple[str, ...] = AGENT_ACCOUNTS
    ai_reviewers: tuple[str, ...] = AI_REVIEWERS

    def extended(self, **extra: Iterable[str]) -> Vocabulary:
        """This vocabulary with more entries per field (lower-cased, duplicates dropped)."""
        values = {
            name: tuple(dict.fromkeys([*getattr(self, name), *(v.strip().lower() for v in more if v.strip())]))
            for name, more in extra.items()
        }
        return Vocabulary(**{**self.__dict__, **values})

    def tool_name_re(self) -> re.Pattern[str]:
        names = "|".join(sorted((re.escape(n) for n in self.tool_names), key=len, reverse=True))
        # The tool, then nothing, a model after ':' or '-', a version, a link or an address: "Claude Shannon" is not.
        return re.compile(
            rf"(?i)^(?:{names})(?:[ -](?:code|agent|cli|chat|assistant|ai|pro|flash|sonnet|opus|haiku))?"
            rf"(?:[:/ -]?[\w.:/-]*\d[\w.:/-]*|:[\w.-]+)?(?: (?:pro|flash|mini|turbo|preview|max))?"
            rf"\s*(?:\[[^\]]*\]\s*)*(?:\([^)]*\)|<[^>]*>)?\s*$"
        )


DEFAULT_VOCABULARY = Vocabulary()


@dataclass(frozen=True)
class AiDetection:
    """Whether a change is AI-assisted (and whether an agent opened it), how sure we are, and the evidence."""

    assisted: bool
    confidence: float
    evidence: tuple[str, ...] = field(default_factory=tuple)
    agent_opened: bool = False


def is_ai_email(email: str, vocabulary: Vocabulary = DEFAULT_VOCABULARY) -> bool:
    """True when an e-mail address belongs to an AI coding tool."""
    email = email.strip().lower()
    if not email or NON_AI_BOTS.search(email):
        return False
    if any(_glob(email, g) for g in vocabulary.address_globs):
        return True
    return "@" in email and _is_ai_domain(email.rpartition("@")[2], vocabulary)


def _glob(text: str, pattern: str) -> bool:
    """'*' matches anything; every other character itself (brackets too: "[bot]" is literal)."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), text) is not None


def _is_link_host(host: str) -> bool:
    host = host.lower().strip(".")
    return bool(host) and any(host == d or host.endswith("." + d) for d in AI_LINK_HOSTS)


def _is_ai_domain(domain: str, vocabulary: Vocabulary = DEFAULT_VOCABULARY) -> bool:
    domain = domain.lower().strip(".")
    return bool(domain) and any(domain == d or domain.endswith("." + d) for d in vocabulary.domains)


def trailers(message: str) -> list[tuple[str, str]]:
    """The (key, value) trailer-like lines of a commit message, in any paragraph after the subject."""
    lines = message.strip().splitlines()
    found = []
    for line in lines[1:]:
        match = _TRAILER_RE.match(line.strip())
        if match:
            found.append((match["key"].lower(), match["value"].strip()))
    return found


def is_agent_account(login: str, vocabulary: Vocabulary = DEFAULT_VOCABULARY) -> bool:
    """The account is an agent that opens changes itself (login, or its noreply address)."""
    login = login.strip().lower()
    name = login.partition("@")[0].rpartition("+")[2] if login.endswith("@users.noreply.github.com") else login
    return name in vocabulary.agent_accounts


def is_ai_reviewer(login: str, vocabulary: Vocabulary = DEFAULT_VOCABULARY) -> bool:
    """The account is an AI review bot: its reviews are findings, never sign-offs."""
    return login.strip().lower() in vocabulary.ai_reviewers


def _addresses(value: str) -> list[str]:
    return [a or b for a, b in _EMAIL_RE.findall(value)]


def detect_ai(
    messages: Iterable[str],
    identities: Iterable[str] = (),
    *,
    branch: str = "",
    labels: Iterable[str] = (),
    declared: bool | None = None,
    opener: str = "",
    vocabulary: Vocabulary = DEFAULT_VOCABULARY,
) -> AiDetection:
    """Weigh trailers, generated-with lines, author/committer e-mails, branch prefix, labels, the opening account
    and the author's declaration."""
    evidence: list[str] = []
    score = 0.0
    tool_name = vocabulary.tool_name_re()
    for message in messages:
        for key, value in trailers(message):
            if key not in ADDRESS_TRAILER_KEYS or NON_AI_BOTS.search(value):
                continue
            hosts = [urlsplit(url).hostname or "" for url in _URL_RE.findall(value)]
            if any(is_ai_email(a, vocabulary) for a in _addresses(value) or [value]) or any(
                _is_link_host(h) for h in hosts
            ):
                evidence.append(f"trailer {key.title()}: {value[:120]}")
                score = max(score, 0.95)
            elif key in vocabulary.tool_keys and (tool_name.match(value) or _AGENT_MODEL_RE.match(value)):
                evidence.append(f"trailer {key.title()} names a tool: {value[:120]}")
                score = max(score, 0.9)
            elif key != "co-authored-by":
                evidence.append(f"trailer {key.title()} names no known tool, not counted: {value[:100]}")
                score = max(score, 0.3)
        for line in message.splitlines()[1:]:
            if _GENERATED_RE.search(line) and any(
                _is_link_host(urlsplit(u).hostname or "") for u in _URL_RE.findall(line)
            ):
                evidence.append(f"message: {line.strip()[:120]}")
                score = max(score, 0.95)
        credit = _PROSE_CREDIT_RE.search(" ".join(message.split()[0:4000]))
        if credit:
            evidence.append(f"message credits a tool: {credit.group(0)[:120]}")
            score = max(score, 0.8)
    for identity in identities:
        if is_ai_email(identity, vocabulary):
            evidence.append(f"AI identity as author or committer: {identity[:120]}")
            score = max(score, 0.95)
    agent = bool(opener) and is_agent_account(opener, vocabulary)
    if agent:
        evidence.append(f"opened by the agent account {opener[:80]}")
        score = 1.0
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
    unique = tuple(dict.fromkeys(evidence))
    return AiDetection(assisted=score >= 0.5, confidence=round(score, 2), evidence=unique, agent_opened=agent)
