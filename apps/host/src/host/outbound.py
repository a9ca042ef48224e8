"""Delivery of queued outbound webhooks (``host.models.OutboundWebhook``).

Each attempt POSTs the payload as JSON to the receiver's URL with the headers
``X-Webhook-Id`` (the same on every attempt: receivers drop repeats) and ``X-Signature``
(``host.signatures``, the scheme the host itself verifies inbound). A 2xx answer delivers
it; anything else (another status, a refused connection, no complete answer within
``timeout``, which bounds the whole attempt: connect, send and the entire answer) is retried after
``_BACKOFF_BASE * 2**(attempts - 1)`` seconds, at most ``_BACKOFF_CAP``, until
``max_attempts`` have failed, when the webhook is marked failed with its last error.

Each webhook is sent inside its own transaction holding its row lock (``skip_locked`` on
PostgreSQL), so two workers never send the same webhook at once; the deadline of
``host.outgoing`` bounds how long that lock is held by a receiver that trickles or hangs.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from host import outgoing, signatures
from host.conf import Receiver
from host.models import OutboundWebhook

_BACKOFF_BASE = 30  # seconds before the first retry
_BACKOFF_CAP = 3600
_ERROR_KEPT = 500  # characters of the last error kept on the row


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def deliver_due(receiver: Receiver, *, now: dt.datetime | None = None) -> DeliveryReport:
    """One attempt for every pending webhook due at ``now``, oldest first."""
    now = now or timezone.now()
    due = OutboundWebhook.objects.filter(
        status=OutboundWebhook.Status.PENDING, next_attempt_at__lte=now
    )
    counts = {status: 0 for status in OutboundWebhook.Status}  # by the status each ends in
    for webhook_id in list(due.order_by("id").values_list("id", flat=True)):
        with transaction.atomic():
            webhook = (
                OutboundWebhook.objects.select_for_update(skip_locked=True)
                .filter(pk=webhook_id, status=OutboundWebhook.Status.PENDING)
                .first()
            )
            if webhook is None:
                continue  # another worker holds it, or delivered it meanwhile
            error = _post(receiver, webhook, now)
            _record(webhook, error, now, receiver.max_attempts)
            counts[webhook.status] += 1
    return DeliveryReport(
        delivered=counts[OutboundWebhook.Status.DELIVERED],
        retrying=counts[OutboundWebhook.Status.PENDING],
        failed=counts[OutboundWebhook.Status.FAILED],
    )


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    return dt.timedelta(seconds=min(_BACKOFF_BASE * 2 ** (attempts - 1), _BACKOFF_CAP))


def _post(receiver: Receiver, webhook: OutboundWebhook, now: dt.datetime) -> str:
    """Send one attempt; the error, or "" when the receiver answered 2xx."""
    body = json.dumps(webhook.payload, sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Id": str(webhook.delivery_id),
        "X-Signature": signatures.sign(receiver.secret, int(now.timestamp()), body),
    }
    try:
        status, _ = outgoing.post(receiver.url, body, headers, timeout=receiver.timeout)
    except outgoing.Unreachable as exc:
        return f"{receiver.url} unreachable: {exc}"
    return "" if 200 <= status < 300 else f"HTTP {status}"


def _record(webhook: OutboundWebhook, error: str, now: dt.datetime, max_attempts: int) -> None:
    webhook.attempts += 1
    webhook.last_error = error[:_ERROR_KEPT]
    if not error:
        webhook.status = OutboundWebhook.Status.DELIVERED
        webhook.delivered_at = now
    elif webhook.attempts >= max_attempts:
        webhook.status = OutboundWebhook.Status.FAILED
    else:
        webhook.next_attempt_at = now + backoff(webhook.attempts)
    webhook.save(
        update_fields=["attempts", "last_error", "status", "delivered_at", "next_attempt_at"]
    )
