"""Signed unsubscribe links: whoever holds the link may stop that e-mail for that person, nothing more."""

from __future__ import annotations

from django.core import signing

_SALT = "notifications.unsubscribe"


def unsubscribe_token(engineer_id: int, kind: str) -> str:
    """A token for one person and one kind of notification ("all": every kind)."""
    return signing.dumps({"e": engineer_id, "k": kind}, salt=_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(engineer id, kind) of a valid token, else None; links do not expire (mail is kept for years)."""
    if len(token) > 300:
        return None
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), int) or not isinstance(data.get("k"), str):
        return None
    return data["e"], data["k"]
