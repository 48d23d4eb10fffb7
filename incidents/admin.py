from django.contrib import admin

from incidents.models import (
    ActionItem,
    CorrectionOfError,
    FixTrace,
    Incident,
    IncidentChangeLink,
    PagerDutyService,
    PagerDutyWebhookSecret,
    TimelineEntry,
    WhyChain,
)


class LinkInline(admin.TabularInline):
    model = IncidentChangeLink
    raw_id_fields = ("change", "decided_by")
    extra = 0


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    fields = ("at", "text", "source", "author_name")
    extra = 0


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    fields = ("title", "owner", "due_date", "status")
    raw_id_fields = ("owner",)
    extra = 0


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("title", "severity", "status", "started_at", "external_source", "external_id")
    list_filter = ("severity", "status", "external_source")
    search_fields = ("title", "external_id")
    filter_horizontal = ("services",)
    raw_id_fields = ("commander", "created_by")
    inlines = [LinkInline, TimelineInline, ActionItemInline]


@admin.register(CorrectionOfError)
class CorrectionOfErrorAdmin(admin.ModelAdmin):
    list_display = ("incident", "updated_at", "updated_by")
    raw_id_fields = ("incident", "updated_by")


@admin.register(WhyChain)
class WhyChainAdmin(admin.ModelAdmin):
    list_display = ("problem", "incident", "position")
    raw_id_fields = ("incident",)


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ("title", "incident", "owner", "due_date", "status")
    list_filter = ("status",)
    raw_id_fields = ("incident", "owner", "created_by")


@admin.register(FixTrace)
class FixTraceAdmin(admin.ModelAdmin):
    list_display = ("incident", "fix_sha", "state", "total_lines", "computed_at")
    list_filter = ("state",)
    readonly_fields = ("lines", "files", "error")


@admin.register(PagerDutyService)
class PagerDutyServiceAdmin(admin.ModelAdmin):
    """Map each PagerDuty service (added when first seen in a webhook) to the portal services it stands for."""

    list_display = ("name", "pagerduty_id", "first_seen_at")
    search_fields = ("name", "pagerduty_id")
    filter_horizontal = ("services",)


@admin.register(PagerDutyWebhookSecret)
class PagerDutyWebhookSecretAdmin(admin.ModelAdmin):
    """Signing secrets of PagerDuty webhook subscriptions, accepted next to PORTAL_PAGERDUTY_WEBHOOK_SECRET."""

    list_display = ("label", "is_active", "created_at")
    fields = ("label", "secret", "is_active")
