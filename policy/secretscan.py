"""Secrets in added lines: detect-secrets' detectors, a few more formats, and heuristics (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from detect_secrets.filters.heuristic import (
    is_indirect_reference,
    is_likely_id_string,
    is_not_alphanumeric_string,
    is_potential_uuid,
    is_prefixed_with_dollar_sign,
    is_sequential_string,
    is_templated_secret,
)
from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.cloudant import CloudantDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.high_entropy_strings import (
    Base64HighEntropyString,
    HexHighEntropyString,
    HighEntropyStringsPlugin,
)
from detect_secrets.plugins.ibm_cloud_iam import IbmCloudIamDetector
from detect_secrets.plugins.ibm_cos_hmac import IbmCosHmacDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.keyword import (
    QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
    REGEX_BY_FILETYPE,
    KeywordDetector,
)
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.softlayer import SoftlayerDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector
from detect_secrets.util.filetype import determine_file_type

# Formats that are credentials whatever the context: a hit fails the gate.
_CERTAIN_PLUGINS: tuple[BasePlugin, ...] = (
    AWSKeyDetector(),
    ArtifactoryDetector(),
    AzureStorageKeyDetector(),
    CloudantDetector(),
    DiscordBotTokenDetector(),
    GitHubTokenDetector(),
    GitLabTokenDetector(),
    IbmCloudIamDetector(),
    IbmCosHmacDetector(),
    JwtTokenDetector(),
    MailchimpDetector(),
    NpmDetector(),
    OpenAIDetector(),
    PrivateKeyDetector(),
    PypiTokenDetector(),
    SendGridDetector(),
    SlackDetector(),
    SoftlayerDetector(),
    SquareOAuthDetector(),
    StripeDetector(),
    TelegramBotTokenDetector(),
    TwilioKeyDetector(),
)

# Patterns detect-secrets 1.5 misses or matches too narrowly (github_pat_, Google keys, encrypted PEM, longer Stripe
# keys): (kind, pattern).
_EXTRA_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Private Key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----")),
    ("AWS Access Key", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")),
    ("GitHub Token", re.compile(r"(?<![A-Za-z0-9_])(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}(?![A-Za-z0-9_])")),
    ("GitHub Token", re.compile(r"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,255}(?![A-Za-z0-9_])")),
    ("Slack Token", re.compile(r"(?<![A-Za-z0-9])xox[baprs]-\d+-[A-Za-z0-9-]{8,250}")),
    ("Google API Key", re.compile(r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])")),
    ("Stripe Access Key", re.compile(r"(?<![A-Za-z0-9_])[rs]k_live_[0-9A-Za-z]{24,247}(?![A-Za-z0-9])")),
)

# Heuristics: a hit is worth a look, not a hard stop (test fixtures hold passwords, code holds hashes).
_KEYWORD = KeywordDetector()
_POSSIBLE_PLUGINS: tuple[BasePlugin, ...] = (
    BasicAuthDetector(),
    Base64HighEntropyString(),
    HexHighEntropyString(),
)
_KEYWORD_HINTS = ("key", "pass", "pwd", "secret", "contras")
# detect-secrets' own way to mark a line as reviewed; it silences heuristics, never a certain format.
_ALLOWLIST_RE = re.compile(r"pragma:\s*allowlist[ -]secret", re.IGNORECASE)
MAX_LINE = 4000
AVERAGE_LINE = 100
_MAX_HEURISTIC_LINE = 512
_MAX_WORD = 64
_LONG_WORD_RE = re.compile(r"\w{65,}")  # longer than _MAX_WORD
_REPEAT_RE = re.compile(r"(.)\1{7}")
_BASE_ANALYZE = RegexBasedDetector.analyze_string


@dataclass(frozen=True)
class _Finding:
    kind: str
    value: str
    certain: bool


def mask_secret(value: str, *, keep: int = 4) -> str:
    """Show at most the first `keep` characters (a format prefix such as AKIA or ghp_) of a secret of 16 or more,
    never its length."""
    return (value[:keep] if keep > 0 and len(value) >= 16 else "") + "********"


def _regex_values(plugin: BasePlugin, line: str) -> Iterator[str]:
    """What a detect-secrets plugin finds on a line, without its analyze_line (which may verify a secret over the
    network when detect-secrets' global settings ask for it: a gate never does that)."""
    if not isinstance(plugin, RegexBasedDetector) or type(plugin).analyze_string is not _BASE_ANALYZE:
        yield from plugin.analyze_string(line)  # e.g. the JWT detector, which also decodes what it found
        return
    for regex in plugin.denylist:
        for match in regex.finditer(line):
            # A group holds the secret (`aws ... key = "<it>"`) unless it is only a prefix (`(ghp|gho)_...`), where
            # detect-secrets would report "ghp" alone.
            groups = [g for g in match.groups() if g]
            longest = max(groups, key=len, default="")
            yield longest if len(longest) >= 8 else match.group(0)


def _certain_findings(line: str) -> list[_Finding]:
    found = []
    for plugin in _CERTAIN_PLUGINS:
        for value in _regex_values(plugin, line):
            if value:
                found.append(_Finding(str(plugin.secret_type), value, True))
    for kind, pattern in _EXTRA_PATTERNS:
        for match in pattern.finditer(line):
            found.append(_Finding(kind, match.group(0), True))
    return [f for f in found if not _is_placeholder(f.value)]


def _is_placeholder(value: str) -> bool:
    """`ghp_xxxxxxxx...` or `sk_live_000...` in documentation: a random token never repeats a character 8 times."""
    return _REPEAT_RE.search(value) is not None


def _is_false_positive(value: str, line: str, plugin: BasePlugin | None) -> bool:
    return (
        is_sequential_string(value)
        or is_potential_uuid(value)
        or is_likely_id_string(value, line, plugin)
        or is_templated_secret(value)
        or is_prefixed_with_dollar_sign(value)
        or is_not_alphanumeric_string(value)
    )


def _possible_findings(path: str, line: str) -> list[_Finding]:
    if _ALLOWLIST_RE.search(line):
        return []
    # detect-secrets' keyword and reference regexes take quadratic time on long lines; shortening the line and
    # every run of word characters keeps a hostile line (say "password" repeated) to a few milliseconds.
    line = _LONG_WORD_RE.sub(lambda m: m.group(0)[:_MAX_WORD], line[:_MAX_HEURISTIC_LINE])
    found = []
    lowered = line.lower()
    if any(hint in lowered for hint in _KEYWORD_HINTS):
        groups = REGEX_BY_FILETYPE.get(determine_file_type(path), QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP)
        for value in _KEYWORD.analyze_string(line, denylist_regex_to_group=groups):
            if value and not _is_false_positive(value, line, _KEYWORD):
                found.append(_Finding(str(_KEYWORD.secret_type), value, False))
    for plugin in _POSSIBLE_PLUGINS:
        if isinstance(plugin, HighEntropyStringsPlugin) and "'" not in line and '"' not in line:
            continue  # detect-secrets only looks at quoted strings
        for value in plugin.analyze_string(line):
            if not value or _is_false_positive(value, line, plugin):
                continue
            if isinstance(plugin, HighEntropyStringsPlugin):
                if plugin.calculate_shannon_entropy(value) <= plugin.entropy_limit:
                    continue
            found.append(_Finding(str(plugin.secret_type), value, False))
    if found and is_indirect_reference(line):
        return []  # `secret = get_secret("name")` names a secret, it does not hold one
    return found


def _distinct(findings: list[_Finding]) -> list[_Finding]:
    """One finding per secret on a line: certain kinds first, then the longest match; overlaps dropped."""
    kept: list[_Finding] = []
    for finding in sorted(findings, key=lambda f: (not f.certain, -len(f.value), f.kind)):
        if not any(finding.value in k.value or k.value in finding.value for k in kept):
            kept.append(finding)
    return kept


def find_secrets(path: str, line: str, *, heuristics: bool = True) -> list[tuple[str, str, bool]]:
    """(kind, secret, certain) for each secret on one line. The secret itself is returned: never show it."""
    line = line[:MAX_LINE]
    findings = _certain_findings(line)
    if heuristics:
        findings += _possible_findings(path, line)
    return [(f.kind, f.value, f.certain) for f in _distinct(findings)]
