"""The person's own page: who they are to the portal, and their API tokens (created, listed, revoked)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from portal.access.rules import may
from reviews.audit import ServiceError
from reviews.models import ApiToken
from reviews.people import current_engineer
from reviews.services.accounts import api_token_create, api_token_revoke, api_token_rotate

PERSONAL_SCOPES = [c for c in ApiToken.Scope.choices if c[0] != "admin"]


class TokenForm(forms.Form):
    """A new token: a name, its scopes, and optionally when it expires."""

    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(choices=ApiToken.Scope.choices, widget=forms.CheckboxSelectMultiple)
    expires_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _render(request: HttpRequest, status: int = 200, **extra) -> HttpResponse:
    tokens = list(ApiToken.objects.filter(user=request.user, revoked_at__isnull=True).order_by("-created_at"))
    form = extra.pop("form", None) or TokenForm(initial={"scopes": ["read"]})
    if not may(request.user, "reviews.issue_admin_token"):
        form.fields["scopes"].choices = PERSONAL_SCOPES
    context = {"engineer": current_engineer(request), "tokens": tokens, "has_token": bool(tokens), "form": form}
    return render(request, "reviews/profile_detail.html", {**context, **extra}, status=status)


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    """Level, team, capacity, roles, and the live API tokens (never a token's key)."""
    return _render(request)


@login_required
@require_POST
def profile_token(request: HttpRequest) -> HttpResponse:
    """Create a token (named and scoped when the form is filled, else a default one); its key is shown this once."""
    if "name" not in request.POST:
        return _render(request, new_token=api_token_rotate(user=request.user))
    form = TokenForm(request.POST)
    if not may(request.user, "reviews.issue_admin_token"):
        form.fields["scopes"].choices = PERSONAL_SCOPES
    if not form.is_valid():
        return _render(request, status=400, form=form)
    expires_on = form.cleaned_data["expires_on"]
    expires_at = (
        timezone.make_aware(timezone.datetime.combine(expires_on, timezone.datetime.min.time())) if expires_on else None
    )
    try:
        _, key = api_token_create(
            user=request.user,
            actor=request.user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=expires_at,
        )
    except ServiceError as exc:
        form.add_error(None, str(exc))
        return _render(request, status=400, form=form)
    return _render(request, new_token=key)


@login_required
@require_POST
def profile_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of my tokens; someone else's token is not there for me (404)."""
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404("No such token.")
    api_token_revoke(token=token, actor=request.user)
    return _render(request, revoked=token.name)
