"""What a gate sees and answers, its configuration, and reading one file's patch (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Literal, Protocol, runtime_checkable

from codeowners import path_to_regex

from intake.diffparse import FileDiff, is_generated_path

Status = Literal["pass", "warn", "fail"]
STATUSES: tuple[str, ...] = ("pass", "warn", "fail")
_MAX_DETAILS = 50


@dataclass(frozen=True)
class FileFacts:
    """What the gates know about one file of a revision."""

    path: str
    old_path: str
    status: str  # added, modified, deleted, renamed, binary
    lines_added: int
    lines_removed: int
    is_generated: bool
    added_lines: tuple[tuple[int, str], ...] = ()  # (new-file line number, text) of each added line


@dataclass(frozen=True)
class GateOutcome:
    """One gate's verdict on a revision."""

    name: str
    status: Status
    message: str
    details: tuple[str, ...] = ()


def _default_lock_manifests() -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType(
        {
            "package-lock.json": ("package.json",),
            "npm-shrinkwrap.json": ("package.json",),
            "yarn.lock": ("package.json",),
            "pnpm-lock.yaml": ("package.json",),
            "bun.lock": ("package.json",),
            "bun.lockb": ("package.json",),
            "poetry.lock": ("pyproject.toml",),
            "uv.lock": ("pyproject.toml",),
            "pdm.lock": ("pyproject.toml",),
            "Pipfile.lock": ("Pipfile",),
            "Cargo.lock": ("Cargo.toml",),
            "go.sum": ("go.mod",),
            "Gemfile.lock": ("Gemfile",),
            "composer.lock": ("composer.json",),
        }
    )


@dataclass(frozen=True)
class GateConfig:
    """Knobs of the built-in gates. Globs follow .gitignore/CODEOWNERS rules (`*` stays in one directory,
    `**` spans any number, a pattern without a slash matches a name at any depth)."""

    size_limit: int = 1000
    test_globs: tuple[str, ...] = (
        "tests/**",
        "test/**",
        "**/tests/**",
        "**/test/**",
        "**/test_*.py",
        "**/*_test.py",
        "**/conftest.py",
        "**/*_test.go",
        "**/*.test.ts",
        "**/*.test.tsx",
        "**/*.spec.ts",
        "**/*.spec.tsx",
        "**/*.test.js",
        "**/*.spec.js",
        "**/__tests__/**",
        "src/test/**",
        "**/*Test.java",
        "**/*Test.kt",
        "spec/**",
        "**/*_spec.rb",
    )
    migration_globs: tuple[str, ...] = (
        "**/migrations/**",
        "**/alembic/versions/**",
        "db/migrate/**",
        "**/db/migrate/**",
        "db/schema.rb",
        "db/structure.sql",
        "**/*.sql",
        "**/schema.prisma",
        "**/prisma/migrations/**",
        "**/liquibase/**",
        "**/flyway/**",
        "**/db/changelog/**",
    )
    iac_globs: tuple[str, ...] = (
        "**/*.tf",
        "**/*.tfvars",
        "**/*.hcl",
        "terraform/**",
        "helm/**",
        "charts/**",
        "k8s/**",
        "kubernetes/**",
        "deploy/**/*.yaml",
        "deploy/**/*.yml",
        "**/Dockerfile",
        "**/Dockerfile.*",
        "**/*.dockerfile",
        "**/docker-compose*.yml",
        "**/docker-compose*.yaml",
        "**/compose.yml",
        "**/compose.yaml",
        "**/*.bicep",
        "cloudformation/**",
        "ansible/**",
        "pulumi/**",
        "**/Pulumi*.yaml",
        "**/serverless.yml",
    )
    lock_manifests: Mapping[str, tuple[str, ...]] = field(default_factory=_default_lock_manifests)
    source_globs: tuple[str, ...] = (
        "*.py",
        "*.go",
        "*.ts",
        "*.tsx",
        "*.js",
        "*.jsx",
        "*.mjs",
        "*.java",
        "*.kt",
        "*.rb",
        "*.rs",
        "*.cs",
        "*.php",
        "*.scala",
        "*.swift",
        "*.c",
        "*.cc",
        "*.cpp",
        "*.h",
        "*.hpp",
    )
    secrets_max_lines: int = 20_000

    def __post_init__(self) -> None:
        # A bad knob is refused here, when the configuration is built, not on the first revision it meets.
        if self.size_limit < 0:
            raise ValueError(f"size_limit must be zero or more, not {self.size_limit}")
        if self.secrets_max_lines < 0:
            raise ValueError(f"secrets_max_lines must be zero or more, not {self.secrets_max_lines}")
        manifests: dict[str, tuple[str, ...]] = {}
        for lock, names in dict(self.lock_manifests).items():
            # A lone string would otherwise be read as its characters ("package.json" as "p", "a", ...).
            manifests[lock] = (names,) if isinstance(names, str) else tuple(names)
        object.__setattr__(self, "lock_manifests", MappingProxyType(manifests))
        for name in ("test_globs", "migration_globs", "iac_globs", "source_globs"):
            globs = getattr(self, name)
            if isinstance(globs, str):
                raise ValueError(f"{name} must be a sequence of globs, not one string")
            for glob in globs:
                if not isinstance(glob, str):
                    raise ValueError(f"{name}: {glob!r} is not a glob string")
                try:
                    _glob_regex(glob)
                except ValueError as exc:
                    raise ValueError(f"{name}: {exc}") from exc


@runtime_checkable
class Gate(Protocol):
    """An automated check: a name (at most 100 characters, unique among the gates run) and a verdict."""

    name: str

    def run(self, files: Sequence[FileFacts], config: GateConfig) -> GateOutcome: ...


# --- reading one file's patch ------------------------------------------------------------------------------------

_HUNK_RE = re.compile(r"@@ -(\d{1,10})(?:,(\d{1,10}))? \+(\d{1,10})(?:,(\d{1,10}))? @@")


def added_lines_from_patch(patch: str) -> tuple[tuple[int, str], ...]:
    """The added lines of one file's unified diff, with their line numbers in the new file.

    Hunk headers are trusted for their line counts, so that a header line (`+++ b/...`) after a hunk is never
    taken for content; anything that is not a well-formed hunk is skipped. Stops at a second file's header.
    """
    if not isinstance(patch, str):
        return ()
    added: list[tuple[int, str]] = []
    old_left = new_left = 0
    new_no = 0
    seen_hunk = False
    for line in patch.split("\n"):
        if old_left > 0 or new_left > 0:
            tag = line[:1]
            if tag == "+":
                added.append((new_no, line[1:].removesuffix("\r")))
                new_no += 1
                new_left -= 1
                continue
            if tag == "-":
                old_left -= 1
                continue
            if tag in (" ", ""):
                # Some mailers strip the single space of an empty context line.
                new_no += 1
                old_left -= 1
                new_left -= 1
                continue
            if tag == "\\":  # "\ No newline at end of file"
                continue
            # The hunk is shorter than its header said (a truncated diff): leave it and read on.
            old_left = new_left = 0
        if line.startswith("@@"):
            match = _HUNK_RE.match(line)
            if match:
                # A count left out means one line ("@@ -3 +3 @@").
                old_left = 1 if match.group(2) is None else int(match.group(2))
                new_left = 1 if match.group(4) is None else int(match.group(4))
                new_no = int(match.group(3))
                seen_hunk = True
        elif seen_hunk and line.startswith("diff --git "):
            break
    return tuple(added)


def facts_from_file_diff(diff: FileDiff, *, is_generated: bool | None = None) -> FileFacts:
    """FileFacts for one file of `intake.diffparse.parse_diff`; generated unless told otherwise by its path."""
    return FileFacts(
        path=diff.path,
        old_path=diff.old_path,
        status=diff.status,
        lines_added=diff.lines_added,
        lines_removed=diff.lines_removed,
        is_generated=is_generated_path(diff.path) if is_generated is None else is_generated,
        added_lines=() if diff.status == "binary" else added_lines_from_patch(diff.patch),
    )


# --- helpers ---------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _glob_regex(glob: str) -> re.Pattern[str]:
    if not isinstance(glob, str) or not glob.strip():
        raise ValueError(f"empty glob {glob!r}")
    try:
        return path_to_regex(glob.strip())
    except (ValueError, re.error) as exc:
        raise ValueError(f"invalid glob {glob!r}: {exc}") from exc


def matches_any(path: str, globs: Iterable[str]) -> bool:
    """True when the repository-relative path matches one of the globs (.gitignore/CODEOWNERS rules)."""
    path = path.lstrip("/")
    return any(_glob_regex(g).search(path) is not None for g in globs)


def _changed(file: FileFacts) -> int:
    return max(0, file.lines_added) + max(0, file.lines_removed)


def _capped(items: Sequence[str], limit: int = _MAX_DETAILS) -> tuple[str, ...]:
    if len(items) <= limit:
        return tuple(items)
    return (*items[:limit], f"... and {len(items) - limit} more")


def _listing(files: Sequence[FileFacts]) -> tuple[str, ...]:
    return _capped([f"{f.path} ({f.status})" for f in files])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
