"""The partial index the suspect ranking's notes query reads (incidents migration 0005) holds the same regex."""

from __future__ import annotations

import pytest
from django.db import connection

from incidents.selectors.facts import REFERENCE_REGEX


@pytest.mark.django_db
def test_the_notes_index_predicate_is_the_regex_the_ranking_queries_with():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'change_reference_note_idx'")
        [(definition,)] = cursor.fetchall()

    assert definition.count(f"~* '{REFERENCE_REGEX}'") == 2
