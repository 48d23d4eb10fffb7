"""Security headers: CSP without inline script, HTTPS redirect and HSTS, private caching, a clean deploy check."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.urls import reverse

from portal.middleware import PrivateCacheMiddleware

BASE_DIR = Path(__file__).resolve().parents[2]
TEMPLATES = BASE_DIR / "templates"


def _csp(response) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    }


def test_pages_carry_a_content_security_policy_that_allows_no_inline_script(client, db):
    policy = _csp(client.get(reverse("login")))

    assert policy["script-src"] == "'self'"
    assert "unsafe" not in policy["script-src"] and "unsafe" not in policy["default-src"]
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"


def test_no_template_holds_an_inline_script_or_event_handler():
    # CSP would block them silently: every script is a static file, every handler a listener in one.
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"\s(on[a-z]+|hx-on[:\-][\w:\-]*)\s*=", re.IGNORECASE)
    offenders = [
        f"{path.relative_to(BASE_DIR)}: {match.group(0).strip()}"
        for path in TEMPLATES.rglob("*.html")
        for pattern in (inline_script, handler)
        for match in pattern.finditer(path.read_text())
    ]
    assert offenders == []


def test_plain_http_is_redirected_to_https_when_configured(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get(reverse("login"))

    assert response.status_code == 301 and response.url.startswith("https://")


def test_https_behind_the_proxy_header_gets_hsts_and_no_redirect(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000

    response = client.get(reverse("login"), headers={"X-Forwarded-Proto": "https"})

    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_pages_for_a_logged_in_person_are_not_cached(client, make_engineer):
    client.force_login(make_engineer().user)

    response = client.get(reverse("reviews:queue"))

    assert response.status_code == 200
    assert set(response["Cache-Control"].replace(" ", "").split(",")) >= {"private", "no-store"}


@pytest.mark.parametrize(
    ("authenticated", "own_header", "expected"),
    [
        (True, None, {"private", "no-store"}),
        (True, "max-age=60", {"max-age=60"}),  # a response that chose its own caching keeps it
        (False, None, None),
    ],
)
def test_private_cache_middleware_marks_only_responses_for_a_logged_in_person(
    rf, django_user_model, authenticated, own_header, expected
):
    request = rf.get("/")
    request.user = django_user_model(username="someone") if authenticated else AnonymousUser()

    def view(request):
        response = HttpResponse("page")
        if own_header:
            response["Cache-Control"] = own_header
        return response

    header = PrivateCacheMiddleware(view)(request).get("Cache-Control")

    assert (set(header.replace(" ", "").split(",")) if header else None) == expected


def test_the_deploy_check_finds_nothing_to_warn_about_with_production_settings(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "countersign.example.com",
        "DATABASE_URL": "postgres://countersign@db.example.com:5432/countersign",
        "REDIS_URL": django_settings.REDIS_URL,
        "PORTAL_DATA_DIR": str(tmp_path),
        "PORTAL_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
    }
    argv = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = subprocess.run(argv, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("value", ["HTTP_X_FORWARDED_PROTO", "a,b,c"])
def test_a_malformed_proxy_ssl_header_stops_start_up(tmp_path, value):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEBUG": "true",
        "PORTAL_DATA_DIR": str(tmp_path),
        "PORTAL_PROXY_SSL_HEADER": value,
    }
    setup = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; django.setup()"
    argv = [sys.executable, "-c", setup]
    result = subprocess.run(argv, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60)  # noqa: S603

    assert result.returncode != 0 and "PORTAL_PROXY_SSL_HEADER" in result.stderr
