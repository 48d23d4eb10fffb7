"""Who may call the API: an authenticated user whose token's scopes cover what the view needs."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

SCOPES = ("read", "review", "ci", "incidents", "admin")


def token_scopes(request: Request) -> frozenset[str] | None:
    """The scopes of the request's API token, or None when the browser's session authenticated it."""
    scopes = getattr(request.auth, "scopes", None)
    return None if scopes is None else frozenset(scopes)


def has_scope(request: Request, scope: str) -> bool:
    """Whether the request may act in `scope`: a session may act in any, a token in its own (admin in all)."""
    scopes = token_scopes(request)
    return scopes is None or scope in scopes or "admin" in scopes


class ScopedAccess(BasePermission):
    """Authenticated, with the view's `read_scope` for safe methods and its `write_scope` for the others."""

    message = "This token's scopes do not allow this call."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        scope = getattr(view, "read_scope", "read") if request.method in SAFE_METHODS else view.write_scope
        if not has_scope(request, scope):
            self.message = f"This token lacks the {scope!r} scope."
            return False
        return True
