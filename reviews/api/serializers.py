"""What the API shows of changes, verdicts, assignments and engineers (read-only shapes, also the schema's)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews.models import Assignment, Change, Engineer, Review


class EngineerRefSerializer(serializers.ModelSerializer):
    """An engineer named in another record."""

    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Engineer
        fields = ["id", "username", "display_name", "level"]


class EngineerSerializer(serializers.ModelSerializer):
    """An engineer with level, team, review capacity and availability."""

    username = serializers.CharField(source="user.username", read_only=True)
    team = serializers.SerializerMethodField()
    is_senior = serializers.BooleanField(read_only=True)

    class Meta:
        model = Engineer
        fields = [
            "id",
            "username",
            "display_name",
            "level",
            "is_senior",
            "team",
            "weekly_capacity_minutes",
            "max_open_assignments",
            "is_away",
            "away_until",
            "is_manager",
            "is_incident_reviewer",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_team(self, engineer: Engineer) -> str | None:
        return engineer.team.slug if engineer.team else None


class AwaySerializer(serializers.Serializer):
    """Away (optionally until a date, inclusive) or back."""

    away = serializers.BooleanField()
    until = serializers.DateField(required=False, allow_null=True, default=None)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["until"] is not None and not data["away"]:
            raise serializers.ValidationError({"until": "only an absence has an end date"})
        return data


class ChangeListSerializer(serializers.ModelSerializer):
    """A change as a list shows it."""

    repository = serializers.CharField(source="repository.name", read_only=True)
    author = EngineerRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Change
        fields = [
            "id",
            "repository",
            "title",
            "number",
            "head_sha",
            "state",
            "review_state",
            "author",
            "author_name",
            "ai_assisted",
            "risk_score",
            "gates_state",
            "lines_added",
            "lines_removed",
            "opened_at",
            "merged_at",
            "updated_at",
        ]


class VerdictSerializer(serializers.ModelSerializer):
    """A recorded verdict."""

    reviewer = EngineerRefSerializer(read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "reviewer",
            "verdict",
            "source",
            "head_sha",
            "seconds_spent",
            "comment",
            "rubber_stamp",
            "dismissed_at",
            "ledger_hash",
            "created_at",
        ]


class AssignmentSerializer(serializers.ModelSerializer):
    """A reviewer asked to review a change, and why."""

    reviewer = EngineerRefSerializer(read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "reviewer", "state", "reason", "reasons", "estimated_minutes", "due_at", "created_at"]


class QueueItemSerializer(serializers.ModelSerializer):
    """An active assignment in a senior's queue, with its change."""

    change = ChangeListSerializer(read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "state", "reason", "estimated_minutes", "due_at", "claimed_at", "created_at", "change"]


class GateSerializer(serializers.Serializer):
    """A gate's result on the current revision, and its override if a senior overrode it."""

    name = serializers.CharField()
    status = serializers.CharField()
    message = serializers.CharField()
    details = serializers.ListField(child=serializers.CharField())
    source = serializers.CharField()
    overridden_by = serializers.CharField(allow_null=True)
    override_reason = serializers.CharField(allow_null=True)


class PolicySerializer(serializers.Serializer):
    """The policy decision: the version applied, the rules that matched, what is required and still missing."""

    version = serializers.IntegerField(allow_null=True)
    rules = serializers.ListField(child=serializers.CharField())
    reasons = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(child=serializers.CharField())
    required_sign_offs = serializers.IntegerField()
    requires_owner = serializers.BooleanField()
    requires_attestation = serializers.BooleanField()
    requires_gates = serializers.BooleanField()
    owner_paths = serializers.ListField(child=serializers.CharField())


class FactorSerializer(serializers.Serializer):
    """One factor of the risk score and its weight."""

    weight = serializers.FloatField()
    reason = serializers.CharField()


class RiskSerializer(serializers.Serializer):
    """The risk score and the factors that made it, heaviest first."""

    score = serializers.FloatField()
    factors = FactorSerializer(many=True)


class AISerializer(serializers.Serializer):
    """Whether the change is AI-assisted, how sure detection is, the evidence, and the author's declaration."""

    assisted = serializers.BooleanField()
    confidence = serializers.FloatField()
    evidence = serializers.ListField(child=serializers.CharField())
    declared = serializers.BooleanField(allow_null=True)
    undeclared = serializers.BooleanField()


class AttestationSerializer(serializers.Serializer):
    """The author's attestation of the current revision, if given."""

    author = serializers.CharField()
    head_sha = serializers.CharField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class ChangeDetailSerializer(ChangeListSerializer):
    """A change with everything its page shows a reviewer."""

    policy = serializers.SerializerMethodField()
    gates = serializers.SerializerMethodField()
    risk = serializers.SerializerMethodField()
    ai = serializers.SerializerMethodField()
    attestation = serializers.SerializerMethodField()
    assignments = AssignmentSerializer(many=True, read_only=True)
    verdicts = VerdictSerializer(many=True, read_only=True, source="reviews")

    class Meta(ChangeListSerializer.Meta):
        fields = [
            *ChangeListSerializer.Meta.fields,
            "description",
            "source_branch",
            "target_branch",
            "files_count",
            "policy",
            "gates",
            "risk",
            "ai",
            "attestation",
            "assignments",
            "verdicts",
        ]

    @extend_schema_field(PolicySerializer)
    def get_policy(self, change: Change) -> dict[str, Any]:
        return {
            "version": change.policy_version.number if change.policy_version else None,
            "rules": list(change.policy_rules),
            "reasons": list(change.policy_reasons),
            "missing": list(change.policy_missing),
            "required_sign_offs": change.required_sign_offs,
            "requires_owner": change.requires_owner,
            "requires_attestation": change.requires_attestation,
            "requires_gates": change.requires_gates,
            "owner_paths": list(change.owner_paths),
        }

    @extend_schema_field(GateSerializer(many=True))
    def get_gates(self, change: Change) -> list[dict[str, Any]]:
        return [
            {
                "name": g.name,
                "status": g.status,
                "message": g.message,
                "details": list(g.details),
                "source": g.source,
                "overridden_by": g.override.senior.user.username if g.override else None,
                "override_reason": g.override.reason if g.override else None,
            }
            for g in change.current_gates
        ]

    @extend_schema_field(RiskSerializer)
    def get_risk(self, change: Change) -> dict[str, Any]:
        factors = [{"weight": w, "reason": text} for w, text in change.risk_reasons]
        return {"score": change.risk_score, "factors": sorted(factors, key=lambda f: -abs(f["weight"]))}

    @extend_schema_field(AISerializer)
    def get_ai(self, change: Change) -> dict[str, Any]:
        return {
            "assisted": change.ai_assisted,
            "confidence": change.ai_confidence,
            "evidence": list(change.ai_evidence),
            "declared": change.ai_declared,
            "undeclared": change.ai_undeclared,
        }

    @extend_schema_field(AttestationSerializer(allow_null=True))
    def get_attestation(self, change: Change) -> dict[str, Any] | None:
        current = next((a for a in change.attestations.all() if a.head_sha == change.head_sha), None)
        if current is None:
            return None
        return {
            "author": current.author.user.username,
            "head_sha": current.head_sha,
            "note": current.note,
            "created_at": current.created_at,
        }
