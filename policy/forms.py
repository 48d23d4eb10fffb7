"""The policy editor's forms: one rule as fields, a policy as raw JSON or YAML, and the reason to publish.

The forms only shape what was typed into policy data; policy.document.parse_policy (through the draft services)
is the one validator, and its faults come back here as messages on the field they concern.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from django import forms

from policy.document import MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, MIN_LEVEL, Rule, parse_policy, policy_to_data
from portal import strictjson

MAX_RAW_CHARS = 200_000
TRI_STATE = [("", "Any"), ("yes", "Yes"), ("no", "No")]
_TRI = {"yes": True, "no": False}

_LIST_FIELDS = ("paths", "repositories", "services")
_TRI_FIELDS = ("ai_assisted", "agent_opened", "author_is_bot", "sensitive")
_NUMBER_FIELDS = ("author_level_at_most", "size_above", "risk_above")
_REQUIRE_FIELDS = ("owner", "attestation", "gates_passed")
_PLACE = re.compile(r"^rules\[\d+\](?:\.(when|require))?(?:\.(\w+))?(?:\[(\d+)\])?$")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _number(text: str) -> Any:
    """An int or float when the text is one; otherwise the text itself, for the validator to name the fault."""
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


class RuleForm(forms.Form):
    """One rule: its name, when it applies (conditions left at "Any" or blank do not count), what it asks."""

    name = forms.CharField(max_length=MAX_NAME_CHARS, help_text="Unique within the policy, as ai-assisted-junior.")
    description = forms.CharField(
        required=False, max_length=MAX_DESCRIPTION_CHARS, widget=forms.Textarea(attrs={"rows": 2})
    )
    ai_assisted = forms.ChoiceField(label="AI-assisted", choices=TRI_STATE, required=False)
    agent_opened = forms.ChoiceField(label="Opened by an AI agent", choices=TRI_STATE, required=False)
    author_is_bot = forms.ChoiceField(label="Author is a bot", choices=TRI_STATE, required=False)
    sensitive = forms.ChoiceField(label="Touches a sensitive path", choices=TRI_STATE, required=False)
    author_level_at_most = forms.CharField(
        label="Author level at most", required=False, max_length=20, help_text=f"L{MIN_LEVEL} to L8, as 5"
    )
    size_above = forms.CharField(label="More changed lines than", required=False, max_length=20)
    risk_above = forms.CharField(label="Risk above", required=False, max_length=20, help_text="0 to 1, as 0.7")
    paths = forms.CharField(
        label="Paths",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One CODEOWNERS-style pattern a line: src/auth/, db/migrations/**, **/*.tf",
    )
    repositories = forms.CharField(required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 2}))
    services = forms.CharField(required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 2}))
    exempt = forms.BooleanField(
        label="Exempt from sign-off (never applies to AI-assisted or agent-opened changes)", required=False
    )
    sign_offs = forms.CharField(label="Senior sign-offs", required=False, max_length=20, initial="0")
    owner = forms.BooleanField(label="A code owner among them", required=False)
    attestation = forms.BooleanField(label="The author's attestation", required=False)
    gates_passed = forms.BooleanField(label="Automated gates pass", required=False)

    @classmethod
    def initial_of(cls, rule: Rule) -> dict[str, Any]:
        """The form's initial values for a parsed rule."""
        when, require = rule.when, rule.require
        initial: dict[str, Any] = {"name": rule.name, "description": rule.description, "exempt": rule.exempt}
        for key in _TRI_FIELDS:
            value = getattr(when, key)
            initial[key] = "" if value is None else "yes" if value else "no"
        for key in _NUMBER_FIELDS:
            value = getattr(when, key)
            initial[key] = "" if value is None else str(value)
        for key in _LIST_FIELDS:
            value = getattr(when, key)
            initial[key] = "\n".join(value or ())
        initial["sign_offs"] = str(require.sign_offs)
        initial.update({key: getattr(require, key) for key in _REQUIRE_FIELDS})
        return initial

    def rule_data(self) -> dict[str, Any]:
        """The rule as policy data, for the validator; call after is_valid()."""
        data = self.cleaned_data
        when: dict[str, Any] = {}
        for key in _TRI_FIELDS:
            if data.get(key) in _TRI:
                when[key] = _TRI[data[key]]
        for key in _NUMBER_FIELDS:
            if (data.get(key) or "").strip():
                when[key] = _number(data[key])
        for key in _LIST_FIELDS:
            # An emptied list means "no condition": a blank field is never an empty list the validator refuses.
            if items := _lines(data.get(key) or ""):
                when[key] = items
        rule: dict[str, Any] = {"name": data["name"].strip(), "when": when}
        if data.get("description"):
            rule["description"] = data["description"].strip()
        if data.get("exempt"):
            rule["exempt"] = True
            return rule
        require: dict[str, Any] = {key: True for key in _REQUIRE_FIELDS if data.get(key)}
        sign_offs = (data.get("sign_offs") or "").strip()
        if sign_offs and sign_offs != "0":
            require["sign_offs"] = _number(sign_offs)
        rule["require"] = require
        return rule

    def add_policy_error(self, place: str, message: str) -> None:
        """Show a validator fault on the field it names (`rules[1].when.paths[2]`: line 3 of Paths)."""
        match = _PLACE.match(place)
        field = match.group(2) if match else None
        text = message.removeprefix(place).strip()
        if field in self.fields:
            text = text or message
            text = text[0].upper() + text[1:]
            if match and match.group(3) is not None:
                text = f"Line {int(match.group(3)) + 1}: {text}"
            self.add_error(field, text)
        else:
            self.add_error(None, message)


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: a policy needs none, and aliases are how a small text becomes a huge one."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("anchors and aliases (*name) are not supported")
        return super().compose_node(parent, index)


def load_raw(text: str, syntax: str) -> Any:
    """Decode raw policy text as JSON or YAML; ValueError says why it cannot be read."""
    if len(text) > MAX_RAW_CHARS:
        raise ValueError(f"The policy must be at most {MAX_RAW_CHARS:,} characters.")
    if syntax == "json":
        try:
            return strictjson.loads(text)
        except strictjson.JSONRefused as exc:
            raise ValueError(f"The policy {exc}") from None
    try:
        value = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, RecursionError) as exc:
        raise ValueError(f"The policy is not valid YAML: {str(exc)[:300]}") from None
    if reason := strictjson.refusal(value):
        raise ValueError(f"The policy {reason}")
    return value


def dump_raw(data: Any, syntax: str) -> str:
    """Policy data as the text the raw editor shows, keys in the schema's order (the database keeps its own)."""
    data = policy_to_data(parse_policy(data))
    if syntax == "json":
        return json.dumps(data, indent=2, ensure_ascii=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


class RawPolicyForm(forms.Form):
    """The whole policy as JSON or YAML, for admins who prefer text."""

    syntax = forms.ChoiceField(choices=[("json", "JSON"), ("yaml", "YAML")], initial="json")
    text = forms.CharField(
        label="Policy",
        max_length=MAX_RAW_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false", "class": "mono"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "text" in data and "syntax" in data:
            try:
                data["policy"] = load_raw(data["text"], data["syntax"])
            except ValueError as exc:
                self.add_error("text", str(exc))
        return data


class PublishForm(forms.Form):
    """The reason a draft becomes the policy in force."""

    reason = forms.CharField(
        label="Why the policy changes",
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "as: payments moved to the new service; owners sign off there"}),
        error_messages={"required": "Say why the policy changes: the reason is kept with the version."},
    )
