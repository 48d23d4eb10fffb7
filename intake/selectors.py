"""Read queries of intake."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from intake.ai_detection import DEFAULT_VOCABULARY, Vocabulary
from reviews.models import AiVocabularyEntry, Delivery, Repository

_WEBHOOK_FIELDS = ("id", "name", "provider", "webhook_secret")
# Fixed SQL: the ORM takes longer to build this query than PostgreSQL takes to answer it (on every delivery).
_WEBHOOK_REPOSITORY = (
    "SELECT id, name, provider, webhook_secret FROM reviews_repository WHERE name = %s AND provider = %s"
)


def webhook_repository(name: str, provider: str) -> Repository | None:
    """The registered repository of that name and host, with only what a webhook request reads loaded (as
    `.only(...)` would: id, name, provider, webhook_secret); one indexed query on the unique name."""
    with connection.cursor() as cursor:
        cursor.execute(_WEBHOOK_REPOSITORY, [name, provider])
        row = cursor.fetchone()
    return Repository.from_db(connection.alias, _WEBHOOK_FIELDS, row) if row else None


def deliveries(*, status: str = "", limit: int = 200) -> QuerySet[Delivery]:
    """The newest webhook deliveries, without their payloads."""
    queryset = Delivery.objects.select_related("repository").defer("payload").order_by("-received_at")
    if status:
        queryset = queryset.filter(status=status)
    return queryset[:limit]


_VOCABULARY_FIELDS = {
    AiVocabularyEntry.Kind.DOMAIN: "domains",
    AiVocabularyEntry.Kind.ADDRESS: "address_globs",
    AiVocabularyEntry.Kind.TOOL: "tool_names",
    AiVocabularyEntry.Kind.TRAILER_KEY: "tool_keys",
    AiVocabularyEntry.Kind.AGENT_ACCOUNT: "agent_accounts",
    AiVocabularyEntry.Kind.AI_REVIEWER: "ai_reviewers",
}


def ai_vocabulary() -> Vocabulary:
    """What AI detection knows, as the admin keeps it (one query): the active entries of each kind.

    The table is seeded with the built-in vocabulary; a table left empty (before the seed, or wiped) means the
    built-in vocabulary, so detection never silently knows nothing.
    """
    rows = list(AiVocabularyEntry.objects.values_list("kind", "value", "is_active"))
    if not rows:
        return DEFAULT_VOCABULARY
    values: dict[str, list[str]] = {name: [] for name in _VOCABULARY_FIELDS.values()}
    for kind, value, active in rows:
        if active and kind in _VOCABULARY_FIELDS:
            values[_VOCABULARY_FIELDS[kind]].append(value.strip().lower())
    return Vocabulary(**{name: tuple(dict.fromkeys(v)) for name, v in values.items()})
