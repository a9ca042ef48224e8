"""Reads of invoices."""

from __future__ import annotations

from typing import Any

from billing_app._errors import InvoiceNotFound
from billing_app._refs import InvoiceRef, invoice_ref
from billing_app._webhooks import payload_of
from billing_app.models import Invoice


def _invoice(*, invoice_id: int) -> Invoice:
    try:
        return Invoice.objects.get(pk=invoice_id)
    except (Invoice.DoesNotExist, ValueError, TypeError):
        raise InvoiceNotFound(f"invoice {invoice_id!r} does not exist") from None


def get_invoice(*, invoice_id: int) -> InvoiceRef:
    return invoice_ref(_invoice(invoice_id=invoice_id))


def webhook_payload(*, invoice_id: int) -> dict[str, Any]:
    return payload_of(_invoice(invoice_id=invoice_id))
