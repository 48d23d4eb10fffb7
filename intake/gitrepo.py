"""The one way Countersign runs git: list-form, bounded, locked down, on bare mirrors."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

EMPTY_TREE_SHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
# git's ref-name rules (git-check-ref-format) plus no option-like names: any non-ASCII letter is fine
# (refs only ever reach git as list-form arguments after --end-of-options), but no control characters,
# space, ~ ^ : ? * [ \\ (backslash), "..", "//", "@{", and no leading "-" or trailing "/" or ".".
_REF_RE = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)(?!.*@\{)[^\x00-\x20\x7f~^:?*\[\\]{1,255}(?<![./])$")


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
        )
        timer = threading.Timer(config.timeout_seconds, proc.kill)
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
                    proc.kill()
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


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class Mirror:
    """A bare mirror of a repository, kept by the portal; never a work tree."""

    def __init__(self, path: Path, config: GitConfig = GitConfig()) -> None:
        self.path = Path(path)
        self.config = config

    def _git(self, *args: str, input_bytes: bytes | None = None, check: bool = True) -> bytes:
        return run_git(args, git_dir=self.path, config=self.config, input_bytes=input_bytes, check=check)

    def exists(self) -> bool:
        return (self.path / "HEAD").exists()

    def init(self) -> None:
        """Create an empty bare repository at the mirror path (idempotent)."""
        if not self.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            run_git(["init", "--bare", "--quiet", "--end-of-options", str(self.path)], config=self.config)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the mirror's write lock: two git inits or fetches at once fail on git's own lock files."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.config.timeout_seconds
        with open(self.path.with_name(self.path.name + ".lock"), "ab") as lock:
            while not _try_lock(lock.fileno()):
                if time.monotonic() >= deadline:
                    raise GitError(f"mirror {self.path.name} is still locked by another fetch", transient=True)
                time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def fetch(self, url: str, refspecs: Sequence[str] = ("+refs/heads/*:refs/heads/*",)) -> None:
        """Fetch refs from a remote location into the mirror, one writer at a time (workers share mirrors)."""
        location = check_url(url, self.config.allowed_protocols)
        with self._writing():
            self.init()
            self._git("fetch", "--quiet", "--prune", "--no-tags", "--end-of-options", location, *refspecs)

    def resolve(self, ref: str) -> str:
        """Resolve a ref or SHA to a full commit SHA; refuse unsafe names."""
        if not (is_sha(ref) or is_safe_ref(ref)):
            raise GitError(f"refusing unsafe ref {ref!r}")
        out = self._git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False)
        sha = out.decode().strip()
        if not is_sha(sha):
            raise GitError(f"unknown revision {ref!r}")
        return sha

    def branches(self) -> dict[str, str]:
        """Map branch names to their tip SHAs."""
        out = self._git("for-each-ref", "--format=%(objectname) %(refname:strip=2)", "refs/heads/")
        result = {}
        for line in out.decode("utf-8", "replace").splitlines():
            sha, _, name = line.partition(" ")
            if is_sha(sha) and is_safe_ref(name):
                result[name] = sha
        return result

    def log(self, head: str, *, exclude: str | None = None, first_parent: bool = False) -> list[dict]:
        """Commits reachable from head (and not from exclude), oldest first, with their metadata."""
        args = ["log", "--reverse", "-z", "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%B"]
        if first_parent:
            args.append("--first-parent")
        args += ["--end-of-options", self._sha(head)]
        if exclude:
            args.append("^" + self._sha(exclude))
        args.append("--")
        commits = []
        for record in self._git(*args).split(b"\0"):
            if not record.strip():
                continue
            fields = record.decode("utf-8", "replace").split("\x1f", 8)
            if len(fields) != 9:
                continue
            sha, parents, an, ae, ad, cn, ce, cd, body = fields
            commits.append(
                {
                    "sha": sha.strip(),
                    "parents": parents.split(),
                    "author_name": an,
                    "author_email": ae,
                    "authored_at": ad,
                    "committer_name": cn,
                    "committer_email": ce,
                    "committed_at": cd,
                    "message": body.strip("\n"),
                }
            )
        return commits

    def merge_base(self, a: str, b: str) -> str | None:
        """The best common ancestor of two commits, or None."""
        out = self._git("merge-base", "--end-of-options", self._sha(a), self._sha(b), check=False).decode().strip()
        return out if is_sha(out) else None

    def is_ancestor(self, a: str, b: str) -> bool:
        """True when commit a is an ancestor of (or equal to) commit b."""
        return self.merge_base(a, b) == self._sha(a)

    def _diff_args(self, base: str | None, head: str) -> list[str]:
        left = self._sha(base) if base else EMPTY_TREE_SHA
        return [
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            "--find-renames",
            "--full-index",
            "--end-of-options",
            left,
            self._sha(head),
            "--",
        ]

    def diff(self, base: str | None, head: str) -> bytes:
        """Unified diff from base (or the empty tree) to head, with fixed prefixes and renames."""
        return self._git(*self._diff_args(base, head))

    def diff_capped(self, base: str | None, head: str, max_bytes: int) -> tuple[bytes, bool]:
        """The diff, cut after max_bytes; True when it was cut."""
        return run_git_capped(self._diff_args(base, head), git_dir=self.path, config=self.config, truncate_at=max_bytes)

    def diff_paths(self, base: str | None, head: str, paths: Sequence[str], max_bytes: int) -> tuple[bytes, bool]:
        """The diff from base to head limited to paths, cut after max_bytes; True when it was cut.

        Paths are taken literally, never as pathspec magic such as ":(glob)"; no paths, no diff.
        """
        for path in paths:
            # After "--" a leading dash is a name, not an option; what could leave the tree is refused.
            if not path or path.startswith("/") or ".." in path.split("/") or "\0" in path:
                raise GitError(f"refusing path {path!r}")
        if not paths:
            return b"", False
        args = ["--literal-pathspecs", *self._diff_args(base, head), *paths]
        return run_git_capped(args, git_dir=self.path, config=self.config, truncate_at=max_bytes)

    def numstat(self, base: str | None, head: str) -> list[tuple[str, int | None, int | None]]:
        """(path, added, removed) per file, None counts for binary files; cheap even for huge diffs."""
        args = self._diff_args(base, head)
        args[1:1] = ["--numstat", "-z"]
        out = self._git(*args)
        result = []
        fields = out.split(b"\0")
        i = 0
        while i < len(fields):
            head_field = fields[i]
            if not head_field:
                i += 1
                continue
            parts = head_field.split(b"\t", 2)
            if len(parts) < 3:
                i += 1
                continue
            added, removed, path = parts
            if path == b"":  # a rename: the old and new paths follow
                path = fields[i + 2] if i + 2 < len(fields) else b""
                i += 3
            else:
                i += 1
            result.append(
                (
                    path.decode("utf-8", "replace"),
                    None if added == b"-" else int(added),
                    None if removed == b"-" else int(removed),
                )
            )
        return result

    def patch_id(self, raw_diff: bytes) -> str:
        """git's stable patch id of a diff: the same for a rebase that does not change the diff."""
        if not raw_diff.strip():
            return ""
        out = self._git("patch-id", "--stable", input_bytes=raw_diff).decode().split()
        return out[0] if out else ""

    def rev_list(self, head: str, *, max_count: int = 10000) -> list[str]:
        """SHAs of the commits reachable from head, newest first, at most max_count."""
        out = self._git("rev-list", f"--max-count={int(max_count)}", "--end-of-options", self._sha(head), "--")
        return [line for line in out.decode().split() if is_sha(line)]

    def read_file(self, sha: str, path: str, *, max_bytes: int = 1024 * 1024) -> bytes | None:
        """The content of path at commit sha, or None when absent; refuses paths that leave the tree."""
        if not path or path.startswith(("/", "-")) or ".." in path.split("/") or "\0" in path or ":" in path:
            raise GitError(f"refusing path {path!r}")
        kind = self._git("cat-file", "-t", "--end-of-options", f"{self._sha(sha)}:{path}", check=False).strip()
        if kind != b"blob":
            return None
        out, truncated = run_git_capped(
            ["cat-file", "blob", "--end-of-options", f"{self._sha(sha)}:{path}"],
            git_dir=self.path,
            config=self.config,
            truncate_at=max_bytes,
        )
        if truncated:
            raise GitError(f"{path} is larger than {max_bytes} bytes")
        return out

    def first_existing(self, sha: str, paths: Sequence[str]) -> str | None:
        """The first of paths that is a file at commit sha (one git call)."""
        out = self._git("ls-tree", "--full-tree", "-z", "--end-of-options", self._sha(sha), "--", *paths)
        present = set()
        for entry in out.split(b"\0"):
            meta, _, name = entry.partition(b"\t")
            if meta.split(b" ")[1:2] == [b"blob"]:
                present.add(name.decode("utf-8", "replace"))
        return next((p for p in paths if p in present), None)

    def parents(self, sha: str) -> list[str]:
        """The parents of a commit, the first parent first."""
        out = self._git("rev-list", "--parents", "--max-count=1", "--end-of-options", self._sha(sha), "--")
        return [p for p in out.decode().split()[1:] if is_sha(p)]

    def has_commit(self, sha: str) -> bool:
        """True when the mirror already holds this commit."""
        out = self._git("cat-file", "-t", "--end-of-options", self._sha(sha), check=False)
        return out.strip() == b"commit"

    def fast_import(self, stream: bytes) -> None:
        """Load a git fast-import stream into the mirror (used to build demo repositories)."""
        with self._writing():
            self.init()
            self._git("fast-import", "--quiet", "--done", input_bytes=stream)

    def _sha(self, value: str) -> str:
        if value == EMPTY_TREE_SHA or is_sha(value):
            return value
        raise GitError(f"expected a full SHA, got {value!r}")

    # --- one commit's diff and blame, for tracing a fix back to the changes it corrects (SZZ) ---------------

    def commit_diff(self, sha: str, *, context: int = 3, ignore_whitespace: bool = False) -> bytes:
        """The diff of one commit against its first parent (the empty tree for a root commit).

        With ignore_whitespace, lines that differ only in whitespace are not part of the diff.
        """
        head = self._sha(sha)
        parents = self.parents(head)
        args = self._diff_args(parents[0] if parents else None, head)
        extra = [f"--unified={max(0, int(context))}"] + (["--ignore-all-space"] if ignore_whitespace else [])
        args[1:1] = extra
        return self._git(*args)

    def show_commit_files(self, sha: str) -> list[str]:
        """Paths a single commit changed against its first parent (the new path of a rename)."""
        head = self._sha(sha)
        parents = self.parents(head)
        return [path for path, _, _ in self.numstat(parents[0] if parents else None, head)]

    def blame(
        self, sha: str, path: str, lines: Sequence[tuple[int, int]], *, first_parent: bool = True
    ) -> list[BlameLine]:
        """Who last changed each line of path at commit sha, for the given (start, end) ranges, 1-based.

        Whitespace-only changes are looked through (-w), and lines moved or copied within or across files
        are followed to where they were first written (-M -C). With first_parent, a line that arrived in a
        merge is blamed on the merge commit of the integration branch, which is the change the portal tracks.
        No --end-of-options here: git blame before 2.44 reads the path after it as a revision and fails, and
        the revision is a verified full SHA, which cannot be read as an option; the path follows "--".
        """
        if not path or path.startswith("/") or ".." in path.split("/") or "\0" in path:
            raise GitError(f"refusing path {path!r}")
        ranges = [(int(a), int(b)) for a, b in lines if 1 <= int(a) <= int(b)]
        if not ranges:
            return []
        args = ["blame", "--porcelain", "-w", "-M", "-C"]
        if first_parent:
            args.append("--first-parent")
        for start, end in ranges:
            args += ["-L", f"{start},{end}"]
        args += [self._sha(sha), "--", path]
        return parse_blame_porcelain(self._git(*args).decode("utf-8", "replace"))


@dataclass(frozen=True)
class BlameLine:
    """One line of `git blame --porcelain`: where it is now, and the commit and place it came from."""

    line: int
    sha: str
    orig_path: str
    orig_line: int
    text: str


def parse_blame_porcelain(output: str) -> list[BlameLine]:
    """Parse `git blame --porcelain`: a header per line group, commit details the first time a commit shows."""
    result: list[BlameLine] = []
    paths: dict[str, str] = {}
    sha, orig_line, final_line = "", 0, 0
    for raw in output.split("\n"):
        if raw.startswith("\t"):
            if sha:
                result.append(BlameLine(final_line, sha, paths.get(sha, ""), orig_line, raw[1:]))
            continue
        head, _, rest = raw.partition(" ")
        if is_sha(head) and rest[:1].isdigit():
            numbers = rest.split()
            sha, orig_line, final_line = head, int(numbers[0]), int(numbers[1])
        elif head == "filename" and sha:
            paths[sha] = rest
    return result
