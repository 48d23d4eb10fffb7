"""Engineers through the API: level, team, capacity and availability; setting away; a senior's queue."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assignment.services.queue import engineer_set_away
from portal.access.http import outside_team
from portal.access.rules import may
from reviews.api import docs, examples, selectors
from reviews.api.changes import Cursor
from reviews.api.etags import conditional_response
from reviews.api.permissions import ScopedAccess
from reviews.api.serializers import AwaySerializer, EngineerSerializer, QueueItemSerializer
from reviews.models import Engineer


def _engineer_or_404(engineer_id: int) -> Engineer:
    engineer = selectors.engineer(engineer_id)
    if engineer is None:
        raise Http404("No such engineer.")
    return engineer


def _refuse(request: Request, target: Engineer, message: str) -> None:
    """Another team's people are not there for this caller (404); their own team's are, but not allowed (403)."""
    if outside_team(request.user, target):
        raise Http404("No such engineer.")
    raise PermissionDenied(message)


class EngineerPagination(Cursor):
    ordering = "id"


@extend_schema_view(
    get=extend_schema(
        responses={200: EngineerSerializer(many=True), **docs.errors(401, 403)},
        examples=[examples.ENGINEER_LIST_EXAMPLE],
    )
)
class EngineerList(ListAPIView):
    """Engineers with level, team, capacity and availability."""

    permission_classes = [ScopedAccess]
    serializer_class = EngineerSerializer
    pagination_class = EngineerPagination

    def get_queryset(self):
        return selectors.engineers()


class EngineerDetail(APIView):
    """One engineer."""

    permission_classes = [ScopedAccess]
    serializer_class = EngineerSerializer

    @extend_schema(
        responses={200: EngineerSerializer, 304: None, **docs.errors(401, 403, 404)},
        examples=[examples.ENGINEER_EXAMPLE],
    )
    def get(self, request: Request, engineer_id: int) -> Response:
        return conditional_response(request, EngineerSerializer(_engineer_or_404(engineer_id)).data)


class EngineerAway(APIView):
    """POST away (optionally until a date) or back: for oneself, one's team as its manager, or an admin."""

    permission_classes = [ScopedAccess]
    write_scope = "review"
    serializer_class = AwaySerializer

    @extend_schema(
        request=AwaySerializer,
        responses={200: EngineerSerializer, **docs.errors(400, 401, 403, 404)},
        examples=[docs.AWAY_EXAMPLE, docs.ERROR_EXAMPLE],
    )
    def post(self, request: Request, engineer_id: int) -> Response:
        target = _engineer_or_404(engineer_id)
        if not may(request.user, "reviews.set_away_of", target):
            _refuse(request, target, "Only the engineer, their manager or an admin sets them away.")
        serializer = AwaySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        moved = engineer_set_away(engineer=target, away=data["away"], until=data["until"], actor=request.user)
        body = EngineerSerializer(_engineer_or_404(engineer_id)).data
        return Response({**body, "rerouted": moved})


@extend_schema_view(
    get=extend_schema(
        responses={200: QueueItemSerializer(many=True), **docs.errors(401, 403, 404)},
        examples=[examples.QUEUE_EXAMPLE],
    )
)
class EngineerQueue(ListAPIView):
    """The active assignments of a reviewer: for themselves, their team's seniors and managers, or an admin."""

    permission_classes = [ScopedAccess]
    serializer_class = QueueItemSerializer
    pagination_class = None

    def get_queryset(self):
        target = _engineer_or_404(self.kwargs["engineer_id"])
        if not may(self.request.user, "reviews.view_queue_of", target):
            _refuse(self.request, target, "The queue of a senior is for them, their team's seniors and managers.")
        return selectors.queue(target)
