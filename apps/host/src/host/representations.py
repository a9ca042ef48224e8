"""JSON shapes of the API's resources, built from the packages' public dataclasses.

Money is a string with two decimals ("12.50"); an invoice has the same shape as the
``invoice`` object of billing's webhook payload, so API clients and webhook consumers
read one format.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accounts_app.api import AccountRef
from billing_app.api import InvoiceRef, PaymentRef

_CENT = Decimal("0.01")


def money(amount: Decimal) -> str:
    return str(amount.quantize(_CENT))


def account_json(account: AccountRef) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name,
        "email": account.email,
        "status": account.status,
        "created_at": account.created_at.isoformat(),
    }


def invoice_json(invoice: InvoiceRef) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "number": invoice.number,
        "account_id": invoice.account_id,
        "currency": invoice.currency,
        "status": invoice.status,
        "total": money(invoice.total),
        "amount_paid": money(invoice.amount_paid),
        "amount_due": money(invoice.amount_due),
    }


def payment_json(payment: PaymentRef) -> dict[str, Any]:
    return {
        "id": payment.id,
        "invoice_id": payment.invoice_id,
        "amount": money(payment.amount),
        "currency": payment.currency,
        "gateway_reference": payment.gateway_reference,
        "idempotency_key": payment.idempotency_key,
    }
