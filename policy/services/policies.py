"""Policy versions (published by admins or loaded from a repository file, every edit audited) and what a version
decides for a change."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max

from intake.ai_detection import NON_AI_BOTS
from intake.gitrun import GitError
from intake.mirrors import repository_mirror
from policy.decision import ChangeFacts, Decision, decide, is_ai_assisted
from policy.document import DEFAULT_POLICY_DATA, Policy, PolicyError, Settings, parse_policy, policy_to_data
from portal import strictjson
from reviews.audit import ServiceError, audit_record
from reviews.models import Change, ChangeFile, PolicyVersion, Repository, Service

POLICY_FILE = ".countersign/policy.json"


def policy_current() -> PolicyVersion:
    """The version in force: the newest one; the default policy is published as version 1 on first use."""
    version = PolicyVersion.objects.order_by("-number").first()
    if version is None:
        with transaction.atomic():
            version, _ = PolicyVersion.objects.get_or_create(
                number=1,
                defaults={"data": copy.deepcopy(DEFAULT_POLICY_DATA), "source": "default", "note": "default policy"},
            )
    return version


def policy_publish(
    *, data: Any, actor: Any, note: str = "", source: str = "portal", draft: int | None = None
) -> PolicyVersion:
    """Validate and publish a new version; it applies to revisions arriving from now on. The note is the reason."""
    if "\x00" in note or "\x00" in source:  # PostgreSQL text cannot hold U+0000
        raise ServiceError("the note must not contain U+0000 (a NUL character)")
    try:
        normalised = policy_to_data(parse_policy(data))
    except PolicyError as exc:
        raise ServiceError(f"the policy is not valid: {exc}") from None
    with transaction.atomic():
        previous = PolicyVersion.objects.select_for_update().order_by("-number").first()
        if previous is not None and previous.data == normalised:
            raise ServiceError(f"no change: this is already version {previous.number}")
        number = (PolicyVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
        version = PolicyVersion.objects.create(
            number=number,
            data=normalised,
            note=note[:500],
            source=source[:300],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            action="policy.published",
            target=version,
            payload={
                "before": previous.data if previous else None,
                "after": normalised,
                "source": source,
                "reason": note[:500],
                "draft": draft,
            },
        )
    return version


def policy_load_from_repository(*, repository: Repository, actor: Any, path: str = POLICY_FILE) -> PolicyVersion:
    """Publish the policy file kept in a repository's default branch (like CODEOWNERS)."""
    mirror = repository_mirror(repository)
    try:
        mirror.fetch(repository.clone_url)
        sha = mirror.resolve(repository.default_branch)
        raw = mirror.read_file(sha, path)
    except GitError as exc:
        raise ServiceError(str(exc)) from None
    if raw is None:
        raise ServiceError(f"{repository.name} has no {path} on {repository.default_branch}")
    try:
        data = strictjson.loads(raw)
    except strictjson.JSONRefused as exc:
        raise ServiceError(f"{path} {exc}") from None
    return policy_publish(
        data=data, actor=actor, note=f"loaded from {path}", source=f"{repository.name}@{sha[:12]}:{path}"
    )


def policy_paths(files: list[ChangeFile]) -> tuple[str, ...]:
    """Every path a change touches, old names of renamed files included (a move out of a sensitive path counts)."""
    paths = [f.path for f in files]
    paths += [f.old_path for f in files if f.old_path]
    return tuple(dict.fromkeys(paths))


_POLICY_CACHE: dict[tuple[int, datetime | None], Policy] = {}


def policy_of(version: PolicyVersion) -> Policy:
    """The parsed policy of a stored version; versions never change once published, so each is parsed once.

    Keyed by id and publication time: a database whose ids were reset (a restore, `manage.py flush`) gives the same id
    to another version, which must not be read from the old one's parse."""
    key = (version.pk, version.created_at)
    if key not in _POLICY_CACHE:
        _POLICY_CACHE[key] = parse_policy(version.data)
    return _POLICY_CACHE[key]


def ai_flags(change: Change, knobs: Settings) -> tuple[bool, bool]:
    """(AI-assisted, detected but not declared): detection combined with the author's declaration."""
    confidence = change.ai_confidence if change.ai_evidence else 0.0
    detected = is_ai_assisted(declared=None, confidence=confidence, settings=knobs)
    assisted = is_ai_assisted(declared=change.ai_declared, confidence=confidence, settings=knobs)
    return assisted, detected and change.ai_declared is not True


def _is_bot(change: Change) -> bool:
    email = change.author_email.lower()
    return "[bot]" in email or bool(NON_AI_BOTS.search(email)) or bool(NON_AI_BOTS.search(change.author_name))


def policy_facts(
    change: Change, paths: tuple[str, ...], *, risk: float, ai_assisted: bool, services: Iterable[Service]
) -> ChangeFacts:
    """What the policy reads of a change; `services` are its repository's (the ones its paths fall in count)."""
    return ChangeFacts(
        author_level=change.author.level if change.author else None,
        author_is_bot=_is_bot(change),
        ai_assisted=ai_assisted,
        paths=paths,
        lines_changed=change.lines_changed,
        risk=risk,
        repository=change.repository.name,
        services=tuple(s.name for s in services if any(p.startswith(tuple(s.path_prefixes or ())) for p in paths)),
        sensitive_globs=tuple(change.repository.sensitive_paths or ()),
        agent_opened=change.agent_opened,
    )


def policy_decide_recorded(
    change: Change, files: list[ChangeFile], rules: Policy, *, services: Iterable[Service]
) -> Decision:
    """What `rules` would decide for a change as recorded (its stored risk score): for what-ifs, writes nothing."""
    assisted, _ = ai_flags(change, rules.settings)
    facts = policy_facts(change, policy_paths(files), risk=change.risk_score, ai_assisted=assisted, services=services)
    return decide(facts, rules)
