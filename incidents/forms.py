"""Forms of the incidents app."""

from __future__ import annotations

from django import forms

from incidents.models import ActionItem, Incident, IncidentChangeLink
from reviews.models import Engineer, Repository, Service

_DATETIME = {"type": "datetime-local"}
_SHA_RE = r"^[0-9a-fA-F]{7,40}$"


def _engineers():
    return Engineer.objects.order_by("display_name")


class IncidentForm(forms.Form):
    """Record or edit an incident by hand."""

    title = forms.CharField(max_length=300)
    severity = forms.ChoiceField(choices=Incident.Severity.choices)
    # A filterable checkbox list (templates/incidents/_incident_fields.html): organisations have dozens of services.
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.order_by("name"), required=False, widget=forms.CheckboxSelectMultiple
    )
    started_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs=_DATETIME))
    detected_at = forms.DateTimeField(required=False, widget=forms.DateTimeInput(attrs=_DATETIME))
    mitigated_at = forms.DateTimeField(required=False, widget=forms.DateTimeInput(attrs=_DATETIME))
    resolved_at = forms.DateTimeField(required=False, widget=forms.DateTimeInput(attrs=_DATETIME))
    known_good_at = forms.DateTimeField(
        required=False,
        label="Last known good",
        widget=forms.DateTimeInput(attrs=_DATETIME),
        help_text="When the affected services last worked (a known-good deployment): suspects are the changes "
        "merged since, at most 90 days back (optional).",
    )
    commander = forms.ModelChoiceField(queryset=_engineers(), required=False)
    paths = forms.CharField(
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "services/checkout/\nlib/auth/tokens.py"}),
        help_text="Affected path prefixes, one per line (optional).",
    )
    repository = forms.ModelChoiceField(
        queryset=Repository.objects.order_by("name"), required=False, help_text="Repository of the fix commit."
    )
    fix_sha = forms.RegexField(
        regex=_SHA_RE, required=False, label="Fix commit", error_messages={"invalid": "Use 7 to 40 hex digits."}
    )
    external_url = forms.URLField(
        required=False, max_length=1000, label="Link (paging tool, chat)", assume_scheme="https"
    )
    summary = forms.CharField(required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))

    def clean_paths(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["paths"].splitlines() if line.strip()]

    def clean_fix_sha(self) -> str:
        return self.cleaned_data["fix_sha"].lower()

    def clean(self):
        data = super().clean()
        start = data.get("started_at")
        for name in ("detected_at", "mitigated_at", "resolved_at"):
            if start and data.get(name) and data[name] < start:
                self.add_error(name, "Must not be before the start.")
        if start and data.get("known_good_at") and data["known_good_at"] > start:
            self.add_error("known_good_at", "Must not be after the start.")
        return data


class EditIncidentForm(IncidentForm):
    """Edit an incident: its status too."""

    status = forms.ChoiceField(choices=Incident.Status.choices)


class LinkForm(forms.Form):
    """Link a change to an incident by repository and commit SHA."""

    repository = forms.ModelChoiceField(queryset=Repository.objects.order_by("name"), to_field_name="name")
    sha = forms.CharField(min_length=7, max_length=40, label="Commit SHA")
    state = forms.ChoiceField(choices=IncidentChangeLink.State.choices, initial=IncidentChangeLink.State.SUSPECTED)
    reason = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    """Confirm or rule out a ranked suspect, with the reason."""

    state = forms.ChoiceField(
        choices=[
            (IncidentChangeLink.State.CONFIRMED, "Confirm"),
            (IncidentChangeLink.State.RULED_OUT, "Rule out"),
            (IncidentChangeLink.State.SUSPECTED, "Back to suspected"),
        ]
    )
    reason = forms.CharField(max_length=5000, error_messages={"required": "Say why."})


class TimelineForm(forms.Form):
    """A dated line of the timeline."""

    at = forms.DateTimeField(widget=forms.DateTimeInput(attrs=_DATETIME), label="When")
    text = forms.CharField(max_length=5000, widget=forms.TextInput(attrs={"size": 60}), label="What happened")


class CoeForm(forms.Form):
    """The correction-of-error review's text, in Markdown."""

    summary = forms.CharField(required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    customer_impact = forms.CharField(
        required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3}), label="Customer impact"
    )
    timeline = forms.CharField(
        required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}), label="Timeline (narrative)"
    )
    root_cause = forms.CharField(
        required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}), label="Root cause"
    )
    went_well = forms.CharField(
        required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3}), label="What went well"
    )
    went_wrong = forms.CharField(
        required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3}), label="What went wrong"
    )


class WhyChainForm(forms.Form):
    """A "5 whys" chain: the problem, then each answer to "why?"."""

    problem = forms.CharField(max_length=500)
    why1 = forms.CharField(max_length=1000, required=False, label="Why? (1)")
    why2 = forms.CharField(max_length=1000, required=False, label="Why? (2)")
    why3 = forms.CharField(max_length=1000, required=False, label="Why? (3)")
    why4 = forms.CharField(max_length=1000, required=False, label="Why? (4)")
    why5 = forms.CharField(max_length=1000, required=False, label="Why? (5)")

    def whys(self) -> list[str]:
        return [self.cleaned_data[f"why{n}"] for n in range(1, 6)]


class ActionItemForm(forms.Form):
    """A new action item."""

    title = forms.CharField(max_length=300, label="Action")
    owner = forms.ModelChoiceField(queryset=_engineers(), required=False)
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Due")


class ActionStatusForm(forms.Form):
    """A new status for an action item."""

    status = forms.ChoiceField(choices=ActionItem.Status.choices)


class WeekForm(forms.Form):
    """Choose an ISO week."""

    week = forms.RegexField(regex=r"^\d{4}-W\d{2}$", max_length=8, error_messages={"invalid": "Use the form 2026-W47."})


class NarrativeForm(forms.Form):
    """The weekly report's narrative sections, in Markdown."""

    summary = forms.CharField(required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    highlights = forms.CharField(required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    concerns = forms.CharField(required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    decisions = forms.CharField(
        required=False, max_length=20000, label="Decisions and follow-ups", widget=forms.Textarea(attrs={"rows": 4})
    )
