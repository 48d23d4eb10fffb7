"""Running git safely: list-form, bounded in time and output, in a locked-down environment; safe refs and URLs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")

EMPTY_TREE_SHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
# git's ref-name rules (git-check-ref-format) plus no option-like names: any non-ASCII letter is fine
# (refs only ever reach git as list-form arguments after --end-of-options), but no control characters,
# space, ~ ^ : ? * [ \\ (backslash), "..", "//", "@{", and no leading "-" or trailing "/" or ".".
_REF_RE = re.compile(r"^(?![-/])(?!.*\.\.)(?!.*//)(?!.*@\{)[^\x00-\x20\x7f~^:?*\[\\]{1,255}(?<![./])$")


class GitError(RuntimeError):
    """git failed, timed out, or was asked for something unsafe."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class GitConfig:
    """Limits and allowed protocols for every git call."""

    timeout_seconds: int = 120
    max_output_bytes: int = 64 * 1024 * 1024
    allowed_protocols: tuple[str, ...] = ("file", "https")


def is_sha(value: str) -> bool:
    """True for a full, lower-case 40-hex object id."""
    return bool(_SHA_RE.fullmatch(value))


def is_safe_ref(name: str) -> bool:
    """True when a branch or ref name from outside can be passed to git."""
    if not _REF_RE.fullmatch(name) or name == "@" or len(name.encode("utf-8", "replace")) > 255:
        return False
    # Nor Unicode controls or format characters (a right-to-left override would disguise a name on a page).
    if any(unicodedata.category(c).startswith("C") for c in name):
        return False
    # No path component may start with "." or end with ".lock".
    return not any(part.startswith(".") or part.endswith(".lock") for part in name.split("/"))


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL git and every process it started (they share its process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def check_url(url: str, allowed_protocols: Sequence[str]) -> str:
    """Return the URL (or absolute path) if its protocol is allowed, else raise GitError."""
    if not url or url.startswith("-") or any(c in url for c in "\0\n\r"):
        raise GitError(f"refusing repository location {url!r}")
    if "::" in url:
        raise GitError(f"transport helpers ({url.split('::')[0]}::) are not allowed")
    if "://" not in url:
        if "file" not in allowed_protocols:
            raise GitError("local repositories are not allowed")
        path = Path(url)
        if not path.is_absolute():
            raise GitError(f"local repository paths must be absolute, got {url!r}")
        return str(path)
    scheme = urlsplit(url).scheme.lower()
    if scheme not in allowed_protocols:
        raise GitError(f"protocol {scheme!r} is not allowed (allowed: {', '.join(allowed_protocols)})")
    return url


def _environment(config: GitConfig, extra_config: dict[str, str] | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": tempfile.gettempdir(),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ALLOW_PROTOCOL": ":".join(config.allowed_protocols),
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_OPTIONAL_LOCKS": "0",
    }
    # Credentials and extra settings travel in GIT_CONFIG_* variables, never in argv.
    settings = {"core.hooksPath": os.devnull, "protocol.allow": "never", "core.fsmonitor": "false"}
    for protocol in config.allowed_protocols:
        settings[f"protocol.{protocol}.allow"] = "always"
    settings.update(extra_config or {})
    env["GIT_CONFIG_COUNT"] = str(len(settings))
    for index, (key, value) in enumerate(settings.items()):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


def run_git(
    args: Sequence[str],
    *,
    git_dir: Path | None = None,
    config: GitConfig = GitConfig(),
    input_bytes: bytes | None = None,
    extra_config: dict[str, str] | None = None,
    check: bool = True,
) -> bytes:
    """Run one git command in list form and return its standard output; too much output is an error."""
    out, _ = run_git_capped(
        args, git_dir=git_dir, config=config, input_bytes=input_bytes, extra_config=extra_config, check=check
    )
    return out


def run_git_capped(
    args: Sequence[str],
    *,
    git_dir: Path | None = None,
    config: GitConfig = GitConfig(),
    input_bytes: bytes | None = None,
    extra_config: dict[str, str] | None = None,
    check: bool = True,
    truncate_at: int | None = None,
) -> tuple[bytes, bool]:
    """Run git, reading at most the output cap; with truncate_at, return the first bytes and True instead."""
    process = GitProcess(
        args,
        git_dir=git_dir,
        config=config,
        input_bytes=input_bytes,
        extra_config=extra_config,
        truncate_at=truncate_at,
    )
    return process.result(check=check)


class GitProcess:
    """One git command, started at once and read later: a caller can have two run side by side.

    Each process costs milliseconds to start, mostly the operating system's; the diff worker overlaps them.
    """

    def __init__(
        self,
        args: Sequence[str],
        *,
        git_dir: Path | None = None,
        config: GitConfig = GitConfig(),
        input_bytes: bytes | None = None,
        extra_config: dict[str, str] | None = None,
        truncate_at: int | None = None,
        input_later: bool = False,
    ) -> None:
        argv = ["git"]
        if git_dir is not None:
            argv += ["--git-dir", str(git_dir)]
        argv += list(args)
        self.args = list(args)
        self.config = config
        self.truncate_at = truncate_at
        self.deadline = time.monotonic() + config.timeout_seconds
        self.stderr_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by result()
        try:
            self.proc = subprocess.Popen(  # noqa: S603 - list form, no shell, fixed executable
                argv,
                stdin=subprocess.PIPE if input_bytes is not None or input_later else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self.stderr_file,
                env=_environment(config, extra_config),
                cwd=tempfile.gettempdir(),
                # Its own process group, killed whole: killing git alone left its transport helper (git-remote-https)
                # holding the connection to a host that never answers, one leaked process per try.
                start_new_session=True,
            )
        except BaseException:
            self.stderr_file.close()
            raise
        self.timer = threading.Timer(config.timeout_seconds, _kill_group, args=(self.proc,))
        self.timer.start()
        self.feeding = input_bytes is not None and len(input_bytes) > 4096  # a thread writes it while git reads
        if input_bytes is not None and not self.feeding:
            _feed(self.proc, input_bytes)  # fits the pipe: written at once, no thread to start
        elif self.feeding:
            threading.Thread(target=_feed, args=(self.proc, input_bytes), daemon=True).start()

    def _close_input(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def cancel(self) -> None:
        """Stop the command and release what it holds (its answer is no longer wanted)."""
        _kill_group(self.proc)
        self._close_input()
        self.proc.stdout.close()
        self.proc.wait()
        self.timer.cancel()
        self.stderr_file.close()

    def result(self, *, check: bool = True) -> tuple[bytes, bool]:
        """Its output, read to the end or the cap, and whether truncate_at cut it; GitError when it failed."""
        limit = self.truncate_at if self.truncate_at is not None else self.config.max_output_bytes
        proc = self.proc
        if not self.feeding:
            self._close_input()  # input that was never sent: git must not wait for it
        try:
            chunks: list[bytes] = []
            size = 0
            over = False
            while True:
                chunk = proc.stdout.read(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    over = True
                    _kill_group(proc)
                    break
            proc.stdout.close()
            returncode = proc.wait()
        finally:
            self.timer.cancel()
        with self.stderr_file:
            self.stderr_file.seek(0)
            stderr = self.stderr_file.read(4000).decode("utf-8", "replace").strip()
        name = self.args[0]
        if time.monotonic() >= self.deadline and not over:
            raise GitError(f"git {name} timed out after {self.config.timeout_seconds}s", transient=True)
        out = b"".join(chunks)
        if over:
            if self.truncate_at is None:
                raise GitError(f"git {name} produced more than {self.config.max_output_bytes} bytes")
            return out[: self.truncate_at], True
        if check and returncode != 0:
            transient = any(
                word in stderr.lower() for word in ("could not resolve", "timed out", "connection", "early eof")
            )
            raise GitError(f"git {name} failed ({returncode}): {stderr[:2000]}", transient=transient)
        return out, False


class Pending(Generic[T]):
    """A started git process and how to read its answer: result() waits for it, cancel() stops it.

    With a question (a function of a value to git's input), git starts before the value is known: ask() sends it.
    """

    def __init__(
        self, process: GitProcess, finish: Callable[[bytes, bool], T], question: Callable[[str], bytes] | None = None
    ) -> None:
        self.process = process
        self.finish = finish
        self.question = question

    def ask(self, value: str) -> Pending[T]:
        assert self.question is not None, "a process started with its input"  # noqa: S101
        _feed(self.process.proc, self.question(value))
        return self

    def result(self) -> T:
        return self.finish(*self.process.result())

    def cancel(self) -> None:
        self.process.cancel()


def _feed(proc: subprocess.Popen, data: bytes) -> None:
    try:
        proc.stdin.write(data)
        proc.stdin.close()
    except (BrokenPipeError, OSError, ValueError):  # git gone, or the process cancelled meanwhile
        pass
