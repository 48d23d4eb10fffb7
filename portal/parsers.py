"""The API's request parsers (kept apart from the views: DRF imports them while it sets up its views)."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from portal import strictjson


class SafeJSONParser(JSONParser):
    """DRF's JSON parser through the strict reader: NaN, 1e400, lone surrogates, U+0000, deep nesting are a 400."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        # DRF hands JSON parsers request.body, so DATA_UPLOAD_MAX_MEMORY_SIZE has already bounded it.
        body = stream.read() if stream is not None else b""
        try:
            return strictjson.loads(body)
        except strictjson.JSONRefused as exc:
            raise ParseError(f"JSON parse error - body {exc}") from None
