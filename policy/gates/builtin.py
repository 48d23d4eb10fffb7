"""The built-in gates: size, secrets, migrations, infrastructure, lock files and tests (pure)."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from detect_secrets.filters.heuristic import is_lock_file

from policy.gates.base import (
    FileFacts,
    Gate,
    GateConfig,
    GateOutcome,
    _capped,
    _changed,
    _listing,
    _plural,
    matches_any,
)
from policy.secretscan import AVERAGE_LINE, MAX_LINE, find_secrets, mask_secret

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
