"""Indexes for the header search: words anywhere in a change's title (trigram) and SHA prefixes (pattern ops).

PostgreSQL only: the embedded SQLite default searches by scanning, which is fine at its size.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Django's icontains reads UPPER("title"::text) LIKE UPPER('%words%'): the index holds that very expression.
    "CREATE INDEX IF NOT EXISTS change_title_trgm_idx ON reviews_change USING gin ((UPPER(title::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS change_head_sha_prefix_idx ON reviews_change (head_sha varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS change_merge_sha_prefix_idx ON reviews_change (merge_sha varchar_pattern_ops)"
    " WHERE merge_sha <> ''",
    "CREATE INDEX IF NOT EXISTS change_number_idx ON reviews_change (number) WHERE number IS NOT NULL",
]
BACKWARD = [
    "DROP INDEX IF EXISTS change_title_trgm_idx",
    "DROP INDEX IF EXISTS change_head_sha_prefix_idx",
    "DROP INDEX IF EXISTS change_merge_sha_prefix_idx",
    "DROP INDEX IF EXISTS change_number_idx",
]


def _run(statements: list[str]):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("reviews", "0022_policy_draft")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
