"""Changes through the API: a filtered, cursor-paginated list; one change in full; a verdict on it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reviews.api import docs, examples, selectors
from reviews.api.errors import error_body
from reviews.api.etags import conditional_response
from reviews.api.permissions import ScopedAccess
from reviews.api.serializers import ChangeDetailSerializer, ChangeListSerializer, VerdictSerializer
from reviews.models import Change, Review, Revision
from reviews.people import engineer_for_user
from reviews.services.signoff import NeedsConfirmation, review_submit


class Cursor(CursorPagination):
    """Newest first by id (stable while changes are updated); `limit` up to 200."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200


class ChangeFilters(serializers.Serializer):
    """The list's query parameters; a value that does not parse is a 400, never silently ignored."""

    repository = serializers.CharField(max_length=200, required=False)
    state = serializers.ChoiceField(choices=Change.State.values, required=False)
    author = serializers.CharField(max_length=320, required=False, help_text="User name or e-mail of the author.")
    ai_assisted = serializers.BooleanField(required=False, allow_null=True, default=None)
    needs_sign_off = serializers.BooleanField(required=False, allow_null=True, default=None)
    updated_since = serializers.DateTimeField(required=False)


@extend_schema_view(
    get=extend_schema(
        parameters=[ChangeFilters],
        responses={200: ChangeListSerializer(many=True), **docs.errors(400, 401, 403)},
        examples=[docs.CHANGE_LIST_EXAMPLE],
    )
)
class ChangeList(ListAPIView):
    """Changes, newest first, filtered by repository, state, author, AI assistance, sign-off need, update time."""

    permission_classes = [ScopedAccess]
    serializer_class = ChangeListSerializer
    pagination_class = Cursor

    def get_queryset(self):
        filters = ChangeFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.changes(**filters.validated_data)


class ChangeDetail(APIView):
    """One change: policy decision and reasons, gates, risk and factors, AI evidence, attestation, reviewers."""

    permission_classes = [ScopedAccess]
    serializer_class = ChangeDetailSerializer

    @extend_schema(
        responses={200: ChangeDetailSerializer, 304: None, **docs.errors(401, 403, 404)},
        examples=[examples.CHANGE_DETAIL_EXAMPLE],
    )
    def get(self, request: Request, change_id: int) -> Response:
        change = selectors.change(change_id)
        if change is None:
            raise Http404("No such change.")
        return conditional_response(request, ChangeDetailSerializer(change).data)


class VerdictInput(serializers.Serializer):
    """A verdict on the revision the reviewer read."""

    verdict = serializers.ChoiceField(choices=Review.Verdict.values)
    head_sha = serializers.RegexField(r"^[0-9a-f]{40}$")
    seconds_spent = serializers.IntegerField(min_value=0, max_value=7 * 24 * 3600)
    comment = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    confirm_fast = serializers.BooleanField(required=False, default=False)


class ChangeReviews(APIView):
    """POST a verdict: the same rules and the same ledger as the browser's sign-off."""

    permission_classes = [ScopedAccess]
    write_scope = "review"
    serializer_class = VerdictInput

    @extend_schema(
        request=VerdictInput,
        responses={201: VerdictSerializer, **docs.errors(400, 401, 403, 404, 409)},
        examples=[docs.VERDICT_EXAMPLE, docs.ERROR_EXAMPLE],
    )
    def post(self, request: Request, change_id: int) -> Response:
        engineer = engineer_for_user(request.user)
        if engineer is None:
            raise PermissionDenied("Only engineers give verdicts.")
        change = Change.objects.filter(pk=change_id).first()
        if change is None:
            raise Http404("No such change.")
        data: dict[str, Any] = _valid(VerdictInput, request.data)
        try:
            review = review_submit(
                change=change,
                reviewer=engineer,
                verdict=data["verdict"],
                head_sha=data["head_sha"],
                seconds_spent=min(data["seconds_spent"], _seconds_since_revision(change, data["head_sha"])),
                comment=data["comment"],
                confirm_fast=data["confirm_fast"],
            )
        except NeedsConfirmation as exc:
            body = {**error_body(str(exc)), "reasons": list(exc.check.reasons), "confirm_with": "confirm_fast"}
            return Response(body, status=status.HTTP_409_CONFLICT)
        review = Review.objects.select_related("reviewer__user").get(pk=review.pk)
        return Response(VerdictSerializer(review).data, status=status.HTTP_201_CREATED)


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _seconds_since_revision(change: Change, head_sha: str) -> int:
    """Time spent can never exceed the time since the revision was stored (the browser caps it at the page's age)."""
    stored = Revision.objects.filter(change=change, head_sha=head_sha).values_list("created_at", flat=True).first()
    since = stored or change.opened_at
    return max(0, int((timezone.now() - since) / timedelta(seconds=1)))
