"""One strict JSON reader for every body from outside (webhooks, the API, pasted or imported policies)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 100  # hosts nest about six levels; far deeper fails when the ORM encodes the payload again

# Python's decoder accepts what PostgreSQL then refuses mid-request (a 500): U+0000 (neither text nor jsonb holds
# it) and lone UTF-16 surrogates (not characters, so psycopg cannot encode them as UTF-8). Both can only come from
# a \u escape (or a str handed in that already holds them), so a text without one skips the per-string check.
_SUSPECT = re.compile(r"[\x00\ud800-\udfff]|\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_UNSTORABLE_CHAR = re.compile(r"[\x00\ud800-\udfff]")


class JSONRefused(ValueError):
    """The text is not JSON the portal accepts; the message reads after 'body' or 'the policy'."""


def _no_constant(name: str) -> Any:
    raise JSONRefused(f"is not valid JSON: {name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 overflows to inf, which no JSON encoder writes back
        raise JSONRefused(f"is not valid JSON: the number {text[:40]} is out of range")
    return value


def _string_fault(text: str, where: str) -> str:
    match = _UNSTORABLE_CHAR.search(text)
    if match is None:
        return ""
    if match.group() == "\x00":
        return f"contains U+0000 at {where}, which cannot be stored"
    code = ord(match.group())
    return f"is not valid JSON: a lone UTF-16 surrogate (\\u{code:04x}) at {where} is not a character"


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _where(path: tuple[str | int, ...]) -> str:
    """A JSONPath-like location ($.a[0].b) for a message; built only once a fault is found."""
    parts = ["$"]
    for step in path:
        # A key may itself hold U+0000 or a surrogate: escaped, so the message can be encoded and shown.
        parts.append(f"[{step}]" if isinstance(step, int) else "." + _UNSTORABLE_CHAR.sub(_escape, step[:40]))
    return "".join(parts)


def refusal(value: Any, *, max_depth: int = MAX_DEPTH, check_strings: bool = True) -> str:
    """Why a decoded value cannot be stored (too deep, U+0000, a lone surrogate in a key or string), or ''."""
    # The path of each item rides along as a linked tuple (parent, step): cheap to push, spelled out only on a fault.
    stack: list[tuple[Any, int, tuple | None]] = [(value, 1, None)]
    while stack:
        item, depth, path = stack.pop()
        if depth > max_depth:
            return f"is nested deeper than {max_depth} levels"
        if isinstance(item, str):
            if check_strings and _UNSTORABLE_CHAR.search(item):
                return _string_fault(item, _where(_steps(path)))
        elif isinstance(item, dict):
            for key, part in item.items():
                stack.append((key, depth + 1, path))  # a key's fault is reported at the object holding it
                stack.append((part, depth + 1, (path, key)))
        elif isinstance(item, list):
            stack.extend((part, depth + 1, (path, i)) for i, part in enumerate(item))
    return ""


def _steps(path: tuple | None) -> tuple[str | int, ...]:
    steps: list[str | int] = []
    while path is not None:
        path, step = path
        steps.append(step)
    return tuple(reversed(steps))


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Decode JSON (UTF-8 only), refusing NaN, Infinity, overflowing numbers, U+0000, lone surrogates, deep nesting."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except JSONRefused:
        raise
    except RecursionError:  # nesting deeper than the C decoder's stack: refused before any walk
        raise JSONRefused("is not valid JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer of more than 4300 digits
        raise JSONRefused(f"is not valid JSON: {exc}") from None
    if reason := refusal(value, max_depth=max_depth, check_strings=_SUSPECT.search(text) is not None):
        raise JSONRefused(reason)
    return value
