"""ETag and If-None-Match for detail endpoints: the tag is a hash of the body the client would receive."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.utils.http import parse_etags, quote_etag
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response


def conditional_response(request: Request, body: Any) -> Response:
    """200 with an ETag, or 304 (no body) when If-None-Match names the same tag."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:32]
    etag = quote_etag(digest)
    wanted = parse_etags(request.headers.get("If-None-Match", ""))
    if etag in wanted or "*" in wanted:
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    return Response(body, headers={"ETag": etag})
