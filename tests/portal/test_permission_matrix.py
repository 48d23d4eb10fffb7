"""The permission matrix: every URL pattern, for every role and anonymous, GET and POST, has its exact outcome.

The expected outcomes are data in tests/portal/permission_matrix.py. A URL pattern without an entry fails the
suite, so a new endpoint cannot be added without saying who may call it. To print the observed matrix (to add
an entry, or after a deliberate change), run:

    PERMISSION_MATRIX_PRINT=1 pytest tests/portal/test_permission_matrix.py -s
"""

from __future__ import annotations

import copy
import os
from collections import Counter
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.portal.matrix_world import QUERIES, ROLES, TOKEN_ROLES, World, build_world
from tests.portal.permission_matrix import ADMIN_KEY, ALIASES, MATRIX

METHODS = ("GET", "POST")
ADMIN_SAMPLES = (
    ("admin:index", {}),
    ("admin:reviews_engineer_changelist", {}),
    ("admin:reviews_change_change", {"object_id": "change_id"}),
)


def url_patterns() -> Iterator[tuple[str, str, str | None, tuple[str, ...]]]:
    """(matrix key, route, qualified name, argument names) of every URL pattern the portal serves."""

    def walk(patterns, prefix: str, namespace: str | None, args: tuple[str, ...]):
        for p in patterns:
            converters = tuple(getattr(p.pattern, "converters", {}) or {})
            if isinstance(p, URLResolver):
                inner = (
                    p.namespace if namespace is None else (f"{namespace}:{p.namespace}" if p.namespace else namespace)
                )
                yield from walk(p.url_patterns, prefix + str(p.pattern), inner, args + converters)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                name = (f"{namespace}:{p.name}" if namespace else p.name) if p.name else None
                key = ADMIN_KEY if route.startswith("admin/") else (name or route)
                yield key, route, name, args + converters

    yield from walk(get_resolver().url_patterns, "", None, ())


def outcome(response) -> str:
    """The class of a response: ok, login (sent to a login page), or the status code of a refusal or error."""
    status = response.status_code
    if status in (301, 302, 303, 307):
        location = response.get("Location", "")
        return "login" if "/accounts/login/" in location or "/admin/login/" in location else "ok"
    if 200 <= status < 300 or status == 304:
        return "ok"
    return str(status)


def expected(entry: str, role: str) -> str:
    """The outcome an entry such as "ok; anon=login; tokens,author=403" gives `role`."""
    default, *exceptions = [part.strip() for part in entry.split(";")]
    for part in exceptions:
        names, result = part.split("=")
        roles = {r for name in names.split(",") for r in ALIASES.get(name.strip(), (name.strip(),))}
        if role in roles:
            return result.strip()
    return default


def compress(observed: dict[str, str]) -> str:
    """An entry for observed outcomes by role: the commonest as default, the others grouped."""
    default = Counter(observed.values()).most_common(1)[0][0]
    groups: dict[str, list[str]] = {}
    for role in ROLES:
        if observed[role] != default:
            groups.setdefault(observed[role], []).append(role)
    parts = [default]
    for result, roles in groups.items():
        if set(TOKEN_ROLES) <= set(roles):
            roles = ["tokens", *[r for r in roles if r not in TOKEN_ROLES]]
        parts.append(f"{','.join(roles)}={result}")
    return "; ".join(parts)


def _request(world: World, role: str, method: str, url: str, query: dict) -> str:
    if role not in world.clients:
        client = world.client(role)
        world.clients[role] = (client, copy.deepcopy(client.cookies))
    client, cookies = world.clients[role]
    # Each request starts from the role's own session: a logout (rolled back in the database) must not carry on.
    client.cookies = copy.deepcopy(cookies)
    try:
        with transaction.atomic():
            if method == "GET":
                response = client.get(url, query)
            else:
                response = client.post(url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""))
            transaction.set_rollback(True)
    except Exception as exc:  # noqa: BLE001 - a crash is an outcome the matrix reports
        return f"500 ({type(exc).__name__}: {str(exc)[:80]})"
    return outcome(response)


def _targets(world: World) -> Iterator[tuple[str, str]]:
    """(matrix key, URL) to request: each pattern once, the admin site through a few samples."""
    seen: set[str] = set()
    for key, _route, name, args in url_patterns():
        if key == ADMIN_KEY or key in seen:
            continue
        seen.add(key)
        yield key, reverse(name, kwargs={arg: world.objects[arg] for arg in args}) if name else "/" + _route
    for name, kwargs in ADMIN_SAMPLES:
        yield ADMIN_KEY, reverse(name, kwargs={k: world.objects[v] for k, v in kwargs.items()})


def test_every_url_pattern_has_an_entry_and_every_entry_a_pattern():
    keys = {key for key, *_ in url_patterns()}
    missing = sorted(keys - set(MATRIX))
    stale = sorted(set(MATRIX) - keys)
    assert not missing, f"URL patterns with no entry in tests/portal/permission_matrix.py: {missing}"
    assert not stale, f"entries in tests/portal/permission_matrix.py for no URL pattern: {stale}"
    for key, methods in MATRIX.items():
        assert set(methods) == set(METHODS), f"{key}: give both GET and POST"


@pytest.mark.django_db
def test_permission_matrix():
    world = build_world()
    world.clients = {}
    observed: dict[str, dict[str, dict[str, str]]] = {}
    failures: list[str] = []
    for key, url in _targets(world):
        name = key.split(" ")[0]
        query = QUERIES.get(name, {})
        for method in METHODS:
            for role in ROLES:
                got = _request(world, role, method, url, query)
                previous = observed.setdefault(key, {}).setdefault(method, {}).get(role)
                if previous is not None and previous != got:
                    failures.append(f"{key} {method} {role}: samples disagree ({previous} and {got} at {url})")
                observed[key][method][role] = got
                entry = MATRIX.get(key, {}).get(method)
                if entry is not None and expected(entry, role) != got:
                    failures.append(f"{key} {method} {role}: expected {expected(entry, role)}, got {got} ({url})")
    if os.environ.get("PERMISSION_MATRIX_PRINT"):
        for key, methods in observed.items():
            line = ", ".join(f'"{m}": "{compress(methods[m])}"' for m in METHODS)
            print(f'    "{key}": {{{line}}},')
    cells = sum(len(roles) for methods in observed.values() for roles in methods.values())
    print(f"permission matrix: {len(observed)} entries, {cells} requests checked")
    assert not failures, "\n".join(failures)
