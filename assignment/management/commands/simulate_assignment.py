"""Replay a repository's merged history under assignment strategies and print the metrics of issue 6."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assignment.expertise import ReplayInputs, replay_inputs
from assignment.history import Senior, top_authors
from assignment.metrics import Metrics
from assignment.simulation import STRATEGIES, simulate
from reviews.models import Repository

COLUMNS = ("changes", "expertise", "workload_gini", "max_share", "files_at_risk", "senior_hours", "p90_queue_hours")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _seniors_from_file(path: str, inputs: ReplayInputs) -> list[Senior]:
    """One senior a line: e-mail, git host login or portal username; # starts a comment."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    seniors: dict[str, Senior] = {}
    for number, line in enumerate(lines, 1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        key = inputs.aliases.get(name.lower())
        if key is None and "@" in name:
            key = f"m:{name.lower()}"  # an author the portal does not know, by their commit e-mail
        if key is None:
            raise CommandError(f"{path}:{number}: nobody called {name!r} (use an e-mail, login or username)")
        seniors.setdefault(key, inputs.engineers.get(key) or Senior(key=key, name=inputs.names.get(key, name)))
    if not seniors:
        raise CommandError(f"{path} names no seniors")
    return list(seniors.values())


def _seniors(spec: str | None, seniors_file: str | None, inputs: ReplayInputs) -> list[Senior]:
    if spec and seniors_file:
        raise CommandError("give --seniors or --seniors-file, not both")
    if seniors_file:
        return _seniors_from_file(seniors_file, inputs)
    if spec:
        kind, _, count = spec.partition(":")
        if kind != "top" or not count.isdigit() or int(count) < 2:
            raise CommandError(f"--seniors takes top:K with K at least 2, not {spec!r}")
        keys = top_authors(inputs.changes, int(count), leave_out=inputs.bots)
        return [inputs.engineers.get(k) or Senior(key=k, name=inputs.names.get(k, k)) for k in keys]
    return inputs.seniors


class Command(BaseCommand):
    help = (
        "Replay a repository's merged changes in time order; at each change a strategy picks one reviewer among "
        "the seniors, and the pick's knowledge and load carry forward. Prints expertise, workload Gini, largest "
        "share, files at risk, senior hours and the 90th percentile queue wait per strategy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repo", required=True, metavar="NAME", help="Repository name, e.g. demo/shop")
        parser.add_argument("--from", dest="start", metavar="DATE", help="First day replayed (default: all)")
        parser.add_argument("--to", dest="end", metavar="DATE", help="Last day replayed, included (default: all)")
        parser.add_argument(
            "--seniors",
            metavar="top:K",
            help="The K most active authors of the period (bots left out) stand in for seniors (default: the engineers "
            "at senior level who authored or reviewed in the repository from 90 days before the period to its end)",
        )
        parser.add_argument("--seniors-file", metavar="F", help="File naming the seniors, one a line")
        parser.add_argument("--strategy", choices=[*STRATEGIES, "all"], default="all")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the random strategy")
        parser.add_argument("--json", action="store_true", help="JSON: one object, or a list of them with all")

    def handle(self, *args, **options) -> None:
        repository = Repository.objects.filter(name=options["repo"]).first()
        if repository is None:
            raise CommandError(f"no repository named {options['repo']!r}")
        start = end = None
        if options["start"]:
            start = datetime.combine(_day(options["start"]), time.min, tzinfo=UTC)
        if options["end"]:
            end = datetime.combine(_day(options["end"]) + timedelta(days=1), time.min, tzinfo=UTC)
        if start and end and start >= end:
            raise CommandError("--from must come before --to")
        inputs = replay_inputs(repository, start=start, end=end, senior_level=settings.PORTAL_SENIOR_LEVEL)
        if not inputs.changes:
            raise CommandError(f"{repository.name} has no merged changes in that period")
        seniors = _seniors(options["seniors"], options["seniors_file"], inputs)
        if len(seniors) < 2:
            raise CommandError(f"at least 2 seniors are needed to compare strategies, found {len(seniors)}")
        strategies = STRATEGIES if options["strategy"] == "all" else (options["strategy"],)
        results = [
            simulate(inputs.changes, seniors, strategy=s, history=inputs.history, seed=options["seed"], end=end)
            for s in strategies
        ]
        if options["json"]:
            payload = [r.as_dict() for r in results]
            self.stdout.write(json.dumps(payload if len(payload) > 1 else payload[0], indent=2))
            return
        self._table(repository, inputs, seniors, results)

    def _table(
        self, repository: Repository, inputs: ReplayInputs, seniors: list[Senior], results: list[Metrics]
    ) -> None:
        period = f"{inputs.changes[0].at:%Y-%m-%d} to {inputs.changes[-1].at:%Y-%m-%d}"
        self.stdout.write(f"{repository.name}: {len(inputs.changes)} merged changes, {period}")
        self.stdout.write("seniors: " + ", ".join(s.name or s.key for s in seniors))
        self.stdout.write(f"{'strategy':<14}" + "".join(f"{c:>17}" for c in COLUMNS))
        for r in results:
            row = r.as_dict()
            self.stdout.write(f"{r.strategy:<14}" + "".join(f"{row[c]!s:>17}" for c in COLUMNS))
