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


class AuthorForm(forms.Form):
    """An admin names the engineer who wrote a change."""

    engineer = forms.CharField(max_length=320, label="Author's user name or e-mail")


class QueueFilterForm(forms.Form):
    """Filters and sort of the review queue, kept in the URL."""

    repo = forms.CharField(required=False, max_length=200)
    service = forms.CharField(required=False, max_length=200)
    risk = forms.ChoiceField(
        required=False, choices=[("", "any risk"), ("low", "low"), ("medium", "medium"), ("high", "high")]
    )
    ai = forms.ChoiceField(
        required=False, choices=[("", "AI or not"), ("yes", "AI-assisted"), ("no", "not AI-assisted")]
    )
    age = forms.ChoiceField(
        required=False,
        choices=[("", "any age"), ("1", "waiting 1+ day"), ("3", "waiting 3+ days"), ("7", "waiting 7+ days")],
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("waiting", "longest waiting"),
            ("deadline", "deadline"),
            ("risk", "highest risk"),
            ("size", "largest"),
        ],
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=100000)


class HandBackForm(forms.Form):
    """Why the reviewer gives a change back."""

    reason = forms.CharField(min_length=5, max_length=500)
