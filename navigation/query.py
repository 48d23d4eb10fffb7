"""What a search box entry asks for: a change or PR number, a SHA prefix, an incident id, a report week, or words."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LENGTH = 200
_INCIDENT = re.compile(r"^#?inc[-\s]?(\d{1,9})$", re.IGNORECASE)
_WEEK = re.compile(r"^(\d{4})-?w(\d{1,2})$", re.IGNORECASE)
_NUMBER = re.compile(r"^[#!]?(\d{1,9})$")
_SHA = re.compile(r"^[0-9a-f]{7,40}$", re.IGNORECASE)


@dataclass(frozen=True)
class Query:
    """A parsed search: each field is what the text could mean (several may be set, e.g. digits as number and SHA)."""

    text: str
    number: int | None = None
    sha_prefix: str = ""
    incident_id: int | None = None
    week: str = ""
    words: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.text


def parse_query(raw: str) -> Query:
    """Read a search box entry; anything not recognised is searched as words (titles and author names)."""
    text = " ".join(raw.replace("\x00", "").split())[:MAX_LENGTH]
    if not text:
        return Query(text="")
    if match := _INCIDENT.match(text):
        return Query(text=text, incident_id=int(match.group(1)))
    if match := _WEEK.match(text):
        year, week = int(match.group(1)), int(match.group(2))
        if 1 <= week <= 53:
            return Query(text=text, week=f"{year}-W{week:02d}")
    number = int(match.group(1)) if (match := _NUMBER.match(text)) else None
    sha = text.lower() if _SHA.match(text) else ""
    # Seven or more digits read as a SHA prefix as well; fewer letters than that are only words.
    words = text if number is None and len(text) >= 2 else ""
    return Query(text=text, number=number, sha_prefix=sha, words=words)
