"""Admin of notifications: failed messages to see and send again, organisation defaults, chat webhooks."""

from __future__ import annotations

from django.contrib import admin, messages

from notifications.services.delivery import message_retry
from portal.enqueue import enqueue
from reviews.models import AttentionEntry, ChatWebhook, Notification, NotificationPreference, OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ("pk", "recipient", "channel", "mode", "status", "attempts", "due_at", "sent_at", "short_error")
    list_filter = ("status", "channel", "mode")
    search_fields = ("recipient__display_name", "recipient__email", "last_error")
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]
    actions = ["retry"]

    @admin.display(description="last error")
    def short_error(self, obj: OutboundMessage) -> str:
        return obj.last_error[:120]

    @admin.action(description="Send the selected failed messages again")
    def retry(self, request, queryset) -> None:
        retried = 0
        for message in queryset.filter(status=OutboundMessage.Status.FAILED):
            if message_retry(message_id=message.pk):
                enqueue("notifications.deliver", message.pk)
                retried += 1
        self.message_user(request, f"{retried} message(s) queued again.", messages.SUCCESS)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "read_at")
    list_filter = ("kind",)
    search_fields = ("title", "recipient__display_name", "key")
    raw_id_fields = ("recipient", "change")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    """Rows without a person are the organisation's defaults."""

    list_display = ("kind", "engineer", "email", "chat", "mode")
    list_filter = ("kind", "mode")
    raw_id_fields = ("engineer",)


@admin.register(ChatWebhook)
class ChatWebhookAdmin(admin.ModelAdmin):
    list_display = ("provider", "team", "engineer")
    list_filter = ("provider",)
    raw_id_fields = ("engineer",)


@admin.register(AttentionEntry)
class AttentionEntryAdmin(admin.ModelAdmin):
    list_display = ("change", "engineer", "role", "in_turn", "reason", "since")
    list_filter = ("role", "in_turn")
    raw_id_fields = ("change", "engineer")
