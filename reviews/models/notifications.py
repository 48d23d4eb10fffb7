"""Whose turn it is on a change, and what people are told: inbox items, outgoing messages, preferences."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from reviews.models.changes import Change
from reviews.models.org import Engineer, Team


class AttentionEntry(models.Model):
    """A participant of an open change (its author or one of its seniors) and whether the next move is theirs."""

    class Role(models.TextChoices):
        AUTHOR = "author", "Author"
        REVIEWER = "reviewer", "Reviewer"

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="attention")
    engineer = models.ForeignKey(Engineer, on_delete=models.CASCADE, related_name="attention")
    role = models.CharField(max_length=10, choices=Role.choices)
    in_turn = models.BooleanField(default=False, help_text="The next move on the change is theirs.")
    reason = models.CharField(max_length=300, blank=True, help_text="Why it is (or stopped being) their turn.")
    since = models.DateTimeField(help_text="When their turn started or ended.")

    class Meta:
        ordering = ["role", "since"]
        constraints = [models.UniqueConstraint(fields=["change", "engineer"], name="attention_once_per_person")]
        indexes = [models.Index(fields=["engineer", "in_turn"], name="attention_engineer_turn_idx")]

    def __str__(self) -> str:
        return f"{self.engineer_id} on {self.change_id}: {'in turn' if self.in_turn else 'waiting'}"


class NotificationKind(models.TextChoices):
    """What happened, as people choose channels for it."""

    ASSIGNED = "assigned", "Assigned to you"
    TURN = "turn", "Your turn again"
    CHANGES_REQUESTED = "changes_requested", "Changes requested on your change"
    SIGNED_OFF = "signed_off", "Your change was signed off"
    DUE_SOON = "due_soon", "A review is due soon"
    OVERDUE = "overdue", "A review is overdue (to the team's manager)"
    REROUTED = "rerouted", "Your reviews were re-routed while you were away"
    SUSPECT = "suspect", "Your change is a suspect in an incident"
    CONFIRMED = "confirmed", "An incident was confirmed against your change"
    REPORT = "report", "The weekly report was published"


class Channel(models.TextChoices):
    """Where a notification can be sent besides the portal's inbox, which always has it."""

    EMAIL = "email", "E-mail"
    CHAT = "chat", "Chat"


class Notification(models.Model):
    """One event told to one person: an inbox item, sent on by the channels they chose; never twice."""

    recipient = models.ForeignKey(Engineer, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    key = models.CharField(max_length=200, help_text="The event's identity: one notification per event per person.")
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True, max_length=20000)
    url = models.CharField(max_length=500, help_text="The portal page it is about (a path).")
    details = models.JSONField(default=list, blank=True, help_text="Lines of evidence or reasons.")
    action_url = models.CharField(max_length=500, blank=True, help_text="A one-click action (a path), if any.")
    action_label = models.CharField(max_length=100, blank=True)
    change = models.ForeignKey(Change, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_event")]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id}: {self.title[:60]}"


class OutboundMessage(models.Model):
    """The outbox: one e-mail or chat message to one person, bundling the notifications of a burst or a digest."""

    class Mode(models.TextChoices):
        INSTANT = "instant", "Instant"
        DIGEST = "digest", "Daily digest"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # still collecting notifications until due_at
        SENDING = "sending", "Sending"  # closed: retried with back-off until sent or failed
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    recipient = models.ForeignKey(Engineer, on_delete=models.CASCADE, related_name="outbound_messages")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.INSTANT)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    notifications = models.ManyToManyField(Notification, through="MessageItem", related_name="messages")
    due_at = models.DateTimeField(help_text="When it is sent (end of the burst window, quiet hours or digest hour).")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    message_id = models.CharField(max_length=300, blank=True, help_text="E-mail Message-ID, once sent.")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A burst joins the one message still collecting: at most one per person, channel and mode.
            models.UniqueConstraint(
                fields=["recipient", "channel", "mode"], condition=Q(status="pending"), name="outbound_one_collecting"
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="outbound_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient_id} ({self.status})"


class MessageItem(models.Model):
    """A notification inside an outgoing message; each notification goes out once per channel."""

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="items")
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="items")
    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="messageitem_once_per_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} in {self.message_id}"


class NotificationPreference(models.Model):
    """Channels and timing for one kind of notification: a person's own, or the organisation's default (no person)."""

    engineer = models.ForeignKey(
        Engineer, null=True, blank=True, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    email = models.BooleanField(default=True)
    chat = models.BooleanField(default=False)
    mode = models.CharField(max_length=10, choices=OutboundMessage.Mode.choices, default=OutboundMessage.Mode.INSTANT)

    class Meta:
        ordering = ["engineer_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["engineer", "kind"], name="preference_once_per_kind"),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(engineer__isnull=True), name="preference_one_default_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.engineer_id or 'default'} {self.kind}"


class ChatWebhook(models.Model):
    """An incoming webhook of a chat tool: a team's channel, or a person's own."""

    class Provider(models.TextChoices):
        SLACK = "slack", "Slack"
        TEAMS = "teams", "Microsoft Teams"
        MATTERMOST = "mattermost", "Mattermost"
        GOOGLE_CHAT = "google_chat", "Google Chat"

    provider = models.CharField(max_length=12, choices=Provider.choices)
    url = models.URLField(max_length=1000, help_text="The incoming webhook's address (a secret: it lets anyone post).")
    team = models.OneToOneField(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="chat_webhook")
    engineer = models.OneToOneField(
        Engineer, null=True, blank=True, on_delete=models.CASCADE, related_name="chat_webhook"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(team__isnull=True) ^ Q(engineer__isnull=True), name="chatwebhook_team_xor_engineer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} for {self.team or self.engineer}"
