"""Webhooks: recording verified inbound events, and the sink that queues billing's outbound ones
(``host.outbound`` delivers them)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.db import transaction

from host.models import InboundEvent, OutboundWebhook

logger = logging.getLogger(__name__)


def record_inbound_event(
    *, event_id: str, event_type: str, payload: dict[str, Any], signed_at: int
) -> tuple[InboundEvent, bool]:
    """Store a verified event once; return it and whether it was new.

    No event types are acted on yet: the host records them for later processing.
    """
    with transaction.atomic():
        return InboundEvent.objects.get_or_create(
            event_id=event_id,
            defaults={
                "event_type": event_type,
                "payload": payload,
                "signed_at": dt.datetime.fromtimestamp(signed_at, tz=dt.UTC),
            },
        )


def queue_outbound_webhook(payload: dict[str, Any]) -> OutboundWebhook:
    """``BILLING_WEBHOOK_SINK``: billing calls this after its transaction commits; the
    webhook waits in the queue for ``manage.py deliver_webhooks``."""
    queued = OutboundWebhook.objects.create(payload=payload)
    logger.info(
        "outbound webhook %s queued: %s", queued.delivery_id, json.dumps(payload, sort_keys=True)
    )
    return queued
