"""The diff viewer: the change page's files, one file's diff, more context around a hunk, changes since a review.

The change page ships its first files rendered and the rest as placeholders that htmx loads as they scroll into
view, so a change of hundreds of files opens at once. Rendering a file reads both of its versions from the
mirror to highlight each as a whole; what cannot be read (binary, missing, too large, no mirror) is shown plain.
"""

from __future__ import annotations

import posixpath
import zlib
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from intake.diffparse import parse_diff
from intake.gitrun import GitError
from intake.mirrors import repository_mirror
from portal.htmx import is_fragment
from reviews import diffview, filelist, selectors
from reviews.changepage import gitattributes
from reviews.models import Change, ChangeFile, Engineer
from reviews.people import current_engineer
from reviews.services.fileviews import file_view_mark
from reviews.views.comments import thread_context
from reviews.views.diffrows import (
    FileEntry,
    RenderedDiff,
    Rendering,
    comment_base_url,
    context_items,
    file_entries,
    read_attributes,
    read_source,
    render_file,
)

VIEW_MODES = ("unified", "split")
# Files rendered with the page, up to this many lines in all; the others load when scrolled to (generated and lock
# files when asked for). A file past the budget ships as a placeholder, even the first: first paint stays small.
INLINE_FILES = 3
INLINE_LINES = 150
INTERDIFF_HIGHLIGHTED_FILES = 30
# Past this size the previous revision's diff is not read for its paths: the interdiff covers today's files only.
INTERDIFF_OLD_DIFF_MAX_BYTES = 4 * 1024 * 1024


def diff_view_mode(request: HttpRequest) -> str:
    """unified or split, from `?view=`; unified unless asked otherwise."""
    mode = request.GET.get("view") or request.POST.get("view", "")
    return mode if mode in VIEW_MODES else "unified"


def view_urls(request: HttpRequest) -> dict[str, str]:
    """This page's address in each layout, every other parameter kept."""
    urls = {}
    for mode in VIEW_MODES:
        query = request.GET.copy()
        query["view"] = mode
        urls[mode] = f"?{query.urlencode()}"
    return urls


def clean_path(raw: str) -> str | None:
    """A path as asked for, or None for one no file of a change can have (absolute, `..`, NUL, too long)."""
    if not raw or len(raw) > 1000 or "\0" in raw or raw.startswith("/") or ".." in raw.split("/"):
        return None
    return raw


# --- the change page ----------------------------------------------------------------------------


def files_context(
    request: HttpRequest, change: Change, engineer: Engineer | None, threads_by_line: dict[str, dict[str, list]]
) -> dict[str, Any]:
    """The change page's files section: tree, entries (the first few rendered), view mode and interdiff link.

    Reads the change's prefetched files, gates, reviews and revisions; one query for the reader's viewed files.
    """
    mode = diff_view_mode(request)
    files = list(change.files.all())
    entries = file_entries(change, files, selectors.viewed_fingerprints(change, engineer), mode)
    mirror = repository_mirror(change.repository)
    comment_base = comment_base_url(change)
    attributes = read_attributes(mirror, change.diff_sha or change.head_sha)
    marked = gitattributes.generated_paths(attributes, [entry.path for entry in entries])
    for entry in entries:
        entry.marked_generated = entry.path in marked
    for entry in inline_entries(entries):
        entry.diff = render_file(
            change,
            entry,
            mode,
            mirror=mirror,
            threads=threads_by_line.get(entry.path, {}),
            comment_base=comment_base,
            part=0,
        )
    by_dir: dict[str, list[FileEntry]] = {}
    for entry in entries:
        by_dir.setdefault(posixpath.dirname(entry.path), []).append(entry)
    return {
        "diff_view": mode,
        "file_entries": entries,
        "file_tree": list(by_dir.items()),
        "viewed_count": sum(1 for e in entries if e.viewed),
        "interdiff_from": last_reviewed_revision(change, engineer),
    }


def inline_entries(entries: list[FileEntry]) -> list[FileEntry]:
    """The first files in page order that fit INLINE_FILES and INLINE_LINES; generated and folded files are skipped."""
    chosen: list[FileEntry] = []
    lines = 0
    for entry in entries:
        if entry.generated or entry.collapsed:
            continue
        if len(chosen) >= INLINE_FILES or lines + entry.changed_lines > INLINE_LINES:
            break
        chosen.append(entry)
        lines += entry.changed_lines
    return chosen


def last_reviewed_revision(change: Change, engineer: Engineer | None) -> int | None:
    """The newest earlier revision the engineer gave a verdict on, when the change has moved on since."""
    if engineer is None:
        return None
    numbers = {r.head_sha: r.number for r in change.revisions.all()}
    current = numbers.get(change.head_sha)
    mine = [r for r in change.reviews.all() if r.reviewer_id == engineer.pk]
    reviewed = {numbers[r.head_sha] for r in mine if r.head_sha in numbers}
    if current is None or current in reviewed:
        return None
    return max((n for n in reviewed if n < current), default=None)


# --- views --------------------------------------------------------------------------------------


def _load_file(change_id: int, raw_path: str) -> tuple[Change, ChangeFile]:
    """The change and its file at path, or 404: a path that is not one of the change's files never reaches git."""
    path = clean_path(raw_path)
    change = selectors.change_for_files(change_id, path=path) if path else None
    if change is None:
        raise Http404("No such file in this change.")
    files = list(change.files.all())
    if not files:
        raise Http404("No such file in this change.")
    return change, files[0]


@login_required
@require_GET
def file_detail(request: HttpRequest, change_id: int) -> HttpResponse:
    """One file's diff: the fragment that replaces its placeholder (htmx), or a page of its own; `part=N` (N > 0)
    is the Nth part of a large file's diff, the rows that replace the "more" row of the part before."""
    change, file = _load_file(change_id, request.GET.get("path", ""))
    part = _int_param(request, "part", 0)
    engineer = current_engineer(request)
    mode = diff_view_mode(request)
    threads = thread_context(change, engineer)
    entry = file_entries(change, [file], selectors.viewed_fingerprints(change, engineer, [file.path]), mode)[0]
    entry.diff = render_file(
        change,
        entry,
        mode,
        mirror=repository_mirror(change.repository),
        threads=threads["threads_by_line"].get(file.path, {}),
        comment_base=comment_base_url(change),
        part=part,
    )
    context = {"change": change, "entry": entry, "diff_view": mode, "view_urls": view_urls(request), **threads}
    if is_fragment(request):
        if part:
            return render(request, "reviews/_diff_part.html", {**context, "d": entry.diff})
        return render(request, "reviews/_diff_file.html", context)
    return render(request, "reviews/change_file.html", context)


@login_required
@require_POST
def file_viewed(request: HttpRequest, change_id: int) -> HttpResponse:
    """Mark a file viewed (`viewed=1`) or not, at its current content; answers with its header or a redirect."""
    change, file = _load_file(change_id, request.POST.get("path", ""))
    engineer = current_engineer(request)
    if engineer is None:
        return HttpResponseForbidden("Only engineers can mark files viewed.")
    viewed = request.POST.get("viewed") == "1"
    file_view_mark(change_file=file, reviewer=engineer, viewed=viewed)
    mode = diff_view_mode(request)
    entry = file_entries(change, [file], {file.path: file.fingerprint} if viewed else {}, mode)[0]
    if is_fragment(request):
        return render(request, "reviews/_diff_file_head.html", {"change": change, "entry": entry, "diff_view": mode})
    query = "?view=split" if mode == "split" else ""
    return redirect(reverse("reviews:change-detail", args=[change.pk]) + query + f"#{entry.anchor}")


def _int_param(request: HttpRequest, name: str, default: int | None = None) -> int:
    raw = request.GET.get(name, "")
    if not raw and default is not None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Http404(f"{name} must be a number.") from None
    if abs(value) > 10_000_000:
        raise Http404(f"{name} is out of range.")
    return value


@login_required
@require_GET
def file_context(request: HttpRequest, change_id: int) -> HttpResponse:
    """Unchanged lines of the new version around the hunks: `start`..`end` of a gap, `show` all, first or last."""
    change, file = _load_file(change_id, request.GET.get("path", ""))
    start, end = _int_param(request, "start"), _int_param(request, "end")
    delta, show = _int_param(request, "delta", 0), request.GET.get("show", "all")
    if start < 1 or end < start or show not in ("all", "first", "last"):
        raise Http404("No such lines.")
    mode = diff_view_mode(request)
    mirror = repository_mirror(change.repository)
    source = read_source(mirror, change.diff_sha or change.head_sha, file.path, until=end)
    if source is None or file.status == ChangeFile.Status.DELETED or start > source.count:
        raise Http404("Those lines cannot be read.")
    anchor = filelist.file_anchor(file.path)
    rendering = Rendering(change_id=change.pk, path=file.path, anchor=anchor, mode=mode)
    items = context_items(source, diffview.Gap(start, end, delta), show, rendering)
    context = {"change": change, "items": items, "mode": mode, "diff_view": mode}
    if is_fragment(request):
        return render(request, "reviews/_diff_rows.html", context)
    entry = file_entries(change, [file], {}, mode)[0]
    entry.diff = RenderedDiff(mode, items)
    context.update({"entry": entry, "context_lines": (start, min(end, source.count)), "view_urls": view_urls(request)})
    return render(request, "reviews/change_file.html", context)


@login_required
@require_GET
def change_interdiff(request: HttpRequest, change_id: int) -> HttpResponse:
    """What changed in the change's files between an earlier revision's head (`?from=N`) and the current one."""
    change = selectors.change_for_files(change_id, with_patches=False)
    if change is None:
        raise Http404("No such change.")
    number = _int_param(request, "from")
    revisions = list(change.revisions.all())
    revision = next((r for r in revisions if r.number == number), None)
    if revision is None:
        raise Http404("No such revision.")
    mode = diff_view_mode(request)
    head = change.diff_sha or change.head_sha
    current = next((r for r in revisions if r.head_sha == head), None)
    context: dict[str, Any] = {
        "change": change,
        "revision": revision,
        "current_revision": current,
        "revisions": revisions,
        "diff_view": mode,
        "view_urls": view_urls(request),
        "entries": [],
        "error": "",
    }
    if revision.head_sha != head:
        try:
            context["entries"], context["truncated"] = _interdiff_entries(change, revision, head, mode)
        except GitError as exc:
            context["error"] = f"The difference could not be computed: {exc}"
    return render(request, "reviews/change_interdiff.html", context)


def _interdiff_entries(change: Change, revision, head: str, mode: str) -> tuple[list[FileEntry], bool]:
    paths = {f.path for f in change.files.all()} | {f.old_path for f in change.files.all() if f.old_path}
    if revision.raw_size <= INTERDIFF_OLD_DIFF_MAX_BYTES:
        # A file the earlier revision changed and this one no longer does changed back: that belongs here too.
        try:
            raw = zlib.decompress(selectors.revision_raw_diff(revision)) if revision.raw_size else b""
        except zlib.error:
            raw = b""
        paths |= {p for f in parse_diff(raw).files for p in (f.path, f.old_path) if p}
    paths = {p for p in paths if clean_path(p)}
    mirror = repository_mirror(change.repository)
    raw, truncated = mirror.diff_paths(revision.head_sha, head, sorted(paths), settings.PORTAL_DIFF_MAX_BYTES)
    entries = []
    for index, diff in enumerate(parse_diff(raw).files):
        file = ChangeFile(
            path=diff.path,
            old_path=diff.old_path,
            status=diff.status,
            lines_added=diff.lines_added,
            lines_removed=diff.lines_removed,
            patch=diff.patch,
        )
        entry = FileEntry(file=file, anchor=filelist.file_anchor(diff.path), url="")
        entry.diff = render_file(
            change,
            entry,
            mode,
            mirror=mirror if index < INTERDIFF_HIGHLIGHTED_FILES else None,
            old_sha=revision.head_sha,
            new_sha=head,
            expandable=False,
        )
        entries.append(entry)
    return entries, truncated
