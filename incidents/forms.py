"""Forms of the incidents app."""

from __future__ import annotations

from django import forms

from incidents.models import Incident, IncidentChangeLink
from reviews.models import Repository, Service


class IncidentForm(forms.Form):
    """Record an incident by hand."""

    title = forms.CharField(max_length=300)
    severity = forms.ChoiceField(choices=Incident.Severity.choices)
    services = forms.ModelMultipleChoiceField(queryset=Service.objects.order_by("name"), required=False)
    started_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    detected_at = forms.DateTimeField(required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    resolved_at = forms.DateTimeField(required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    summary = forms.CharField(required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))

    def clean(self):
        data = super().clean()
        start = data.get("started_at")
        for name in ("detected_at", "resolved_at"):
            if start and data.get(name) and data[name] < start:
                self.add_error(name, "Must not be before the start.")
        return data


class LinkForm(forms.Form):
    """Link a change to an incident by repository and commit SHA."""

    repository = forms.ModelChoiceField(queryset=Repository.objects.order_by("name"), to_field_name="name")
    sha = forms.CharField(min_length=7, max_length=40, label="Commit SHA")
    state = forms.ChoiceField(choices=IncidentChangeLink.State.choices, initial=IncidentChangeLink.State.SUSPECTED)
    reason = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class WeekForm(forms.Form):
    """Choose an ISO week."""

    week = forms.RegexField(regex=r"^\d{4}-W\d{2}$", max_length=8, error_messages={"invalid": "Use the form 2026-W47."})
