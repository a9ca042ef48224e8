"""Outbound webhooks: a stable, versioned payload, handed to the sink after commit."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.module_loading import import_string

from billing_app.conf import conf
from billing_app.models import Invoice

# bump only with a new payload shape; consumers switch on it
WEBHOOK_PAYLOAD_VERSION = "1"

logger = logging.getLogger("billing_app.webhooks")


def payload_of(invoice: Invoice) -> dict[str, Any]:
    return {
        "version": WEBHOOK_PAYLOAD_VERSION,
        "type": "invoice.updated",
        "invoice": {
            "id": invoice.pk,
            "number": invoice.number,
            "account_id": invoice.account_id,
            "currency": invoice.currency,
            "status": str(invoice.status),
            "total": f"{invoice.total:.2f}",
            "amount_paid": f"{invoice.amount_paid:.2f}",
            "amount_due": f"{invoice.amount_due:.2f}",
        },
    }


def log_webhook(payload: dict[str, Any]) -> None:
    """The default sink: sends nothing, logs what would have been sent."""
    logger.info("webhook %s for invoice %s", payload["type"], payload["invoice"]["id"])


def emit_after_commit(invoice: Invoice) -> None:
    """Send the invoice's current state once the surrounding transaction commits.

    The payload is taken now, so it is the state this transaction wrote. ``robust``: a failing
    sink is logged by Django, never raised to the caller whose write has already committed.
    """
    payload = payload_of(invoice)
    transaction.on_commit(lambda: _send(payload), robust=True)


def _send(payload: dict[str, Any]) -> None:
    path = conf.WEBHOOK_SINK
    if not isinstance(path, str):
        # billing_app.E003 reports it at start-up; import_string would fail on a non-str
        raise ImproperlyConfigured(f"BILLING_WEBHOOK_SINK={path!r} is not a dotted path")
    sink = import_string(path)
    sink(payload)
