"""What one outgoing message says: one notification, or a burst or digest of several, with absolute links."""

from __future__ import annotations

from dataclasses import dataclass

from reviews.models import Notification


@dataclass(frozen=True)
class Item:
    """One notification as the message shows it."""

    title: str
    body: str
    details: tuple[str, ...]
    link: str
    action_label: str
    action_link: str
    kind: str


@dataclass(frozen=True)
class Composed:
    """A message's subject, items and thread (the change it is about when they all share one)."""

    subject: str
    items: tuple[Item, ...]
    change_id: int | None
    kinds: frozenset[str]


def compose(notifications: list[Notification], *, base_url: str, digest: bool) -> Composed:
    """Subject and items of one message; notifications are oldest first."""
    items = tuple(
        Item(
            title=n.title,
            body=n.body,
            details=tuple(n.details or ()),
            link=base_url + n.url,
            action_label=n.action_label,
            action_link=base_url + n.action_url if n.action_url else "",
            kind=n.kind,
        )
        for n in notifications
    )
    changes = {n.change_id for n in notifications}
    change_id = changes.pop() if len(changes) == 1 else None
    first = notifications[0]
    if change_id is not None and first.change is not None:
        # One subject per change, as git hosts do: mail clients thread it with the headers.
        change = first.change
        subject = f"[{change.repository.name}] {change.title}"
        if len(items) > 1:
            subject += f" ({len(items)} updates)"
    elif len(items) == 1:
        subject = first.title
    else:
        subject = f"Countersign {'daily digest' if digest else 'updates'}: {len(items)} notifications"
    return Composed(subject=subject[:250], items=items, change_id=change_id, kinds=frozenset(i.kind for i in items))
