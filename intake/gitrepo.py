"""The one way Countersign runs git: list-form, bounded, locked down, on bare mirrors (see intake.gitrun)."""

from __future__ import annotations

import fcntl
import re
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from intake.gitoutput import (
    LOG_FORMAT,
    BlameLine,
    Numstat,
    first_blob,
    parse_blame_porcelain,
    parse_log,
    parse_numstat_z,
    split_numstat_patch,
)
from intake.gitrun import (
    EMPTY_TREE_SHA,
    GitConfig,
    GitError,
    check_url,
    git_service,
    is_safe_ref,
    is_sha,
    run_git,
    run_git_capped,
)

DEFAULT_CONFIG = GitConfig()
# How every diff is asked for: fixed prefixes, renames found, full blob ids (the patch id and fingerprints use them).
_DIFF_OPTIONS = ("--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/",
                 "--find-renames", "--full-index")  # fmt: skip
_CAT_FILE = ("cat-file", "--batch")
_DIFF_TREE = ("diff-tree", "--stdin", "--always", "-r", "--numstat", "-z", "--patch", *_DIFF_OPTIONS)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


# What git says when an object the history refers to is not in the repository it reads.
_MISSING_OBJECT_RE = re.compile(
    r"unable to read|missing (blob|tree|commit)|bad object|did not send all necessary objects|"
    r"could not fetch .* from promisor",
    re.IGNORECASE,
)


def is_missing_object(message: str) -> bool:
    """git failed because an object is missing (in the source or in a partial mirror)."""
    return bool(_MISSING_OBJECT_RE.search(message))


class Mirror:
    """A bare mirror of a repository, kept by the portal; never a work tree."""

    def __init__(self, path: Path, config: GitConfig = DEFAULT_CONFIG, *, mailmap_branch: str = "") -> None:
        self.path = Path(path)
        self.config = config
        # Authors as the project's .mailmap on this branch names them (one person, one address); a branch's own
        # .mailmap never counts until it is merged.
        self._mailmap = (
            {"mailmap.blob": f"refs/heads/{mailmap_branch}:.mailmap"}
            if mailmap_branch and is_safe_ref(mailmap_branch) and not is_sha(mailmap_branch)
            else {"mailmap.blob": ""}
        )

    def _git(self, *args: str, input_bytes: bytes | None = None, check: bool = True) -> bytes:
        return run_git(args, git_dir=self.path, config=self.config, input_bytes=input_bytes, check=check)

    def _log(self, *args: str) -> bytes:
        return run_git(args, git_dir=self.path, config=self.config, extra_config=self._mailmap)

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

    def fetch(self, url: str, refspecs: Sequence[str] = ("+refs/heads/*:refs/heads/*",)) -> bool:
        """Fetch refs from a remote location into the mirror, one writer at a time (workers share mirrors).

        A source that lacks an object it refers to (a corrupt or shallow mirror) fails a full fetch with
        "unable to read": the fetch is then made again without file contents (a partial clone), so the
        history still arrives and only the diffs that need the missing object fail. Returns True then.
        """
        location = check_url(url, self.config.allowed_protocols)
        with self._writing():
            self.init()
            try:
                self._git("fetch", "--quiet", "--prune", "--no-tags", "--end-of-options", location, *refspecs)
                return False
            except GitError as exc:
                if not is_missing_object(str(exc)):
                    raise
            # A partial clone needs a named remote: git records it as the promisor that later reads of a file
            # fetch the file from (a path cannot be a remote's name).
            self._git("config", "remote.source.url", location)
            self._git("config", "remote.source.promisor", "true")
            self._git("config", "remote.source.partialclonefilter", "blob:none")
            if "://" not in location or location.startswith("file://"):
                # A local source serves filters and single objects only when told to (a host does by default).
                pack = "git -c uploadpack.allowFilter=true -c uploadpack.allowAnySHA1InWant=true upload-pack"
                self._git("config", "remote.source.uploadpack", pack)
            self._git(
                "fetch",
                "--quiet",
                "--prune",
                "--no-tags",
                "--filter=blob:none",
                "--end-of-options",
                "source",
                *refspecs,
            )
            return True

    def resolve(self, ref: str) -> str:
        """Resolve a ref or SHA to a full commit SHA; refuse unsafe names."""
        if not (is_sha(ref) or is_safe_ref(ref)):
            raise GitError(f"refusing unsafe ref {ref!r}")
        out = self._git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False)
        sha = out.decode().strip()
        if not is_sha(sha):
            raise GitError(f"unknown revision {ref!r}")
        return sha

    def same_tree(self, a: str, b: str) -> bool:
        """The two commits hold the same files (an empty diff between them)."""
        if not (is_sha(a) and is_sha(b)):
            raise GitError("same_tree takes two commit SHAs")
        out = self._git("rev-parse", f"{a}^{{tree}}", f"{b}^{{tree}}", check=False)  # SHAs: never options
        trees = out.decode().split()
        return len(trees) == 2 and trees[0] == trees[1]

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
        args = ["log", "--reverse", "-z", LOG_FORMAT]
        if first_parent:
            args.append("--first-parent")
        args += ["--end-of-options", self._sha(head)]
        if exclude:
            args.append("^" + self._sha(exclude))
        args.append("--")
        return parse_log(self._log(*args))[0]

    def log_since_branch(self, head: str, branch: str) -> tuple[list[dict], list[str]]:
        """Commits reachable from head and not from a branch, oldest first, and the boundary commits between.

        One boundary commit is the merge base of the two (every common ancestor lies behind it), so one git
        process tells both the commits of a change and where it forked.
        """
        if not is_safe_ref(branch) or is_sha(branch):
            raise GitError(f"refusing unsafe ref {branch!r}")
        args = ["log", "--reverse", "--boundary", "-z", LOG_FORMAT, "--end-of-options", self._sha(head)]
        return parse_log(self._log(*args, f"^{branch}^{{commit}}", "--"))

    def first_parent_files(self, head: str, *, since: str = "") -> dict[str, tuple[tuple[str, ...], int]]:
        """Per first-parent commit from head (merges against their first parent): paths and changed lines.

        One git call for the whole history (renames read as a deletion and an addition)."""
        args = ["log", "--first-parent", "--diff-merges=first-parent", "--no-renames", "--numstat", "--format=%x00%H"]
        if since:
            args.append(f"--since={since}")
        args += ["--end-of-options", self._sha(head), "--"]
        result: dict[str, tuple[tuple[str, ...], int]] = {}
        for record in self._git(*args).decode("utf-8", "replace").split("\0"):
            lines = record.strip("\n").splitlines()
            if not lines or not is_sha(lines[0].strip()):
                continue
            paths, changed = [], 0
            for line in lines[1:]:
                added, _, rest = line.partition("\t")
                removed, _, path = rest.partition("\t")
                if not path:
                    continue
                paths.append(path)
                changed += (int(added) if added.isdigit() else 0) + (int(removed) if removed.isdigit() else 0)
            result[lines[0].strip()] = (tuple(paths), changed)
        return result

    def merge_base(self, a: str, b: str) -> str | None:
        """The best common ancestor of two commits, or None; `a` may name a branch (no rev-parse beforehand)."""
        left = f"{a}^{{commit}}" if not is_sha(a) and is_safe_ref(a) else self._sha(a)
        out = self._git("merge-base", "--end-of-options", left, self._sha(b), check=False).decode().strip()
        return out if is_sha(out) else None

    def is_ancestor(self, a: str, b: str) -> bool:
        """True when commit a is an ancestor of (or equal to) commit b."""
        return self.merge_base(a, b) == self._sha(a)

    def _diff_args(self, base: str | None, head: str) -> list[str]:
        left = self._sha(base) if base else EMPTY_TREE_SHA
        return ["diff", *_DIFF_OPTIONS, "--end-of-options", left, self._sha(head), "--"]

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
            _check_path(path)
        if not paths:
            return b"", False
        args = ["--literal-pathspecs", *self._diff_args(base, head), *paths]
        return run_git_capped(args, git_dir=self.path, config=self.config, truncate_at=max_bytes)

    def numstat(self, base: str | None, head: str) -> Numstat:
        """(path, added, removed) per file, None counts for binary files; cheap even for huge diffs."""
        args = self._diff_args(base, head)
        args[1:1] = ["--numstat", "-z"]
        return parse_numstat_z(self._git(*args))[0]

    def diff_numstat(self, base: str | None, head: str, max_bytes: int) -> tuple[Numstat, bytes, bool]:
        """The numstat (true counts) and the diff cut after max_bytes; True when cut.

        Asked of a `git diff-tree --stdin` kept running for this mirror (the diff of git diff, byte for byte):
        a new git process costs more than the diff of a usual change.
        """
        # The numstat comes first: room for it beyond the diff's own limit (about 60 bytes a file).
        cap = max_bytes + max(64 * 1024, max_bytes // 8)
        found = None
        if base:
            end = f"countersign-{secrets.token_hex(8)}\n".encode()  # not an object id: git echoes it after the diff
            request = f"{self._sha(head)} {self._sha(base)}\n".encode() + end
            service = git_service(_DIFF_TREE, git_dir=self.path, config=self.config)
            # The head's id comes first (--always): diff-tree says nothing else of a commit it does not have.
            header = f"{self._sha(head)}\0".encode()
            try:
                out, cut = service.ask(request, end, limit=cap + len(header))
                if not out.startswith(header):
                    raise GitError("git diff-tree does not know the commits")
                out = out[len(header) :] if cut else out[len(header) : -len(end)]
                found = split_numstat_patch(out, cut, max_bytes)
            except GitError as exc:
                if exc.transient:
                    raise  # else the one-off diff below says what is wrong
        if found is None:
            args = self._diff_args(base, head)
            args[1:1] = ["--numstat", "-z", "--patch"]
            out, cut = run_git_capped(args, git_dir=self.path, config=self.config, truncate_at=cap)
            found = split_numstat_patch(out, cut, max_bytes)
        if found is None:  # a numstat too long to fit: ask for it alone
            raw, truncated = self.diff_capped(base, head, max_bytes)
            return self.numstat(base, head), raw, truncated
        return found

    def rev_list(self, head: str, *, exclude: str | None = None, max_count: int = 10000) -> list[str]:
        """SHAs of the commits reachable from head (and not from exclude), newest first, at most max_count."""
        not_from = ["^" + self._sha(exclude)] if exclude else []
        out = self._git(
            "rev-list", f"--max-count={int(max_count)}", "--end-of-options", self._sha(head), *not_from, "--"
        )
        return [line for line in out.decode().split() if is_sha(line)]

    def read_file(self, sha: str, path: str, *, max_bytes: int = 1024 * 1024) -> bytes | None:
        """The content of path at commit sha, or None when absent; refuses paths that leave the tree."""
        _check_path(path, object_name=True)
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

    def read_first(self, sha: str, paths: Sequence[str], *, max_bytes: int = 1024 * 1024) -> bytes | None:
        """The content of the first of paths that is a file at commit sha, or None; None too when that file is larger
        than max_bytes. Asked of a `git cat-file --batch` kept running for this mirror."""
        for path in paths:
            _check_path(path, object_name=True)
        # A name that cannot exist: its "missing" closes the answer.
        last = f"{EMPTY_TREE_SHA}:countersign-{secrets.token_hex(8)}"
        request = "".join(f"{name}\n" for name in [f"{self._sha(sha)}:{path}" for path in paths] + [last]).encode()
        end, limit = f"{last} missing\n".encode(), len(paths) * (max_bytes + 256) + 256
        for attempt in (1, 2):
            try:
                out, _ = git_service(_CAT_FILE, git_dir=self.path, config=self.config).ask(request, end, limit=limit)
                break
            except GitError as exc:
                if exc.transient or attempt == 2:
                    raise
                # Its process had stopped (a mirror made anew, say): once more, with a new one.
        found = first_blob(out, paths, max_bytes)
        return found[1] if found else None

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
        _check_path(path)
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


def _check_path(path: str, *, object_name: bool = False) -> None:
    """Refuse a path that could leave the tree; in a "sha:path" object name also one read as an option or a name."""
    # After "--" a leading dash is a name, not an option.
    refused = not path or path.startswith("/") or ".." in path.split("/") or "\0" in path
    if refused or (object_name and (path.startswith("-") or any(c in path for c in ":\n"))):
        raise GitError(f"refusing path {path!r}")
