from django.contrib import admin

from reviews.models import (
    AiFinding,
    AiVocabularyEntry,
    Assignment,
    Attestation,
    AuditEvent,
    Change,
    ChangeFile,
    Delivery,
    Deployment,
    Engineer,
    LedgerAlert,
    Repository,
    Review,
    Revision,
    Service,
    Team,
)
from reviews.services.ledger import ledger_alert_resolve


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Engineer)
class EngineerAdmin(admin.ModelAdmin):
    list_display = (
        "display_name",
        "email",
        "level",
        "team",
        "weekly_capacity_minutes",
        "is_away",
        "is_manager",
        "is_incident_reviewer",
    )
    list_filter = ("level", "team", "is_away", "is_manager", "is_incident_reviewer")
    search_fields = ("display_name", "email", "user__username", "github_login", "gitlab_username", "sso_subject")
    raw_id_fields = ("user",)


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = ("name", "provider", "clone_url", "default_branch", "poll_enabled", "last_fetched_at", "last_error")
    fields = (
        "name",
        "provider",
        "clone_url",
        "default_branch",
        "sensitive_paths",
        "webhook_secret",
        "api_token",
        "poll_enabled",
        "track_branches",
    )


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "repository", "team")
    list_filter = ("repository", "team")


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    list_display = ("title", "repository", "author", "state", "review_state", "ai_assisted", "risk_score", "opened_at")
    list_filter = ("repository", "state", "review_state", "ai_assisted", "diff_state")
    search_fields = ("title", "external_id", "head_sha", "author_email")
    # Set on the change page (change_set_author): audited in the ledger, and policy and assignment run again.
    readonly_fields = ("author", "created_at", "updated_at")


@admin.register(ChangeFile)
class ChangeFileAdmin(admin.ModelAdmin):
    list_display = ("path", "change", "status", "lines_added", "lines_removed")
    raw_id_fields = ("change",)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("change", "reviewer", "state", "reason", "created_at")
    list_filter = ("state",)
    raw_id_fields = ("change", "reviewer")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledgered records are never edited by hand."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ("change", "reviewer", "verdict", "head_sha", "seconds_spent", "created_at")
    list_filter = ("verdict",)


@admin.register(Attestation)
class AttestationAdmin(ReadOnlyAdmin):
    list_display = ("change", "author", "head_sha", "created_at")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    # actor_label, not actor: the user may have been deleted since, and the row keeps its name.
    list_display = ("id", "created_at", "actor_label", "action", "target_type", "target_id", "version")
    list_filter = ("action",)


@admin.register(LedgerAlert)
class LedgerAlertAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "message", "entry_id", "last_seen_at", "resolved_at", "resolved_by")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter),)
    actions = ["resolve"]

    @admin.action(description="Resolve: the problem was investigated (the same problem found again stays quiet)")
    def resolve(self, request, queryset) -> None:
        for alert in queryset.filter(resolved_at__isnull=True):
            ledger_alert_resolve(alert=alert, user=request.user, resolution=f"resolved in the admin by {request.user}")
        self.message_user(request, "Resolved.")


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    list_display = ("service", "environment", "sha", "deployed_at")
    list_filter = ("service", "environment")
    filter_horizontal = ("changes",)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "provider", "event", "action", "repository_name", "status", "attempts")
    list_filter = ("provider", "status", "event")
    search_fields = ("delivery_id", "repository_name")


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ("change", "number", "head_sha", "raw_size", "truncated", "created_at")
    exclude = ("raw_diff",)


@admin.register(AiVocabularyEntry)
class AiVocabularyEntryAdmin(admin.ModelAdmin):
    """Agent accounts, AI review bots, AI tool names and addresses: what AI detection and intake recognise."""

    list_display = ("value", "kind", "is_active", "note", "created_at")
    list_filter = ("kind", "is_active")
    search_fields = ("value", "note")
    list_editable = ("is_active",)


@admin.register(AiFinding)
class AiFindingAdmin(admin.ModelAdmin):
    """Findings of AI review bots; people resolve them on the change page."""

    list_display = ("change", "account", "verdict", "received_at", "resolved_at", "resolved_by")
    list_filter = ("account", "verdict")
    raw_id_fields = ("change", "resolved_by")
    readonly_fields = ("change", "account", "verdict", "body", "host_review_id", "head_sha", "received_at")
