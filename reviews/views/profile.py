"""The person's own page: who they are to the portal, and their API token."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST
from rest_framework.authtoken.models import Token

from reviews.people import current_engineer
from reviews.services.accounts import api_token_rotate


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    """Level, team, capacity, roles, and whether an API token exists (never the token itself)."""
    context = {"engineer": current_engineer(request), "has_token": Token.objects.filter(user=request.user).exists()}
    return render(request, "reviews/profile_detail.html", context)


@login_required
@require_POST
def profile_token(request: HttpRequest) -> HttpResponse:
    """Create or replace the API token; the new token is shown this once."""
    key = api_token_rotate(user=request.user)
    context = {"engineer": current_engineer(request), "has_token": True, "new_token": key}
    return render(request, "reviews/profile_detail.html", context)
