"""Automated gates run on each revision before a senior sees it (pure: facts about files in, outcomes out).

A gate looks at the files of one revision and answers pass, warn or fail with a message and details. The built-in
gates check size, secrets in added lines, migrations, infrastructure as code, lock files changed without their
manifest, and source changed without tests. Organisations add their own through `load_gate`.
"""

from __future__ import annotations

import importlib
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Literal, Protocol, runtime_checkable

from codeowners import path_to_regex
from detect_secrets.filters.heuristic import is_lock_file

from reviews.diffparse import FileDiff, is_generated_path
from reviews.secretscan import AVERAGE_LINE, MAX_LINE, find_secrets, mask_secret

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
    """FileFacts for one file of `reviews.diffparse.parse_diff`; generated unless told otherwise by its path."""
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


# --- size ------------------------------------------------------------------------------------------------------


class SizeGate:
    """Fails a revision with more changed lines than the limit; generated and vendored files are not counted."""

    name = "size"

    def run(self, files: Sequence[FileFacts], config: GateConfig) -> GateOutcome:
        counted = [f for f in files if not f.is_generated]
        total = sum(_changed(f) for f in counted)
        skipped = sum(_changed(f) for f in files if f.is_generated)
        note = f" ({skipped} generated lines not counted)" if skipped else ""
        if total <= config.size_limit:
            return GateOutcome(
                self.name, "pass", f"{total} changed lines, within the limit of {config.size_limit}{note}"
            )
        largest = sorted(counted, key=lambda f: (-_changed(f), f.path))[:3]
        shown = ", ".join(f"{f.path} ({_changed(f)})" for f in largest)
        return GateOutcome(
            self.name,
            "fail",
            f"{total} changed lines, above the limit of {config.size_limit}{note}: split this change into smaller "
            f"ones that can each be reviewed on their own. Largest files: {shown}",
            tuple(f"{f.path}: +{max(0, f.lines_added)} -{max(0, f.lines_removed)}" for f in largest),
        )


# --- secrets ---------------------------------------------------------------------------------------------------


class SecretsGate:
    """Fails when added lines hold credentials (detect-secrets' detectors and a few more formats); warns on
    heuristic hits such as `password = "..."` or high-entropy strings. Never repeats a secret in its output."""

    name = "secrets"

    def run(self, files: Sequence[FileFacts], config: GateConfig) -> GateOutcome:
        certain: list[str] = []
        possible: list[str] = []
        lines_left = config.secrets_max_lines
        # Lines are cut at MAX_LINE characters; the character budget also bounds a change of many long lines.
        chars_left = config.secrets_max_lines * AVERAGE_LINE
        unscanned = 0
        lock_names = set(config.lock_manifests)
        for file in files:
            if file.is_generated or file.status == "binary":
                continue
            name = posixpath.basename(file.path)
            # Lock files are full of integrity hashes: only certain formats are looked for there.
            heuristics = not (is_lock_file(file.path) or name in lock_names)
            for number, text in file.added_lines:
                if lines_left <= 0 or chars_left <= 0:
                    unscanned += 1
                    continue
                lines_left -= 1
                chars_left -= min(len(text), MAX_LINE)
                for kind, value, is_certain in find_secrets(file.path, text, heuristics=heuristics):
                    # A format's prefix (AKIA, ghp_) says what to rotate; a password's first letters say too much.
                    entry = f"{file.path}:{number}: {kind} ({mask_secret(value, keep=4 if is_certain else 0)})"
                    if is_certain:
                        certain.append(entry)
                    else:
                        possible.append(f"{entry}, possibly")
        details = [*certain, *possible]
        if unscanned:
            details.append(f"{unscanned} added lines were not scanned (limit: {config.secrets_max_lines} lines)")
        if certain:
            return GateOutcome(
                self.name,
                "fail",
                f"{_plural(len(certain), 'secret')} in added lines: remove them and rotate the credentials, "
                "since they stay in the branch history",
                _capped(details),
            )
        if possible:
            return GateOutcome(
                self.name,
                "warn",
                f"{_plural(len(possible), 'possible secret')} in added lines: check that none is a real credential",
                _capped(details),
            )
        if unscanned:
            return GateOutcome(
                self.name,
                "warn",
                f"no secret in the added lines scanned; {unscanned} more were not scanned (too many to scan)",
                tuple(details),
            )
        return GateOutcome(self.name, "pass", "no secret in added lines")


# --- paths that need a closer look ----------------------------------------------------------------------------


class MigrationsGate:
    """Warns when database migrations or schema files change: they are hard to undo once deployed."""

    name = "migrations"

    def run(self, files: Sequence[FileFacts], config: GateConfig) -> GateOutcome:
        hits = [f for f in files if matches_any(f.path, config.migration_globs)]
        if not hits:
            return GateOutcome(self.name, "pass", "no migration or schema file changed")
        return GateOutcome(
            self.name,
            "warn",
            f"{_plural(len(hits), 'migration or schema file')} changed: check locking, backfill and rollback",
            _listing(hits),
        )


class InfrastructureGate:
    """Warns when infrastructure as code changes: its blast radius is the whole service."""

    name = "infrastructure"

    def run(self, files: Sequence[FileFacts], config: GateConfig) -> GateOutcome:
        hits = [f for f in files if matches_any(f.path, config.iac_globs)]
        if not hits:
            return GateOutcome(self.name, "pass", "no infrastructure-as-code file changed")
        return GateOutcome(
            self.name,
            "warn",
            f"{_plural(len(hits), 'infrastructure-as-code file')} changed: check the plan and what it replaces",
            _listing(hits),
        )


class LockfilesGate:
    """Fails when a lock file changes without its manifest in the same directory (deleted lock files aside)."""

    name = "lockfiles"

    def run(self, files: Sequence[FileFacts], config: GateConfig) -> GateOutcome:
        changed = {f.path.lstrip("/") for f in files}
        orphans: list[str] = []
        locks = 0
        for file in files:
            directory, name = posixpath.split(file.path.lstrip("/"))
            manifests = config.lock_manifests.get(name)
            if not manifests or file.status == "deleted":
                continue
            locks += 1
            if not any(posixpath.join(directory, m) in changed for m in manifests):
                wanted = " or ".join(posixpath.join(directory, m) for m in manifests)
                orphans.append(f"{file.path} changed without {wanted}")
        if orphans:
            return GateOutcome(
                self.name,
                "fail",
                f"{_plural(len(orphans), 'lock file')} changed without its manifest: change dependencies through "
                "the manifest, or explain why only the lock file moves",
                _capped(orphans),
            )
        if locks:
            return GateOutcome(self.name, "pass", "every changed lock file comes with its manifest")
        return GateOutcome(self.name, "pass", "no lock file changed")


class TestsGate:
    """Warns when source files change and no test file does."""

    name = "tests"
    __test__ = False  # not a pytest test class, whatever its name

    def run(self, files: Sequence[FileFacts], config: GateConfig) -> GateOutcome:
        tests = [f for f in files if f.status != "deleted" and matches_any(f.path, config.test_globs)]
        source = [
            f
            for f in files
            if f.status not in ("deleted", "binary")
            and not f.is_generated
            and _changed(f) > 0
            and matches_any(f.path, config.source_globs)
            and not matches_any(f.path, config.test_globs)
        ]
        if not source:
            return GateOutcome(self.name, "pass", "no source file changed")
        if tests:
            return GateOutcome(
                self.name,
                "pass",
                f"{_plural(len(source), 'source file')} and {_plural(len(tests), 'test file')} changed",
            )
        return GateOutcome(
            self.name,
            "warn",
            f"{_plural(len(source), 'source file')} changed and no test file: add or update tests, "
            "or say why none are needed",
            _capped([f.path for f in source]),
        )


BUILTIN_GATES: tuple[Gate, ...] = (
    SizeGate(),
    SecretsGate(),
    MigrationsGate(),
    InfrastructureGate(),
    LockfilesGate(),
    TestsGate(),
)


# --- running ---------------------------------------------------------------------------------------------------


def _gate_name(gate: object) -> str:
    name = getattr(gate, "name", None)
    return name if isinstance(name, str) and name else type(gate).__name__


def _crashed(name: str, message: str) -> GateOutcome:
    return GateOutcome(name, "fail", message[:1000])


def _checked(name: str, outcome: object) -> GateOutcome:
    if not isinstance(outcome, GateOutcome):
        return _crashed(name, f"gate crashed: returned {type(outcome).__name__}, not a GateOutcome")
    if outcome.status not in STATUSES:
        return _crashed(name, f"gate crashed: returned the status {str(outcome.status)[:50]!r}")
    details = outcome.details
    if isinstance(details, str) or not isinstance(details, Iterable):
        details = (str(details),)
    return GateOutcome(name, outcome.status, str(outcome.message)[:1000], tuple(str(d) for d in details))


def run_gates(files: Sequence[FileFacts], config: GateConfig, extra: Sequence[Gate] = ()) -> list[GateOutcome]:
    """Run the built-in gates then the extra ones, in order. A gate that raises or answers nonsense becomes a
    failed outcome; a gate whose name is already taken fails under a suffixed name instead of running."""
    files = tuple(files)
    outcomes: list[GateOutcome] = []
    seen: set[str] = set()
    for gate in (*BUILTIN_GATES, *extra):
        name = _gate_name(gate)
        if name in seen:
            outcomes.append(
                _crashed(f"{name} (duplicate)", f"another gate is already named {name!r}: give this one its own name")
            )
            continue
        seen.add(name)
        try:
            # Checking the answer may run the gate's own code too (a details generator, a __str__).
            outcomes.append(_checked(name, gate.run(files, config)))
        except Exception as exc:  # a broken gate must not stop the others
            outcomes.append(_crashed(name, f"gate crashed: {type(exc).__name__}: {str(exc)[:500]}"))
    return outcomes


def overall(outcomes: Iterable[GateOutcome]) -> Status:
    """The worst status among the outcomes: fail, then warn, else pass."""
    statuses = {o.status for o in outcomes}
    if "fail" in statuses:
        return "fail"
    if "warn" in statuses:
        return "warn"
    return "pass"


_DOTTED_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def load_gate(dotted_path: str) -> Gate:
    """Import and build a gate from "package.module:ClassName" or "package.module.ClassName".

    The path comes from the portal's administrators (importing runs the module's code): never from a repository or
    a webhook. Raises ValueError saying what is wrong.
    """
    if not isinstance(dotted_path, str):
        raise ValueError(f"gate path must be a string, not {type(dotted_path).__name__}")
    text = dotted_path.strip()
    if ":" in text:
        module_name, _, attr = text.partition(":")
    else:
        module_name, _, attr = text.rpartition(".")
    if not (_DOTTED_RE.fullmatch(module_name) and attr.isidentifier()):
        raise ValueError(f"gate path {dotted_path!r} is not 'package.module:ClassName' or 'package.module.ClassName'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"gate path {dotted_path!r}: cannot import {module_name!r}: {exc}") from exc
    try:
        target = getattr(module, attr)
    except AttributeError:
        raise ValueError(f"gate path {dotted_path!r}: module {module_name!r} has no {attr!r}") from None
    if isinstance(target, type):
        try:
            gate = target()
        except Exception as exc:
            raise ValueError(f"gate path {dotted_path!r}: {attr}() failed: {type(exc).__name__}: {exc}") from exc
    else:
        gate = target
    name = getattr(gate, "name", None)
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"gate {dotted_path!r} has no name: give the class a non-empty `name` string")
    if len(name) > 100:
        raise ValueError(f"gate {dotted_path!r}: name is longer than 100 characters")
    run: Callable[..., object] | None = getattr(gate, "run", None)
    if not callable(run):
        raise ValueError(f"gate {dotted_path!r} has no run(files, config) method")
    return gate
