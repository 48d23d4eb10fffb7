"""The incidents list's filters: severity, service, state, week and words, kept in the address."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings

from incidents.models import Incident
from incidents.report.weeks import parse_iso_week, week_bounds
from reviews.models import Service

_AUTO = {"data-autosubmit": ""}  # static/portal/portal.js submits the form when the choice changes


class IncidentFilterForm(forms.Form):
    """Filters of the incidents list; every field is optional and an invalid one is reported, not ignored."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    severity = forms.ChoiceField(
        choices=[("", "any severity"), *Incident.Severity.choices], required=False, widget=forms.Select(attrs=_AUTO)
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.order_by("name"),
        required=False,
        empty_label="any service",
        to_field_name="name",
        widget=forms.Select(attrs=_AUTO),
    )
    state = forms.ChoiceField(
        choices=[("", "any state"), *Incident.Status.choices], required=False, widget=forms.Select(attrs=_AUTO)
    )
    week = forms.CharField(
        required=False, max_length=8, widget=forms.TextInput(attrs={"placeholder": "2026-W49", "size": 9})
    )

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].replace("\x00", "").split())

    def clean_week(self) -> tuple[datetime, datetime] | None:
        label = self.cleaned_data["week"].strip().upper()
        if not label:
            return None
        try:
            year, week = parse_iso_week(label)
            return week_bounds(year, week, ZoneInfo(settings.PORTAL_REPORT_TIME_ZONE))
        except (ValueError, OverflowError) as exc:
            message = str(exc) if isinstance(exc, ValueError) else "That week is out of range."
            raise forms.ValidationError(message) from None
