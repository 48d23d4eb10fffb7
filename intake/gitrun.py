"""Running git safely: list-form, bounded in time and output, in a locked-down environment; safe refs and URLs."""

from __future__ import annotations

import atexit
import os
import re
import select
import signal
import subprocess
import tempfile
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

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
    argv = ["git"]
    if git_dir is not None:
        argv += ["--git-dir", str(git_dir)]
    argv += list(args)
    limit = truncate_at if truncate_at is not None else config.max_output_bytes
    deadline = time.monotonic() + config.timeout_seconds
    with tempfile.TemporaryFile() as stderr_file:
        proc = subprocess.Popen(  # noqa: S603 - list form, no shell, fixed executable
            argv,
            stdin=subprocess.PIPE if input_bytes is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr_file,
            env=_environment(config, extra_config),
            cwd=tempfile.gettempdir(),
            # Its own process group, killed whole: killing git alone left its transport helper (git-remote-https)
            # holding the connection to a host that never answers, one leaked process per try.
            start_new_session=True,
        )
        timer = threading.Timer(config.timeout_seconds, _kill_group, args=(proc,))
        timer.start()
        try:
            if input_bytes is not None:
                feeder = threading.Thread(target=_feed, args=(proc, input_bytes), daemon=True)
                feeder.start()
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
            timer.cancel()
        stderr_file.seek(0)
        stderr = stderr_file.read(4000).decode("utf-8", "replace").strip()
    if time.monotonic() >= deadline and not over:
        raise GitError(f"git {args[0]} timed out after {config.timeout_seconds}s", transient=True)
    out = b"".join(chunks)
    if over:
        if truncate_at is None:
            raise GitError(f"git {args[0]} produced more than {config.max_output_bytes} bytes")
        return out[:truncate_at], True
    if check and returncode != 0:
        transient = any(
            word in stderr.lower() for word in ("could not resolve", "timed out", "connection", "early eof")
        )
        raise GitError(f"git {args[0]} failed ({returncode}): {stderr[:2000]}", transient=transient)
    return out, False


def _feed(proc: subprocess.Popen, data: bytes) -> None:
    try:
        proc.stdin.write(data)
        proc.stdin.close()
    except (BrokenPipeError, OSError):
        pass


class GitService:
    """A long-lived git command answering one request after another on its input (cat-file --batch, diff-tree
    --stdin): a worker starts it once per mirror instead of a process per question, which costs milliseconds."""

    def __init__(self, args: Sequence[str], *, git_dir: Path, config: GitConfig) -> None:
        self.name = args[0]
        self.config = config
        self.lock = threading.Lock()  # one request at a time: answers come back in order
        self.stderr_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _stop()
        self.proc = subprocess.Popen(  # noqa: S603 - list form, no shell, fixed executable
            ["git", "--git-dir", str(git_dir), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr_file,
            env=_environment(config, None),
            cwd=tempfile.gettempdir(),
            start_new_session=True,
        )

    def is_alive(self) -> bool:
        return self.proc.poll() is None

    def ask(self, request: bytes, end: bytes, *, limit: int) -> tuple[bytes, bool]:
        """Send a request; git's answer, read through `end` (the last bytes git writes for it).

        An answer over limit bytes: its first limit bytes and True (the process is stopped, the rest unread).
        """
        with self.lock:
            said = os.fstat(self.stderr_file.fileno()).st_size if not self.stderr_file.closed else 0
            try:
                self.proc.stdin.write(request)
                self.proc.stdin.flush()
            except (OSError, ValueError) as exc:
                self._stop()
                raise GitError(f"git {self.name} is no longer running: {exc}") from exc
            answer = self._read(end, limit)
            if not self.stderr_file.closed and os.fstat(self.stderr_file.fileno()).st_size > said:
                # git went on after an error (diff-tree does, with an empty answer): the answer cannot be trusted.
                raise GitError(f"git {self.name} failed: {self._stop()[:2000]}")
            return answer

    def _read(self, end: bytes, limit: int) -> tuple[bytes, bool]:
        deadline = time.monotonic() + self.config.timeout_seconds
        fd = self.proc.stdout.fileno()
        chunks: list[bytes] = []
        size, tail = 0, b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._stop()
                raise GitError(f"git {self.name} timed out after {self.config.timeout_seconds}s", transient=True)
            if not select.select([fd], [], [], remaining)[0]:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                stderr = self._stop()
                raise GitError(f"git {self.name} stopped: {stderr[:2000]}")
            chunks.append(chunk)
            size += len(chunk)
            tail = (tail + chunk)[-len(end) :]
            if tail == end:
                out = b"".join(chunks)
                return (out[:limit], True) if size > limit else (out, False)
            if size > limit:
                self._stop()
                return b"".join(chunks)[:limit], True

    def close(self) -> None:
        with self.lock:
            self._stop()

    def _stop(self) -> str:
        """Stop git (once) and return what it said on its error output."""
        if self.stderr_file.closed:
            return ""
        _kill_group(self.proc)
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        self.proc.wait()
        with self.stderr_file:
            self.stderr_file.seek(0)
            return self.stderr_file.read(4000).decode("utf-8", "replace").strip()


MAX_SERVICES = 16  # per process: a worker touching more mirrors stops the least recently used
_services: OrderedDict[tuple, GitService] = OrderedDict()
_services_lock = threading.Lock()


def git_service(args: Sequence[str], *, git_dir: Path, config: GitConfig = GitConfig()) -> GitService:
    """The running GitService for this command on this repository, started when there is none."""
    key = (str(git_dir), tuple(args), config)
    with _services_lock:
        service = _services.pop(key, None)
        if service is None or not service.is_alive():
            service = GitService(args, git_dir=git_dir, config=config)
        _services[key] = service
        stale = [_services.popitem(last=False)[1] for _ in range(len(_services) - MAX_SERVICES)]
    for old in stale:
        old.close()
    return service


def close_git_services() -> None:
    """Stop every GitService of this process."""
    with _services_lock:
        services = list(_services.values())
        _services.clear()
    for service in services:
        service.close()


def _forget_services() -> None:
    # A forked worker must not share its parent's git processes (their pipes would interleave): it starts its own.
    global _services_lock
    _services.clear()
    _services_lock = threading.Lock()


atexit.register(close_git_services)
os.register_at_fork(after_in_child=_forget_services)
