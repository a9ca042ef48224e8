"""The host's own tables. Domain data lives in the packages."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class InboundEvent(models.Model):
    """A verified inbound webhook, recorded once per sender event id (replays are no-ops)."""

    event_id = models.CharField(max_length=100, unique=True)
    event_type = models.CharField(max_length=100)
    payload = models.JSONField()
    signed_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class OutboundWebhook(models.Model):
    """A webhook billing emitted, queued for delivery to ``HOST_OUTBOUND_WEBHOOK_URL``.

    ``manage.py deliver_webhooks`` sends the due ones; a failed attempt is retried later with
    backoff, up to ``HOST_OUTBOUND_WEBHOOK_MAX_ATTEMPTS``. ``delivery_id`` goes out as
    ``X-Webhook-Id``, the same on every attempt, so receivers can drop a repeat.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"  # gave up after the last attempt

    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="host_outbound_due_idx")]

    def __str__(self) -> str:
        return f"{self.payload.get('type', 'webhook')} {self.delivery_id} ({self.status})"
