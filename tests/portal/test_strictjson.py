"""The strict JSON reader (portal.strictjson): what it refuses, what it keeps, and that it never fails otherwise."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal import strictjson

# The values a signed body carried in the production-like trial, each then a 500 somewhere down the line.
UNSTORABLE = {
    "nan": (b'{"a": NaN}', "is not valid JSON: NaN is not a JSON number"),
    "infinity": (b'{"a": Infinity}', "is not valid JSON: Infinity is not a JSON number"),
    "minus-infinity": (b'{"a": [-Infinity]}', "is not valid JSON: -Infinity is not a JSON number"),
    "overflowing-number": (b'{"a": 1e400}', "is not valid JSON: the number 1e400 is out of range"),
    "lone-surrogate": (
        b'{"a": "x\\ud800"}',
        "is not valid JSON: a lone UTF-16 surrogate (\\ud800) at $.a is not a character",
    ),
    "lone-low-surrogate-in-key": (b'{"\\uDC00": 1}', "a lone UTF-16 surrogate (\\udc00)"),
    "nul": (b'{"a": [1, "\\u0000"]}', "contains U+0000 at $.a[1], which cannot be stored"),
    "nul-in-key": (b'{"a": {"b\\u0000": 1}}', "contains U+0000 at $.a, which cannot be stored"),
}


@pytest.mark.parametrize(("body", "message"), UNSTORABLE.values(), ids=UNSTORABLE.keys())
def test_values_postgresql_cannot_hold_are_refused_with_a_reason(body, message):
    with pytest.raises(strictjson.JSONRefused) as refused:
        strictjson.loads(body)

    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a": 1', "is not valid JSON: Expecting"),
        (b"\xff\xfe{}", "is not valid JSON: 'utf-8' codec can't decode"),
        (b"[" * 100_000 + b"]" * 100_000, "is not valid JSON: nested too deeply"),
        (b"[" * 101 + b"]" * 101, "is nested deeper than 100 levels"),
        (b"1" * 5000, "is not valid JSON: Exceeds the limit"),
    ],
    ids=["truncated", "not-utf8", "deeper-than-the-decoder", "deeper-than-storable", "huge-integer"],
)
def test_malformed_or_too_deep_bodies_are_refused(body, message):
    with pytest.raises(strictjson.JSONRefused) as refused:
        strictjson.loads(body)

    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (b'{"emoji": "\\ud83d\\ude00"}', {"emoji": "\U0001f600"}),  # a surrogate pair is one character
        (b'{"a": 1e308, "b": -1e-400}', {"a": 1e308, "b": -0.0}),
        ('{"text": "caf\u00e9 \\\\u0000"}', {"text": "caf\u00e9 \\u0000"}),  # an escaped backslash, not a NUL
        (b"[" * 100 + b"]" * 100, json.loads("[" * 100 + "]" * 100)),
    ],
    ids=["surrogate-pair", "finite-extremes", "backslash-u-text", "exactly-100-levels"],
)
def test_ordinary_json_is_read_as_python_reads_it(body, value):
    assert strictjson.loads(body) == value


def test_the_location_in_a_refusal_can_itself_be_encoded():
    with pytest.raises(strictjson.JSONRefused) as refused:
        strictjson.loads(b'{"\\ud800\\u0000": "\\u0000"}')

    assert str(refused.value) == "contains U+0000 at $.\\ud800\\u0000, which cannot be stored"
    str(refused.value).encode("utf-8")


def test_a_str_holding_a_raw_surrogate_is_refused():
    with pytest.raises(strictjson.JSONRefused):
        strictjson.loads('["\ud800"]')


@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_are_read_or_refused_never_another_error(body):
    try:
        strictjson.loads(body)
    except strictjson.JSONRefused:
        pass


json_text = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters(codec=None), max_size=8),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(st.characters(codec=None), max_size=4), c, max_size=3),
    max_leaves=12,
).map(json.dumps)


@given(json_text)
def test_whatever_is_accepted_can_be_encoded_again_as_utf8_json_without_nul(text):
    """Python writes NaN, inf and lone surrogates freely; what the reader lets through PostgreSQL can store."""
    try:
        value = strictjson.loads(text)
    except strictjson.JSONRefused:
        return

    encoded = json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")

    assert b"\x00" not in encoded and b"\\u0000" not in encoded
