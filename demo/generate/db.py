"""Bulk writing for the generator: the guard against real data, COPY, sequences and the database's marker."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import apps
from django.db import connection

MARKER = "countersign generate_org"
# What a generated organisation fills; anything in these tables of a database that does not carry the marker
# is somebody's real data.
TABLES = [
    "insights_reviewfact", "insights_changefact", "insights_factswatermark", "incidents_incidentchangelink",
    "incidents_incident_services", "incidents_incident", "reviews_deployment_changes", "reviews_deployment",
    "reviews_auditevent", "reviews_ledgerhead", "reviews_review", "reviews_assignment", "reviews_revision",
    "reviews_changefile", "reviews_change", "reviews_service", "reviews_repository", "reviews_engineer",
    "reviews_team", "auth_user",
]  # fmt: skip


def marker() -> str:
    """The comment a generated database carries ('' for any other database)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
        )
        row = cursor.fetchone()
    return (row[0] or "") if row else ""


def holds_data() -> bool:
    """Whether any table a generated organisation fills has a row."""
    with connection.cursor() as cursor:
        for table in ("reviews_change", "auth_user", "reviews_engineer", "reviews_repository", "reviews_auditevent"):
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608 - fixed table names
            if cursor.fetchone()[0]:
                return True
    return False


def set_marker(text: str) -> None:
    """Record what was generated on the database itself (a comment, no schema of its own)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        name = cursor.fetchone()[0]
        cursor.execute(f'COMMENT ON DATABASE "{name}" IS %s', [f"{MARKER} {text}"])


def empty_tables() -> None:
    """Remove every row the generator writes (the caller has checked it may)."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")


def bulk_session() -> None:
    """Session settings for a bulk load: no foreign-key triggers per row (the generator writes consistent ids),
    no wait for the WAL flush at commit."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET synchronous_commit = off")


def rebuild_history_rollups() -> None:
    """The assignment history rollups (who worked on each path, each reviewer's seconds per week and per day,
    each person's latest activity), which triggers keep and a bulk load (no triggers) leaves empty: rebuilt."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT countersign_knowledge_rebuild()")
        cursor.execute("SELECT countersign_reviewer_rollups_rebuild()")
        cursor.execute("SELECT countersign_activity_rebuild()")


def _model_defaults(table: str, columns: Sequence[str]) -> tuple[list[str], tuple[Any, ...]]:
    """Columns of the table's model that the generator does not write and that cannot be NULL, with the model's
    default: a field added later (Django keeps defaults in Python, not in the database) never breaks the COPY."""
    model = next((m for m in apps.get_models() if m._meta.db_table == table), None)
    if model is None:
        return [], ()
    names, values = [], []
    for field in model._meta.concrete_fields:
        writable = field.has_default() or (field.empty_strings_allowed and not field.is_relation)  # "" for text
        if field.column in columns or field.null or field.primary_key or not writable:
            continue
        names.append(field.column)
        values.append(field.get_db_prep_save(field.get_default(), connection))
    return names, tuple(values)


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows into a table (psycopg 3's copy protocol); returns how many."""
    raw = connection.connection  # the psycopg connection under Django's wrapper
    extra_columns, extra_values = _model_defaults(table, columns)
    count = 0
    header = ", ".join([*columns, *extra_columns])
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({header}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*row, *extra_values) if extra_columns else row)
            count += 1
    return count


def reset_sequences(tables: Iterable[str]) -> None:
    """Move each table's id sequence past the ids written."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)",  # noqa: S608, E501
                [table],
            )
