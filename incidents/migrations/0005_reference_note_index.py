"""A partial index over the merged changes whose title or description may revert, fix or hotfix another: the
suspect ranking reads them by repository and merge time (incidents.selectors.facts, its notes query).

Without it that query reads every change merged in the window to run the regex on it (7,600 rows on the busiest
generated repository at 1M changes); the index holds only the few rows that match, and building it is one scan
of the table. The predicate is REFERENCE_REGEX of incidents.selectors.facts, written out: a migration does not
read code that may change. PostgreSQL uses the index only when the query's regex is this same literal
(client-side binding, the default, inlines it; tests/incidents/test_suspect_notes_index.py checks they agree).
Built CONCURRENTLY, so writes to changes go on meanwhile.
"""

from django.db import migrations

REGEX = "(this reverts commit|fixes:|fix(es)? (for )?commit|hot-?fix|hot fix)"
FORWARD = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS change_reference_note_idx ON reviews_change (repository_id, merged_at)"
    f" WHERE state = 'merged' AND (description ~* '{REGEX}' OR title::text ~* '{REGEX}')"
)
BACKWARD = "DROP INDEX CONCURRENTLY IF EXISTS change_reference_note_idx"


def _run(statement: str):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("incidents", "0004_suspect_model"), ("reviews", "0023_search_indexes")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
