"""Public API of billing_app: the only module other code may import.

Everything here takes and returns plain values (ids, Decimals, frozen dataclasses); model
instances and QuerySets never cross this surface. Error ``code`` values are stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from billing_app import _invoices, _payments, _selectors
from billing_app._errors import (
    AccountClosed,
    AccountNotBillable,
    BillingError,
    GatewayDeclined,
    GatewayError,
    IdempotencyConflict,
    InvalidAmount,
    InvalidCurrency,
    InvalidIdempotencyKey,
    InvalidInvoiceData,
    InvalidInvoiceTransition,
    InvoiceNotFound,
    Overpayment,
    UnknownAccount,
)
from billing_app._refs import (
    ChargeRequest,
    ChargeResult,
    InvoiceLineData,
    InvoiceRef,
    PaymentGateway,
    PaymentOutcome,
    PaymentRef,
)
from billing_app._webhooks import WEBHOOK_PAYLOAD_VERSION

__all__ = [
    "WEBHOOK_PAYLOAD_VERSION",
    "AccountClosed",
    "AccountNotBillable",
    "BillingError",
    "ChargeRequest",
    "ChargeResult",
    "GatewayDeclined",
    "GatewayError",
    "IdempotencyConflict",
    "InvalidAmount",
    "InvalidCurrency",
    "InvalidIdempotencyKey",
    "InvalidInvoiceData",
    "InvalidInvoiceTransition",
    "InvoiceLineData",
    "InvoiceNotFound",
    "InvoiceRef",
    "InvoiceService",
    "Overpayment",
    "PaymentGateway",
    "PaymentOutcome",
    "PaymentRef",
    "UnknownAccount",
    "apply_payment",
    "charge_invoice",
    "webhook_payload",
]


class InvoiceService:
    """Invoice lifecycle: draft -> open -> paid, and draft|open (nothing paid) -> void."""

    def create(
        self, *, account_id: int, currency: str, lines: Sequence[InvoiceLineData]
    ) -> InvoiceRef:
        """A draft invoice numbered "INV-000123". Raises InvalidCurrency, InvalidAmount,
        InvalidInvoiceData, UnknownAccount (no such account), AccountClosed."""
        return _invoices.create_invoice(account_id=account_id, currency=currency, lines=lines)

    def issue(self, invoice_id: int) -> InvoiceRef:
        """draft -> open. Raises InvoiceNotFound, InvalidInvoiceTransition (not a draft, no
        lines, total 0), AccountNotBillable."""
        return _invoices.issue_invoice(invoice_id=invoice_id)

    def void(self, invoice_id: int) -> InvoiceRef:
        """draft|open -> void while nothing is paid. Raises InvoiceNotFound,
        InvalidInvoiceTransition."""
        return _invoices.void_invoice(invoice_id=invoice_id)

    def get(self, invoice_id: int) -> InvoiceRef:
        """Raises InvoiceNotFound."""
        return _selectors.get_invoice(invoice_id=invoice_id)


def apply_payment(invoice_id: int, amount: Decimal, idempotency_key: str) -> PaymentRef:
    """Charge ``amount`` through the configured gateway and record it on an open invoice.

    The same key with the same invoice and amount returns the first PaymentRef (one Payment);
    with another invoice or amount it raises IdempotencyConflict. Also raises InvoiceNotFound,
    InvalidAmount, InvalidIdempotencyKey, InvalidInvoiceTransition (not open), Overpayment,
    GatewayDeclined, GatewayError (retryable). On any error nothing is written.
    """
    return charge_invoice(
        invoice_id=invoice_id, amount=amount, idempotency_key=idempotency_key
    ).payment


def charge_invoice(*, invoice_id: int, amount: Decimal, idempotency_key: str) -> PaymentOutcome:
    """``apply_payment``, saying whether it was a replay: ``PaymentOutcome(payment, replayed)``.

    ``replayed`` is True when the key had already paid this invoice this amount: the first
    payment comes back, and nothing was charged or written. Raises what apply_payment raises.
    """
    return _payments.apply_payment(
        invoice_id=invoice_id, amount=amount, idempotency_key=idempotency_key
    )


def webhook_payload(invoice_id: int) -> dict[str, Any]:
    """The versioned webhook payload of an invoice's current state. Raises InvoiceNotFound."""
    return _selectors.webhook_payload(invoice_id=invoice_id)
