"""History features of changes for the risk score, and labelled history to fit its weights (reads only).

A change's history is what had landed before it was opened (`opened_at`): merged changes of the same
repository whose non-generated files have one of its paths (old names of renamed files included). A change
counts as bad once it has a confirmed incident link (known from the incident's start) or once another merged
change of the repository says "This reverts commit <its head or merge SHA>", or, merged after it, is titled
'Revert "<its title>"' (known from that revert's merge).
`history_facts` computes one change's facts with SQL aggregates; `training_rows` computes every merged
change's in Python from a handful of bulk reads. Both follow the same rules and must agree.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Min, Q

from policy.causes import caused_before, first_caused
from policy.decision import sensitive_matches
from policy.risk import DEFAULT_WEIGHTS, FEATURES, RiskFacts, RiskWeights, diff_spread, feature_vector
from reviews.models import Change, ChangeFile, Repository, RiskModel

CHURN_WINDOW = timedelta(days=90)
INCIDENT_WINDOW = timedelta(days=180)
REVERT_MARKER = "This reverts commit "
_REVERTED_SHA = re.compile(re.escape(REVERT_MARKER) + r"([0-9a-f]{40})")
# GitHub's Revert button opens a pull request titled 'Revert "<pull request title>"'; squash-merged, its commit
# names no SHA (aiohttp's 'Revert "Move pip-tools into pyproject.toml" (#12809)', which reverted "Move pip-tools into
# pyproject.toml (#12739)"). Only a change merged before the revert counts: a re-landing has the same title.
REVERT_TITLE = 'Revert "'
_REVERTED_TITLE = re.compile(r'^Revert "(.+)"(?: \(#\d+\))?$')
_PULL_NUMBER = re.compile(r" \(#\d+\)$")
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _File:
    path: str
    old_path: str
    lines: int
    is_generated: bool


def _facts(
    change_lines: tuple[int, int],
    files: list[_File],
    *,
    first_seen: dict[str, datetime],
    at: datetime,
    sensitive_globs: list[str],
    sensitive_count: int | None,
    prior: int,
    churn: int,
    incidents: int,
    ai_assisted: bool,
) -> RiskFacts:
    """Facts from a change's files and its history counts; shared by both ways of reading history."""
    authored = [f for f in files if not f.is_generated]
    spread = diff_spread({f.path: f.lines for f in authored})
    ages = []
    for f in authored:
        seen = first_seen.get(f.path) or first_seen.get(f.old_path)
        ages.append((at - seen).total_seconds() / 86400 if seen else 0.0)
    if sensitive_count is None:
        # The paths policy looks at: every file, generated ones and old names of renamed ones included.
        paths = list(dict.fromkeys([f.path for f in files] + [f.old_path for f in files if f.old_path]))
        sensitive_count = len(sensitive_matches(paths, sensitive_globs))
    return RiskFacts(
        lines_added=change_lines[0],
        lines_removed=change_lines[1],
        files=spread.files,
        directories=spread.directories,
        entropy=spread.entropy,
        sensitive_count=sensitive_count,
        author_prior_changes=prior,
        file_age_days=max(0.0, sum(ages) / len(ages)) if ages else 0.0,
        recent_churn=churn,
        recent_incidents=incidents,
        ai_assisted=ai_assisted,
    )


def _history_paths(files: list[_File]) -> set[str]:
    authored = [f for f in files if not f.is_generated]
    return {f.path for f in authored} | {f.old_path for f in authored if f.old_path}


def history_facts(
    change: Change, *, sensitive_count: int | None = None, files: Sequence[ChangeFile] | None = None
) -> RiskFacts:
    """Risk facts of a change whose files are stored, from the history before it was opened.

    At most 4 queries (3 when given the change's files), plus one for the repository's sensitive globs when
    `sensitive_count` is not given and `change.repository` is not loaded. Pass the policy decision's count to keep
    the two in step.
    """
    rows = (
        [(f.path, f.old_path, f.lines_added, f.lines_removed, f.is_generated) for f in files]
        if files is not None
        else ChangeFile.objects.filter(change_id=change.pk).values_list(
            "path", "old_path", "lines_added", "lines_removed", "is_generated"
        )
    )
    stored = [_File(path, old_path, added + removed, generated) for path, old_path, added, removed, generated in rows]
    at = change.opened_at
    paths = _history_paths(stored)
    first_seen: dict[str, datetime] = {}
    prior = churn = incidents = 0
    if paths:
        history = ChangeFile.objects.filter(
            path__in=paths,
            is_generated=False,
            change__repository_id=change.repository_id,
            change__state=Change.State.MERGED,
            change__merged_at__lt=at,
        ).exclude(change_id=change.pk)
        first_seen = dict(history.values("path").annotate(first=Min("change__merged_at")).values_list("path", "first"))
        aggregates = {
            "churn": Count("change_id", distinct=True, filter=Q(change__merged_at__gte=at - CHURN_WINDOW)),
            "incidents": Count(
                "change_id",
                distinct=True,
                # A revert comes after what it reverts, so only reverts merged in the window matter.
                filter=Q(change__merged_at__gte=at - INCIDENT_WINDOW)
                & _known_bad(at, *_reverted(change.repository_id, at - INCIDENT_WINDOW, at)),
            ),
        }
        same_author = _same_author(change)
        if same_author is not None:
            aggregates["prior"] = Count("change_id", distinct=True, filter=same_author)
        counts = history.aggregate(**aggregates)
        prior, churn, incidents = counts.get("prior", 0), counts["churn"], counts["incidents"]
    return _facts(
        (change.lines_added, change.lines_removed),
        stored,
        first_seen=first_seen,
        at=at,
        sensitive_globs=list(change.repository.sensitive_paths or ()) if sensitive_count is None else [],
        sensitive_count=sensitive_count,
        prior=prior,
        churn=churn,
        incidents=incidents,
        ai_assisted=change.ai_assisted,
    )


def _same_author(change: Change) -> Q | None:
    """The same engineer, or the same address (either side may have no engineer); None when nobody is known."""
    same = Q()
    if change.author_id:
        same |= Q(change__author_id=change.author_id)
    if change.author_email:
        same |= Q(change__author_email__iexact=change.author_email)
    return same or None


def reverted_title(title: str) -> str | None:
    """The title that a 'Revert "<title>"' change reverts, without a squash merge's pull request number."""
    match = _REVERTED_TITLE.match(title)
    return _PULL_NUMBER.sub("", match[1]) if match else None


def _reverts() -> Q:
    return Q(description__contains=REVERT_MARKER) | Q(title__startswith=REVERT_TITLE)


def _reverted(repository_id: int, since: datetime, until: datetime) -> tuple[set[str], dict[str, datetime]]:
    """What the repository's changes merged in [since, until) revert: SHAs, and titles with the first revert's
    merge."""
    reverts = (
        Change.objects.filter(
            repository_id=repository_id, state=Change.State.MERGED, merged_at__gte=since, merged_at__lt=until
        )
        .filter(_reverts())
        .values_list("title", "description", "merged_at")
    )
    shas: set[str] = set()
    titles: dict[str, datetime] = {}
    for title, description, merged_at in reverts:
        shas.update(_REVERTED_SHA.findall(description))
        if reverted := reverted_title(title):
            titles[reverted] = min(merged_at, titles.get(reverted, merged_at))
    return shas, titles


def _known_bad(at: datetime, shas: set[str], titles: dict[str, datetime]) -> Q:
    """The history row's change was known by `at` to have caused an incident or to have been reverted."""
    bad = caused_before(at)
    if shas:
        bad |= Q(change__head_sha__in=shas) | Q(change__merge_sha__in=shas)
    for title, reverted_at in titles.items():
        # Cheap tests first: PostgreSQL runs the regular expression only on the rows that pass them.
        numbered = Q(change__title__startswith=f"{title} (#") & Q(
            change__title__regex=rf"^{re.escape(title)} \(#[0-9]+\)$"
        )
        bad |= Q(change__merged_at__lt=reverted_at) & (Q(change__title=title) | numbered)
    return bad


def latest_weights() -> RiskWeights:
    """The newest stored risk model's weights, or the defaults when none was fitted."""
    model = RiskModel.objects.order_by("-created_at", "-pk").first()
    if model is None:
        return DEFAULT_WEIGHTS
    weights = {name: float(w) for name, w in (model.weights or {}).items() if name in FEATURES}
    return RiskWeights(intercept=float(model.intercept), weights=weights)


# --- training rows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    """One merged change touching one path."""

    merged_at: datetime
    change_id: int
    bad_known_at: datetime | None


class _PathHistory:
    """Merged changes touching one path (or by one author on one path), sorted by merge time."""

    def __init__(self, events: list[_Event]) -> None:
        self.events = sorted(events, key=lambda e: (e.merged_at, e.change_id))
        self.times = [e.merged_at for e in self.events]

    def between(self, since: datetime, until: datetime) -> list[_Event]:
        """Events merged at or after `since` and before `until`."""
        return self.events[bisect_left(self.times, since) : bisect_left(self.times, until)]

    def first_before(self, until: datetime, *, other_than: int) -> datetime | None:
        for event in self.events:
            if event.merged_at >= until:
                return None
            if event.change_id != other_than:
                return event.merged_at
        return None


_NO_HISTORY = _PathHistory([])


def training_rows(repository: Repository | None = None) -> list[tuple[datetime, dict[str, float], bool]]:
    """(opened_at, features, defect-inducing) for every merged change with a stored diff, oldest first.

    Defect-inducing: a confirmed incident link or a revert by another merged change, whenever they came.
    Five queries whatever the size of the history; the rest is done in memory.
    """
    merged = Change.objects.filter(state=Change.State.MERGED, merged_at__isnull=False)
    if repository is not None:
        merged = merged.filter(repository=repository)
    changes = list(
        merged.order_by("opened_at", "pk").values_list(
            "pk",
            "repository_id",
            "author_id",
            "author_email",
            "opened_at",
            "merged_at",
            "head_sha",
            "merge_sha",
            "lines_added",
            "lines_removed",
            "ai_assisted",
            "diff_state",
            "title",
        )
    )
    files: dict[int, list[_File]] = defaultdict(list)
    for change_id, path, old_path, added, removed, generated in ChangeFile.objects.filter(
        change__in=merged
    ).values_list("change_id", "path", "old_path", "lines_added", "lines_removed", "is_generated"):
        files[change_id].append(_File(path, old_path, added + removed, generated))
    reverted_at: dict[tuple[int, str], datetime] = {}  # by (repository, SHA) and (repository, 'title:' title)
    for repository_id, merged_at, title, description in merged.filter(_reverts()).values_list(
        "repository_id", "merged_at", "title", "description"
    ):
        reverted = _REVERTED_SHA.findall(description) + [f"title:{t}" for t in (reverted_title(title),) if t]
        for key in ((repository_id, name) for name in reverted):
            reverted_at[key] = min(merged_at, reverted_at.get(key, merged_at))
    # A change reverted by title only when it was merged before that revert (a re-landing has the same title).
    by_title = {key: at for key, at in reverted_at.items() if key[1].startswith("title:")}
    incident_at = first_caused(merged)
    globs = dict(Repository.objects.filter(pk__in={c[1] for c in changes}).values_list("pk", "sensitive_paths"))

    bad_known_at: dict[int, datetime | None] = {}
    by_path: dict[tuple[int, str], list[_Event]] = defaultdict(list)
    by_author_id: dict[tuple[int, str, int], list[_Event]] = defaultdict(list)
    by_email: dict[tuple[int, str, str], list[_Event]] = defaultdict(list)
    for pk, repository_id, author_id, email, _, merged_at, head_sha, merge_sha, *_, title in changes:
        known = [t for t in (incident_at.get(pk),) if t]
        known += [
            reverted_at[(repository_id, sha)] for sha in (head_sha, merge_sha) if (repository_id, sha) in reverted_at
        ]
        by_title_at = by_title.get((repository_id, f"title:{_PULL_NUMBER.sub('', title)}"))
        known += [by_title_at] if by_title_at and merged_at < by_title_at else []
        bad_known_at[pk] = min(known) if known else None
        event = _Event(merged_at, pk, bad_known_at[pk])
        for path in {f.path for f in files[pk] if not f.is_generated}:
            by_path[(repository_id, path)].append(event)
            if author_id:
                by_author_id[(repository_id, path, author_id)].append(event)
            if email:
                by_email[(repository_id, path, email.lower())].append(event)
    histories = {key: _PathHistory(events) for key, events in by_path.items()}
    author_histories = {key: _PathHistory(events) for key, events in by_author_id.items()}
    email_histories = {key: _PathHistory(events) for key, events in by_email.items()}

    rows = []
    for pk, repository_id, author_id, email, opened_at, _, _, _, added, removed, ai, diff_state, _ in changes:
        if diff_state != Change.DiffState.DONE:
            continue
        first_seen: dict[str, datetime] = {}
        prior: set[int] = set()
        churn: set[int] = set()
        incidents: set[int] = set()
        for path in _history_paths(files[pk]):
            history = histories.get((repository_id, path), _NO_HISTORY)
            first = history.first_before(opened_at, other_than=pk)
            if first is not None:
                first_seen[path] = first
            churn.update(e.change_id for e in history.between(opened_at - CHURN_WINDOW, opened_at))
            incidents.update(
                e.change_id
                for e in history.between(opened_at - INCIDENT_WINDOW, opened_at)
                if e.bad_known_at is not None and e.bad_known_at < opened_at
            )
            mine: list[_Event] = []
            if author_id:
                mine += author_histories.get((repository_id, path, author_id), _NO_HISTORY).between(_EPOCH, opened_at)
            if email:
                mine += email_histories.get((repository_id, path, email.lower()), _NO_HISTORY).between(
                    _EPOCH, opened_at
                )
            prior.update(e.change_id for e in mine)
        for ids in (prior, churn, incidents):
            ids.discard(pk)
        facts = _facts(
            (added, removed),
            files[pk],
            first_seen=first_seen,
            at=opened_at,
            sensitive_globs=list(globs.get(repository_id) or ()),
            sensitive_count=None,
            prior=len(prior),
            churn=len(churn),
            incidents=len(incidents),
            ai_assisted=ai,
        )
        rows.append((opened_at, feature_vector(facts), bad_known_at[pk] is not None))
    return rows
