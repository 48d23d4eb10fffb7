"""Forms of the reviews app: validation only, no business logic."""

from __future__ import annotations

from django import forms

from reviews.models import Review


class ReviewForm(forms.Form):
    """A verdict on the revision the reviewer was shown."""

    verdict = forms.ChoiceField(choices=Review.Verdict.choices)
    head_sha = forms.RegexField(regex=r"^[0-9a-f]{40}$", error_messages={"invalid": "Unknown revision."})
    active_seconds = forms.IntegerField(min_value=0, max_value=7 * 24 * 3600, required=False)
    page_token = forms.CharField(max_length=500)
    comment = forms.CharField(required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))
    confirm_fast = forms.BooleanField(required=False)


class AttestForm(forms.Form):
    """The author's self-review statement."""

    confirm = forms.BooleanField(
        required=True,
        label="I have read and understood every line of this revision",
        error_messages={"required": "Tick the box to attest."},
    )
    note = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
