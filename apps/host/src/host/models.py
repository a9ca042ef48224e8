"""The host's own tables. Domain data lives in the packages."""

from __future__ import annotations

from django.db import models


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
