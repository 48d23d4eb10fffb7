"""CI check results of a change's current revision (token or session authentication)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reviews.api import docs, examples
from reviews.api.permissions import ScopedAccess
from reviews.models import Change, GateResult
from reviews.services.signoff import gate_record_external


class CheckSerializer(serializers.Serializer):
    """A check result posted by CI for one revision."""

    name = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,99}$", max_length=100)
    status = serializers.ChoiceField(choices=GateResult.Status.values)
    head_sha = serializers.RegexField(r"^[0-9a-f]{40}$")
    message = serializers.CharField(max_length=1000, allow_blank=True, default="")
    details = serializers.ListField(child=serializers.CharField(max_length=500), max_length=200, default=list)


class ChangeChecks(APIView):
    """POST a CI check result for a change's current revision; GET the results of that revision."""

    permission_classes = [ScopedAccess]
    write_scope = "ci"

    def _change(self, change_id: int) -> Change:
        change = Change.objects.filter(pk=change_id).first()
        if change is None:
            raise Http404("No such change.")
        return change

    @extend_schema(
        responses={200: docs.CHECK_RESULTS, **docs.errors(401, 403, 404)}, examples=[examples.CHECKS_EXAMPLE]
    )
    def get(self, request: Request, change_id: int) -> Response:
        change = self._change(change_id)
        results = GateResult.objects.filter(change=change, head_sha=change.head_sha).order_by("name")
        data = [
            {"name": r.name, "status": r.status, "message": r.message, "details": r.details, "source": r.source}
            for r in results
        ]
        return Response({"head_sha": change.head_sha, "gates_state": change.gates_state, "results": data})

    @extend_schema(
        request=CheckSerializer,
        responses={201: docs.CHECK_RECORDED, **docs.errors(400, 401, 403, 404)},
        examples=[docs.CHECK_EXAMPLE, docs.ERROR_EXAMPLE],
    )
    def post(self, request: Request, change_id: int) -> Response:
        if not request.user.has_perm("reviews.add_gateresult"):
            raise PermissionDenied("This token may not report check results (needs reviews.add_gateresult).")
        change = self._change(change_id)
        serializer = CheckSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        result = gate_record_external(
            change=change,
            head_sha=data["head_sha"],
            name=data["name"],
            status=data["status"],
            message=data["message"],
            details=data["details"],
            actor=request.user,
        )
        change.refresh_from_db()
        return Response(
            {"name": result.name, "status": result.status, "gates_state": change.gates_state},
            status=status.HTTP_201_CREATED,
        )
