"""Measure the suspect ranking on a repository's history, with its reverts as incidents of known cause."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Prefetch

from incidents import selectors
from incidents.evaluation import MODE_LABELS, MODES, Report, evaluate, top_level_services
from incidents.services import ranking_knobs
from incidents.suspect_facts import Candidate, Deploy
from intake.gitrun import GitError
from intake.mirrors import repository_mirror
from reviews.models import Change, ChangeFile, Deployment, Repository


class Command(BaseCommand):
    help = (
        "Treat every revert in the portal's records of a repository as an incident starting a fixed lead before "
        "the revert, rank its suspects seeing only the history before the start (never the revert), and report "
        "how often the reverted change ranks first and in the top five, with 95 % intervals, next to the "
        "baseline 'latest change deployed to the affected service'; culprits merged after the start are counted "
        "out of reach. For imported public histories and the fix-known mode, see evaluate_history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repo", required=True, help="Name of the repository in the portal")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON")
        parser.add_argument(
            "--lead-minutes", type=int, default=30, help="How long before the revert the incident starts (30)"
        )

    def handle(self, *args, repo: str, json: bool, lead_minutes: int, **options) -> None:
        repository = Repository.objects.filter(name=repo).first()
        if repository is None:
            raise CommandError(f"no repository named {repo!r}")
        if lead_minutes < 1:
            raise CommandError("--lead-minutes must be at least 1")
        report = self._evaluate(repository, timedelta(minutes=lead_minutes))
        if json:
            self.stdout.write(_json_dumps(report.as_dict()))
        else:
            self.stdout.write(_text(report))

    def _evaluate(self, repository: Repository, lead: timedelta) -> Report:
        mirror = repository_mirror(repository)
        changes = list(
            Change.objects.filter(repository=repository, state=Change.State.MERGED).prefetch_related(
                Prefetch("files", queryset=ChangeFile.objects.only("id", "change_id", "path"))
            )
        )
        missing = [c for c in changes if not c.files.all()]
        if missing and not mirror.exists():
            mirror.fetch(repository.clone_url)
        paths: dict[int, tuple[str, ...]] = {}
        for change in missing:
            # The diff worker has not read this change yet: the commit's own file list stands in.
            try:
                paths[change.pk] = tuple(mirror.show_commit_files(change.head_sha))
            except GitError:
                paths[change.pk] = ()
        candidates = selectors.candidates_of([c.pk for c in changes], paths=paths)
        notes = [selectors.to_note(c) for c in changes]
        configured = list(repository.services.all())
        services = selectors.facts.service_scopes(configured) or top_level_services(
            {p for c in candidates for p in c.paths}
        )
        deploys = self._deploys(repository, candidates, services, bool(configured))
        return evaluate(
            repository.name,
            candidates=candidates,
            deploys=deploys,
            notes=notes,
            services=services,
            knobs=ranking_knobs(),
            lead=lead,
        )

    def _deploys(self, repository: Repository, candidates: list[Candidate], services, configured: bool) -> list[Deploy]:
        deployments = list(Deployment.objects.filter(service__repository=repository).select_related("service"))
        if not configured or not deployments:
            return []  # the ranking takes merges for deployments (PORTAL_IMPLIED_DEPLOYS)
        carried: dict[int, list[int]] = defaultdict(list)
        for deployment_id, change_id in Deployment.changes.through.objects.filter(
            deployment__in=deployments
        ).values_list("deployment_id", "change_id"):
            carried[deployment_id].append(change_id)
        return [
            Deploy(d.service.name, d.deployed_at, tuple(carried[d.pk]), environment=d.environment) for d in deployments
        ]


def _json_dumps(data: dict) -> str:
    return json.dumps(data, indent=2, default=str)


def _text(report: Report) -> str:
    n = len(report.outcomes)
    lines = [f"{report.repository}: {n} revert(s) treated as incidents"]
    if report.out_of_reach:
        lines.append(f"out of reach {len(report.out_of_reach)}: " + "; ".join(report.out_of_reach[:5]))
    if report.skipped:
        lines.append(f"skipped {len(report.skipped)}: " + "; ".join(report.skipped[:5]))
    if not n:
        lines.append("no reverts to measure")
        return "\n".join(lines)
    lines.append(f"{'':70} {'top-1':>14} {'top-5':>14}")
    for mode in ("baseline", *MODES):
        top1 = f"{report.hits(mode, 1)}/{n} {report.rate(mode, 1):5.1f}%"
        top5 = f"{report.hits(mode, 5)}/{n} {report.rate(mode, 5):5.1f}%"
        lines.append(f"{MODE_LABELS[mode]:70} {top1:>14} {top5:>14}")
    lines.append("")
    lines.append("per revert: rank, baseline hit, candidates, title")
    for o in report.outcomes:
        ranks = " / ".join(str(o.ranks.get(m) or "-") for m in MODES)
        hit = "yes" if o.baseline_id == o.target_id else "no"
        lines.append(f"  {o.revert_sha[:10]}  {ranks:>12}  baseline {hit:3}  {o.candidates:4}  {o.target_title[:60]}")
    return "\n".join(lines)
