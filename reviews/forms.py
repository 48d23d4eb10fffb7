"""Forms of the reviews app: validation only, no business logic."""

from __future__ import annotations

from django import forms

from portal import strictjson
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


class WhatIfForm(forms.Form):
    """A manager's what-if: a policy (a stored version or a proposal), a strategy, the period, the seniors."""

    PROPOSED = "proposed"

    policy = forms.ChoiceField(label="Policy")
    proposed = forms.CharField(
        label="Proposed policy (JSON)",
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
    )
    strategy = forms.ChoiceField(
        choices=[
            ("balanced", "Balanced (the portal's engine)"),
            ("round_robin", "Round robin"),
            ("load_balance", "Load balance (fewest requests in 30 days)"),
            ("expertise", "Expertise (most lines authored)"),
            ("random", "Random"),
        ],
        initial="balanced",
    )
    weeks = forms.IntegerField(
        label="Last N weeks",
        min_value=1,
        max_value=26,
        initial=8,
        error_messages={
            "min_value": "Weeks must be from 1 to 26.",
            "max_value": "Weeks must be from 1 to 26.",
            "invalid": "Weeks must be a whole number from 1 to 26.",
        },
    )
    repository = forms.ChoiceField(required=False, label="Repository")
    seniors = forms.ChoiceField(
        choices=[("org", "The organisation's seniors"), ("top", "The K most active authors")], initial="org"
    )
    top = forms.IntegerField(
        label="K",
        required=False,
        min_value=2,
        max_value=50,
        initial=5,
        error_messages={"min_value": "K must be from 2 to 50.", "max_value": "K must be from 2 to 50."},
    )

    def __init__(self, *args, versions: list[int], repositories: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["policy"].choices = [(str(n), f"v{n}") for n in versions] + [(self.PROPOSED, "A proposed policy")]
        self.fields["repository"].choices = [("", "All repositories")] + [(str(pk), name) for pk, name in repositories]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("policy") == self.PROPOSED:
            text = (data.get("proposed") or "").strip()
            if not text:
                self.add_error("proposed", "Paste the proposed policy as JSON.")
            else:
                try:
                    data["proposed_data"] = strictjson.loads(text)
                except strictjson.JSONRefused as exc:
                    self.add_error("proposed", f"The policy {exc}")
        if data.get("seniors") == "top" and data.get("top") is None and "top" not in self.errors:
            self.add_error("top", "Say how many authors stand in for seniors (2 to 50).")
        return data
