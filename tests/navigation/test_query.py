import pytest
from hypothesis import given
from hypothesis import strategies as st

from navigation.query import MAX_LENGTH, Query, parse_query


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Query(text="")),
        ("   ", Query(text="")),
        ("INC-12", Query(text="INC-12", incident_id=12)),
        ("inc 7", Query(text="inc 7", incident_id=7)),
        ("#inc3", Query(text="#inc3", incident_id=3)),
        ("2026-W49", Query(text="2026-W49", week="2026-W49")),
        ("2026w5", Query(text="2026w5", week="2026-W05")),
        ("#42", Query(text="#42", number=42)),
        ("42", Query(text="42", number=42)),
        ("!17", Query(text="!17", number=17)),
        ("1234567", Query(text="1234567", number=1234567, sha_prefix="1234567")),
        ("A1B2C3D", Query(text="A1B2C3D", sha_prefix="a1b2c3d", words="A1B2C3D")),
        ("checkout   timeout", Query(text="checkout timeout", words="checkout timeout")),
        ("x", Query(text="x")),
    ],
)
def test_a_search_entry_is_read_as_what_it_looks_like(text, expected):
    assert parse_query(text) == expected


def test_week_53_is_a_week_and_week_60_is_words():
    assert parse_query("2026-W53").week == "2026-W53"
    assert parse_query("2026-W60").week == ""
    assert parse_query("2026-W60").words == "2026-W60"


@given(st.text(max_size=500))
def test_any_entry_parses_to_a_bounded_query_without_nul(raw):
    query = parse_query(raw)
    assert len(query.text) <= MAX_LENGTH
    assert "\x00" not in query.text
    assert query.is_empty == (query.text == "")
