"""The what-if form."""

from __future__ import annotations

from django import forms

from portal import strictjson


class WhatIfForm(forms.Form):
    """A manager's what-if: a policy (a stored version or a proposal), a strategy, the period, the seniors."""

    PROPOSED = "proposed"
    DRAFT = "draft"

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

    def __init__(
        self,
        *args,
        versions: list[int],
        repositories: list[tuple[int, str]],
        current: int,
        draft: tuple[int, object] | None = None,
        draft_same: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.current, self.draft, self.draft_same = current, draft, draft_same
        drafts = [(self.DRAFT, f"The latest draft (draft {draft[0]})")] if draft else []
        versions_shown = [(str(n), f"v{n} (in force)" if n == current else f"v{n}") for n in versions]
        self.fields["policy"].choices = drafts + versions_shown + [(self.PROPOSED, "A proposed policy")]
        self.fields["repository"].choices = [("", "All repositories")] + [(str(pk), name) for pk, name in repositories]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("policy") == str(self.current):
            # Compared with itself every difference is 0: a what-if answers nothing that way.
            self.add_error(
                "policy",
                f"v{self.current} is the policy in force, and the what-if compares with it: choose the latest draft, "
                "an older version or a proposed policy.",
            )
        if data.get("policy") == self.DRAFT and self.draft is not None:
            if self.draft_same:
                self.add_error(
                    "policy",
                    f"Draft {self.draft[0]} has the same rules as v{self.current}, the policy in force: edit it first.",
                )
            data["proposed_data"] = self.draft[1]
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
