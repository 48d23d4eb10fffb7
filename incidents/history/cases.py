"""A repository's history as main-line changes, and the incidents of known cause it holds (pure).

The main line is the default branch's first-parent chain; each of its commits is one change (a merge commit
brings its branch commits with it). A revert anywhere (on the main line, or inside a branch that was merged
later) takes effect when it reaches the main line; its culprit is the change that brought the reverted commit
there. A fix that is not a revert, whose message says which earlier change introduced the bug, is a case for
the fix-known mode (the message names the answer, so the ranking never reads it: only the fix's diff speaks).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from intake.gitnames import canonical_address, is_bot_author

_REVERT_RE = re.compile(r"\bThis reverts commit ([0-9a-fA-F]{7,40})\b")
_REVERT_TITLE_RE = re.compile(r"^Revert\b|^\[revert\]|^revert:", re.IGNORECASE)
# What GitHub's "Revert" button writes: a pull request titled 'Revert "<title>"' whose body says
# "Reverts owner/repo#N"; squash-merged, the title gains " (#M)" and the quoted title may keep the original's "(#N)".
_REVERTS_NUMBER_RE = re.compile(r"(?m)^\s*Reverts\s+(?:[\w.-]+/[\w.-]+)?#(\d{1,7})\b")
_QUOTED_REVERT_RE = re.compile(r'^Revert\s+"(.+)"(?:\s*\(#\d+\))?\s*$')
# Numbers under which a change is known: a GitHub pull request (merge commit or squash title) or a Gerrit CL.
_PR_MERGE_RE = re.compile(r"^Merge pull request #(\d+)\b")
_PR_TITLE_RE = re.compile(r"\(#(\d+)\)\s*$")
_GERRIT_RE = re.compile(r"(?m)^Reviewed-on: https?://[^\s]+/\+/(\d+)\s*$")
# A fix that says which change introduced what it fixes.
_BLAME_PHRASE = (
    r"(?:introduced (?:in|by|with)|regression (?:from|in|since|introduced (?:in|by))|regressed (?:in|by)|"
    r"caused by|broken (?:by|in|since)|broke (?:in|with)|bug (?:from|in)|since|follow[- ]?up (?:to|for|of|on)|"
    r"fixup (?:of|for)|fixes:)"
)
_CULPRIT_SHA_RE = re.compile(rf"(?i)\b{_BLAME_PHRASE}\s*:?\s*(?:commit\s+)?([0-9a-f]{{7,40}})\b")
_CULPRIT_NUMBER_RE = re.compile(
    rf"(?i)\b{_BLAME_PHRASE}\s*:?\s*(?:#|(?:PR|pull request|gh-?|CL)\s*#?|https?://\S+/(?:pull|\+)/)(\d{{1,7}})\b"
)
_FIXISH_RE = re.compile(r"(?i)\b(fix(e[sd])?|bug|regression|broke|broken|crash|issue)\b")


@dataclass(frozen=True)
class Commit:
    """One commit as git records it."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    at: datetime  # committed
    message: str

    @property
    def title(self) -> str:
        return (self.message.strip().splitlines() or [""])[0]


@dataclass(frozen=True)
class MainChange:
    """A main-line commit with the branch commits it brought, who wrote it, and its files against its parent."""

    index: int
    sha: str
    at: datetime
    title: str
    message: str
    author: str  # the credited author's address (the pull request's author for a merge commit), canonical
    author_name: str
    paths: tuple[str, ...] = ()
    lines: int = 0
    branch: tuple[str, ...] = ()  # SHAs of the branch commits it brought (merge commits only)
    branch_messages: tuple[str, ...] = ()
    identities: tuple[str, ...] = ()  # author e-mails of the commit and its branch commits
    number: int | None = None  # pull request or CL number

    @property
    def is_bot(self) -> bool:
        return is_bot_author(self.author_name, self.author)

    @property
    def is_revert(self) -> bool:
        return bool(
            _REVERT_RE.search(self.message)
            or _REVERT_TITLE_RE.search(self.title)
            or _REVERT_TITLE_RE.search(self.pr_title)
            or _REVERTS_NUMBER_RE.search(self.message)
        )

    @property
    def pr_title(self) -> str:
        """The pull request's title: a merge commit's first body line, or a squash title without its "(#N)"."""
        if _PR_MERGE_RE.search(self.title):
            body = [line.strip() for line in self.message.strip().splitlines()[1:] if line.strip()]
            return body[0] if body else ""
        return _PR_TITLE_RE.sub("", self.title).strip()


def change_number(commit: Commit) -> int | None:
    """The pull request or CL number a main-line commit landed, if its message says."""
    for pattern in (_PR_MERGE_RE, _PR_TITLE_RE):
        match = pattern.search(commit.title)
        if match:
            return int(match[1])
    match = _GERRIT_RE.search(commit.message)
    return int(match[1]) if match else None


def main_line(
    commits: Iterable[Commit], head: str, files: Mapping[str, tuple[tuple[str, ...], int]] | None = None
) -> tuple[list[MainChange], dict[str, int]]:
    """The main-line changes, oldest first, and for every commit reachable from head the index of the change
    that brought it to the main line. `files`: paths and changed lines of each main-line commit (first parent)."""
    by_sha = {c.sha: c for c in commits}
    chain: list[str] = []
    sha: str | None = head
    while sha and sha in by_sha:
        chain.append(sha)
        parents = by_sha[sha].parents
        sha = parents[0] if parents else None
    chain.reverse()
    landed: dict[str, int] = {}
    changes: list[MainChange] = []
    files = files or {}
    for index, sha in enumerate(chain):
        commit = by_sha[sha]
        landed[sha] = index
        branch: list[Commit] = []
        stack = list(commit.parents[1:])
        while stack:
            current = stack.pop()
            if current in landed or current not in by_sha:
                continue
            landed[current] = index
            branch.append(by_sha[current])
            stack.extend(by_sha[current].parents)
        authored = [c for c in branch if len(c.parents) < 2] or [commit]
        counts = Counter(canonical_address(c.author_email) for c in authored)
        tip = by_sha[commit.parents[1]] if len(commit.parents) > 1 and commit.parents[1] in by_sha else commit
        # The pull request's author: who wrote most of its commits; the branch tip's author breaks a tie.
        author = max(counts, key=lambda e: (counts[e], e == canonical_address(tip.author_email)))
        name = next(
            (c.author_name for c in authored if canonical_address(c.author_email) == author),
            commit.author_name,
        )
        paths, lines = files.get(sha, ((), 0))
        changes.append(
            MainChange(
                index=index,
                sha=sha,
                at=commit.at,
                title=commit.title,
                message=commit.message,
                author=author,
                author_name=name,
                paths=tuple(paths),
                lines=lines,
                branch=tuple(c.sha for c in branch),
                branch_messages=tuple(c.message for c in branch),
                identities=tuple(
                    dict.fromkeys([commit.author_email.lower(), *(c.author_email.lower() for c in branch)])
                ),
                number=change_number(commit),
            )
        )
    return changes, landed


@dataclass(frozen=True)
class Case:
    """An incident of known cause: when its evidence landed, the culprit change, how it was found."""

    kind: str  # "revert" or "fix"
    evidence: int  # index of the change that reverts or fixes
    culprit: int  # index of the culprit change
    at: datetime  # when the revert or fix reached the main line
    note: str = ""


@dataclass
class Cases:
    """Cases found, and what was passed over, with the reason."""

    cases: list[Case] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (sha, reason)


def _resolve(prefix: str, landed: Mapping[str, int], shas: Sequence[str]) -> int | None:
    prefix = prefix.lower()
    if prefix in landed:
        return landed[prefix]
    found = [s for s in shas if s.startswith(prefix)] if len(prefix) >= 7 else []
    return landed[found[0]] if len(found) == 1 else None


def revert_cases(changes: Sequence[MainChange], landed: Mapping[str, int], messages: Mapping[str, str]) -> Cases:
    """Every revert (main-line or branch commit) as a case: effective when it reached the main line, its culprit
    the change that brought the reverted commit. `messages`: every commit's message, by SHA."""
    result = Cases()
    shas = sorted(landed)
    for sha in sorted(messages, key=lambda s: (landed.get(s, -1), s)):
        if sha not in landed:
            continue
        match = _REVERT_RE.search(messages[sha])
        if not match:
            continue
        evidence = landed[sha]
        culprit = _resolve(match[1], landed, shas)
        if culprit is None:
            result.skipped.append((sha, f"reverts {match[1][:10]}, which is not on the main line"))
        elif culprit == evidence:
            result.skipped.append((sha, "reverts a commit of the same change: it never reached the main line alone"))
        elif culprit > evidence:
            result.skipped.append((sha, "reverts a change that reached the main line later"))
        else:
            where = "main line" if changes[evidence].sha == sha else "branch commit"
            result.cases.append(Case("revert", evidence, culprit, changes[evidence].at, where))
    # Reverts that name a pull request rather than a commit; then the first revert of each culprit counts.
    by_pr = pr_revert_cases(changes, result)
    result.skipped += by_pr.skipped
    seen: set[int] = set()
    cases = []
    for case in sorted(result.cases + by_pr.cases, key=lambda c: (c.evidence, c.culprit)):
        if case.culprit in seen:
            result.skipped.append((changes[case.evidence].sha, "reverts a change already reverted once"))
            continue
        seen.add(case.culprit)
        cases.append(case)
    result.cases = cases
    return result


def _pr_revert_culprit(
    change: MainChange, by_number: Mapping[int, int], by_title: Mapping[str, list[int]]
) -> tuple[int | None, str]:
    """The change a GitHub revert pull request reverts, by the number it names or the title it quotes."""
    match = _REVERTS_NUMBER_RE.search(change.message)
    if match and int(match[1]) in by_number:
        return by_number[int(match[1])], "reverts #N"
    quoted = _QUOTED_REVERT_RE.match(change.pr_title) or _QUOTED_REVERT_RE.match(change.title)
    if not quoted:
        return None, ""
    inner = quoted[1].strip()
    number = _PR_TITLE_RE.search(inner)
    if number and int(number[1]) in by_number:
        return by_number[int(number[1])], "quoted title with #N"
    earlier = [i for i in by_title.get(_PR_TITLE_RE.sub("", inner).strip(), []) if i < change.index]
    return (earlier[-1], "quoted title") if earlier else (None, "")


def pr_revert_cases(changes: Sequence[MainChange], known: Cases) -> Cases:
    """Main-line reverts that name no commit ('Reverts owner/repo#N', 'Revert "<title>" (#M)'): the culprit is the
    change landed under that number, or else the latest earlier change with the quoted title. Changes that already
    are a case's evidence (in `known`) are left out."""
    result = Cases()
    by_number = {c.number: c.index for c in changes if c.number is not None}
    by_title: dict[str, list[int]] = {}
    for c in changes:
        if not c.is_revert and c.pr_title:
            by_title.setdefault(c.pr_title, []).append(c.index)
    evidence = {c.evidence for c in known.cases}
    for change in changes:
        if change.index in evidence or not change.is_revert:
            continue
        culprit, how = _pr_revert_culprit(change, by_number, by_title)
        if culprit is None:
            continue
        if culprit >= change.index:
            result.skipped.append((change.sha, "reverts a change that reached the main line later"))
        else:
            result.cases.append(Case("revert", change.index, culprit, change.at, f"pull request ({how})"))
    return result


def fix_cases(changes: Sequence[MainChange], landed: Mapping[str, int]) -> Cases:
    """Fixes that are not reverts and whose message names the change that introduced the bug."""
    result = Cases()
    by_number = {c.number: c.index for c in changes if c.number is not None}
    shas = sorted(landed)
    for change in changes:
        if change.is_revert:
            continue
        text = "\n".join([change.message, *change.branch_messages])
        if not _FIXISH_RE.search(text):
            continue
        culprit = None
        for match in _CULPRIT_SHA_RE.finditer(text):
            culprit = _resolve(match[1], landed, shas)
            if culprit is not None:
                break
        if culprit is None:
            for match in _CULPRIT_NUMBER_RE.finditer(text):
                culprit = by_number.get(int(match[1]))
                if culprit is not None:
                    break
        if culprit is None:
            continue
        if culprit >= change.index:
            result.skipped.append((change.sha, "names a change that is not earlier"))
            continue
        result.cases.append(Case("fix", change.index, culprit, change.at, "message names the culprit"))
    return result


def top_folders(paths: Iterable[str]) -> tuple[str, ...]:
    """Top-level folders of the paths ('' for files at the root)."""
    return tuple(sorted({p.split("/", 1)[0] if "/" in p else "" for p in paths}))


def reach(case: Case, changes: Sequence[MainChange], *, lead: timedelta, window: timedelta) -> tuple[datetime, str]:
    """The incident's start (a fixed lead before the revert or fix) and why the culprit is out of reach ('')."""
    start = case.at - lead
    culprit = changes[case.culprit]
    if culprit.at > start:
        return start, "merged after the incident start"
    if start - culprit.at > window:
        return start, f"merged more than {window.days} days before the start"
    return start, ""
