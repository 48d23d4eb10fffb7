"""The demo's commits: what one is (CommitSpec), the words its code and messages are made of, and how it is written
to `git fast-import`."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from demo.organisation import Person

AI_TRAILERS = (
    "Co-authored-by: Claude <noreply@anthropic.com>",
    "Co-authored-by: Copilot <198982749+Copilot@users.noreply.github.com>",
    "Co-authored-by: Cursor Agent <cursoragent@cursor.com>",
    "Assisted-by: GitHub Copilot <copilot@github.com>",
    "Generated-by: OpenAI Codex <codex@openai.com>",
)

# A person who happens to be called Claude: a human co-author, not AI assistance.
HUMAN_TRAILER = "Co-authored-by: Claude Martin <claude.martin@countersign.example>"

VERBS = ("Add", "Fix", "Refactor", "Tidy", "Speed up", "Harden", "Rename", "Document", "Handle", "Validate")

OBJECTS = (
    "retry on timeout",
    "rounding of totals",
    "error messages",
    "input validation",
    "logging of failures",
    "cache invalidation",
    "pagination",
    "currency conversion",
    "null handling",
    "feature flag",
    "batch size",
    "connection reuse",
    "rate limit headers",
    "audit fields",
    "edge case on empty input",
)

WORDS = ("order", "amount", "cart", "item", "user", "token", "price", "stock", "query", "route", "limit", "span")

SYMPTOMS = (
    "timeouts under load",
    "wrong totals for some orders",
    "a crash on empty input",
    "stale cache entries",
    "duplicate retries",
    "requests rejected by the rate limiter",
)


@dataclass
class CommitSpec:
    """One commit to write: who, when, what message, and the new content of each touched file."""

    author: Person
    at: datetime
    message: str
    files: dict[str, str | None]
    branch: str = "main"
    opened: datetime | None = None  # when the author wrote it (the pull request opened); `at` is when it merged
    revert_of: int | None = None  # index of the commit this one reverts
    fix_of: int | None = None  # index of the commit this one fixes forward
    is_bad: bool = False


def code_line(rng: random.Random, path: str) -> str:
    """One line of code in the file's language, varied enough to show keywords, strings, numbers and comments.

    It draws the same random numbers whatever the language, so the demo's history stays the same."""
    a, b = rng.choice(WORDS), rng.choice(WORDS)
    n = rng.randint(1, 999)
    ab, kind = f"{a}{b.title()}", n % 4
    if path.endswith(".go"):
        return (
            f"\t{ab} := compute{a.title()}(ctx, {n})",
            f'\tlog.Printf("{a} {b}: %d", {n}) // trace the {b}',
            f"\tif {ab} > {n} {{ return nil, errTooMany{b.title()} }}",
            f"\tvar {ab} int64 = {n}",
        )[kind]
    if path.endswith(".ts"):
        return (
            f"  const {ab} = compute{a.title()}(state, {n});",
            f"  if ({ab} === null) {{ return '{a}-{n}'; }} // no {b} yet",
            f"  let {ab}: number = await fetch{a.title()}({n});",
            f"  export function {ab}(): boolean {{ return {n} > 0; }}",
        )[kind]
    if path.endswith(".tf"):
        return (
            f'  {a}_{b} = "{a}-{n}"',
            f"  {a}_{b}_count = {n} # per {b}",
            f"  enable_{a}_{b} = true",
            f'  tags = {{ owner = "{a}", cost_centre = "{n}" }}',
        )[kind]
    if path.endswith((".yaml", ".yml")):
        return (
            f"  {a}_{b}: {n}",
            f'  {a}_{b}: "{a}-{n}"  # {b} setting',
            f"  {a}_{b}_enabled: true",
            f"  - {a}-{b}-{n}",
        )[kind]
    if path.endswith(".sql"):
        return (
            f"ALTER TABLE {a} ADD COLUMN {b}_{n} integer;",
            f"CREATE INDEX {a}_{b}_{n} ON {a} ({b}); -- speeds up {b} lookups",
            f"UPDATE {a} SET {b} = {n} WHERE {b} IS NULL;",  # noqa: S608 - demo file content, never executed
            f"ALTER TABLE {a} ALTER COLUMN {b} SET DEFAULT '{a}-{n}';",
        )[kind]
    if path.endswith(".css"):
        return f".{a}-{b} {{ margin: {n % 40}px; }}"
    return (
        f"    {a}_{b} = compute_{a}(context, {n})",
        f'    log.info("{a} {b} %s", {n})  # trace the {b}',
        f"    if {a}_{b} is None: return {n}",
        f'    {a}_{b}: str = "{a}-{n}"',
    )[kind]


def edit_lines(rng: random.Random, lines: list[str], path: str, size: int, adds_only: bool = False) -> list[str]:
    lines = list(lines)
    remaining = size
    while remaining > 0:
        op = 0.0 if adds_only else rng.random()
        chunk = max(1, min(remaining, rng.randint(1, 25)))
        pos = rng.randint(0, len(lines))
        if op < 0.55 or len(lines) < 10:
            lines[pos:pos] = [code_line(rng, path) for _ in range(chunk)]
        elif op < 0.8:
            del lines[pos : pos + chunk // 2 + 1]
        else:
            end = min(len(lines), pos + chunk)
            lines[pos:end] = [code_line(rng, path) for _ in range(end - pos)]
        remaining -= chunk
    return lines


def trailers(rng: random.Random, ai: bool) -> str:
    trailers = []
    if ai:
        trailers.append(rng.choice(AI_TRAILERS))
    if rng.random() < 0.04:
        trailers.append(HUMAN_TRAILER)
    return "\n\n" + "\n".join(trailers) if trailers else ""


def commit_message(rng: random.Random, area: str, ai: bool) -> str:
    subject = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} in {area.split('/')[-1]}"
    return f"{subject}\n\nKeeps {area} behaving under load; see the linked ticket." + trailers(rng, ai)


def fix_message(rng: random.Random, bad: CommitSpec, index: int) -> str:
    title = bad.message.splitlines()[0]
    symptom = rng.choice(SYMPTOMS)
    area = title.rsplit(" in ", 1)[-1]
    return (
        f"Fix {symptom} in {area}\n\nThe change below rewrote these lines without the checks they had; "
        f'this puts the checks back and covers the case.\n\nFixes: {{short:{index}}} ("{title}")'
    )


def fast_import_data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def fast_import_commit(spec: CommitSpec, ref: str, parent: str | None, mark: int) -> bytes:
    """One commit in git fast-import syntax (the message must already have its SHAs filled in)."""
    person = f"{spec.author.name} <{spec.author.email}>"
    authored = f"{person} {int((spec.opened or spec.at).timestamp())} +0000"
    committed = f"{person} {int(spec.at.timestamp())} +0000"
    out = [
        f"commit {ref}\nmark :{mark}\nauthor {authored}\ncommitter {committed}\n".encode(),
        fast_import_data(spec.message),
    ]
    if parent:
        out.append(f"from {parent}\n".encode())
    for path, text in sorted(spec.files.items()):
        if text is None:
            out.append(f"D {path}\n".encode())
        else:
            out.append(f"M 100644 inline {path}\n".encode() + fast_import_data(text))
    out.append(b"\n")
    return b"".join(out)
