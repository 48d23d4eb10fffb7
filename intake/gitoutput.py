"""Reading git's machine output (pure): NUL-separated numstat, log records, `cat-file --batch`, blame porcelain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from intake.gitrun import is_sha

# The commit fields Mirror.log asks for, \x1f-separated, records \0-separated; %m (a boundary commit's "-") first.
LOG_FORMAT = "--format=%m%x1f%H%x1f%P%x1f%aN%x1f%aE%x1f%aI%x1f%cN%x1f%cE%x1f%cI%x1f%B"

Numstat = list[tuple[str, int | None, int | None]]


def parse_numstat_z(out: bytes) -> tuple[Numstat, int]:
    """(path, added, removed) per file of `--numstat -z` output, None counts for binary files.

    Also where the numstat ends: after its closing NUL when a patch follows (`--numstat -z -p`), else len(out);
    -1 when the output was cut inside the numstat.
    """
    result: Numstat = []
    pos, size = 0, len(out)
    while pos < size:
        end = out.find(b"\0", pos)
        if end < 0:
            return result, -1
        record = out[pos:end]
        if not record:  # the empty field between the numstat and the patch
            return result, end + 1
        pos = end + 1
        parts = record.split(b"\t", 2)
        if len(parts) < 3:
            continue
        added, removed, path = parts
        if path == b"":  # a rename: the old and new paths follow
            old_end = out.find(b"\0", pos)
            new_end = out.find(b"\0", old_end + 1) if old_end >= 0 else -1
            if new_end < 0:
                return result, -1
            path = out[old_end + 1 : new_end]
            pos = new_end + 1
        result.append(
            (
                path.decode("utf-8", "replace"),
                None if added == b"-" else int(added),
                None if removed == b"-" else int(removed),
            )
        )
    return result, size


def split_numstat_patch(out: bytes, cut: bool, max_bytes: int) -> tuple[Numstat, bytes, bool] | None:
    """The numstat and the patch of `git diff --numstat -z --patch` (cut says git's output was), the patch cut
    after max_bytes, and whether it was cut; None when the numstat itself was cut."""
    numstat, end = parse_numstat_z(out)
    if end < 0:
        return None
    raw = out[end:]
    return numstat, raw[:max_bytes], cut or len(raw) > max_bytes


def parse_log(out: bytes) -> tuple[list[dict], list[str]]:
    """The commits of `git log -z` in LOG_FORMAT, and apart the boundary commits (with --boundary)."""
    commits, boundary = [], []
    for record in out.split(b"\0"):
        if not record.strip():
            continue
        fields = record.decode("utf-8", "replace").split("\x1f", 9)
        if len(fields) != 10:
            continue
        mark, sha, parents, an, ae, ad, cn, ce, cd, body = fields
        if mark.strip() == "-":
            boundary.append(sha.strip())
            continue
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
    return commits, boundary


def first_blob(out: bytes, names: Sequence[str], max_bytes: int) -> tuple[str, bytes | None] | None:
    """The first of names that `git cat-file --batch` (asked for them in order) found as a file.

    Returns (name, content), content None when the file is larger than max_bytes; None when none is a file.
    """
    pos = 0
    for name in names:
        end = out.find(b"\n", pos)
        if end < 0:
            return None
        header = out[pos:end].split(b" ")
        pos = end + 1
        if len(header) != 3 or header[2] == b"missing" or not header[2].isdigit():
            continue  # "<name> missing", "<name> ambiguous"
        size = int(header[2])
        content, pos = out[pos : pos + size], pos + size + 1
        if header[1] == b"blob":
            return name, content if size <= max_bytes and len(content) == size else None
    return None


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
