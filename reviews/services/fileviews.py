"""A reviewer marks the files of a change viewed, at the content they saw."""

from __future__ import annotations

from reviews.models import ChangeFile, Engineer, FileView


def file_view_mark(*, change_file: ChangeFile, reviewer: Engineer, viewed: bool) -> FileView | None:
    """Mark a file viewed at its current fingerprint, or not viewed; a later content of the file is unviewed again.

    Not written to the audit ledger: a verdict records how many files were viewed when it was given.
    """
    if not viewed:
        FileView.objects.filter(change_id=change_file.change_id, reviewer=reviewer, path=change_file.path).delete()
        return None
    view, _ = FileView.objects.update_or_create(
        change_id=change_file.change_id,
        reviewer=reviewer,
        path=change_file.path,
        defaults={"fingerprint": change_file.fingerprint},
    )
    return view
