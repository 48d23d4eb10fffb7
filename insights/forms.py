"""Filters of the dashboards and of the change lists behind them; bad input is refused with a message."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone

from insights.selectors.drill import BUCKETS, METRICS
from insights.selectors.scope import Scope, local_midnight
from reviews.models import Repository, Team

DEFAULT_WEEKS = 4  # this week so far and the three before it
MAX_DAYS = 366


class ScopeForm(forms.Form):
    """Team, repository and period [start, end) in the portal's time zone; by default this week so far and the
    three weeks before it."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), to_field_name="slug", required=False, empty_label="All teams"
    )
    repository = forms.ModelChoiceField(
        queryset=Repository.objects.order_by("name"), required=False, empty_label="All repositories"
    )
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), help_text="First day not included.")

    def __init__(self, data: QueryDict | None = None, *args: Any, **kwargs: Any) -> None:
        # Missing dates take their defaults here, so the form shows the period the page shows.
        data = data.copy() if data is not None else QueryDict(mutable=True)
        if not data.get("end"):
            data["end"] = (timezone.localdate() + timedelta(days=1)).isoformat()
        if not data.get("start"):
            try:
                last_day = date.fromisoformat(data["end"]) - timedelta(days=1)
            except ValueError:
                last_day = timezone.localdate()
            monday = last_day - timedelta(days=last_day.weekday())
            data["start"] = (monday - timedelta(days=7 * (DEFAULT_WEEKS - 1))).isoformat()
        super().__init__(data, *args, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        if "start" in self.errors or "end" in self.errors:
            return data
        start, end = data["start"], data["end"]
        if start >= end:
            raise forms.ValidationError("The start must be before the end.")
        if (end - start).days > MAX_DAYS:
            raise forms.ValidationError(f"A period can be at most {MAX_DAYS} days long.")
        data["start"], data["end"] = start, end
        return data

    def scope(self) -> Scope:
        """The validated scope (call after is_valid)."""
        data = self.cleaned_data
        team, repository = data.get("team"), data.get("repository")
        return Scope(
            start=local_midnight(data["start"]),
            end=local_midnight(data["end"]),
            team_id=team.pk if team else None,
            team_name=team.name if team else "",
            team_slug=team.slug if team else "",
            repository_id=repository.pk if repository else None,
            repository_name=repository.name if repository else "",
        )


class DrillForm(ScopeForm):
    """A change list behind a number: the metric and its optional narrowing."""

    metric = forms.ChoiceField(choices=[(name, m.label) for name, m in METRICS.items()])
    ai = forms.ChoiceField(choices=[("", "any"), ("yes", "AI-assisted"), ("no", "other")], required=False)
    bucket = forms.ChoiceField(choices=[("", "any")] + [(b, b) for b in sorted(BUCKETS)], required=False)
    reviewer = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    path = forms.CharField(required=False, max_length=1000)


class SoleForm(ScopeForm):
    """The list of files or directories only one person knows."""

    directories = forms.ChoiceField(choices=[("no", "files"), ("yes", "directories")], required=False)
