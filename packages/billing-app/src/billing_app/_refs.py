"""Values and the gateway interface handed across the public surface instead of models."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from billing_app.models import Invoice, Payment


@dataclass(frozen=True)
class ChargeRequest:
    account_id: int
    amount: Decimal
    currency: str
    idempotency_key: str


@dataclass(frozen=True)
class ChargeResult:
    reference: str


@runtime_checkable
class PaymentGateway(Protocol):
    """What ``BILLING_PAYMENT_GATEWAY`` names: a class, instantiated with no arguments.

    ``charge`` returns a ChargeResult, or raises GatewayDeclined (refused, final) or
    GatewayError (failed, retryable). It gets the payment's idempotency key and should pass it
    to the provider, so a retried charge is not taken twice.
    """

    def charge(self, request: ChargeRequest) -> ChargeResult: ...


@dataclass(frozen=True)
class InvoiceLineData:
    description: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class InvoiceRef:
    id: int
    number: str
    account_id: int
    currency: str
    status: str
    total: Decimal
    amount_paid: Decimal
    amount_due: Decimal


@dataclass(frozen=True)
class PaymentRef:
    id: int
    invoice_id: int
    amount: Decimal
    currency: str
    gateway_reference: str
    idempotency_key: str


@dataclass(frozen=True)
class PaymentOutcome:
    """A payment and whether this call replayed it: ``replayed`` is True when the idempotency
    key had already paid, so nothing was charged or written this time."""

    payment: PaymentRef
    replayed: bool


def invoice_ref(invoice: Invoice) -> InvoiceRef:
    return InvoiceRef(
        id=invoice.pk,
        number=invoice.number,
        account_id=invoice.account_id,
        currency=invoice.currency,
        status=str(invoice.status),
        total=invoice.total,
        amount_paid=invoice.amount_paid,
        amount_due=invoice.amount_due,
    )


def payment_ref(payment: Payment) -> PaymentRef:
    return PaymentRef(
        id=payment.pk,
        invoice_id=payment.invoice_id,
        amount=payment.amount,
        currency=payment.currency,
        gateway_reference=payment.gateway_reference,
        idempotency_key=payment.idempotency_key,
    )
