"""Taking a payment on an open invoice: idempotent, serialized per invoice, never overpaying."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction

from billing_app import _gateway
from billing_app._errors import (
    IdempotencyConflict,
    InvalidIdempotencyKey,
    InvoiceNotFound,
    Overpayment,
)
from billing_app._money import validate_positive_amount
from billing_app._refs import ChargeRequest, PaymentOutcome, PaymentRef, payment_ref
from billing_app._transitions import ensure_payable, ensure_transition
from billing_app._webhooks import emit_after_commit
from billing_app.models import Invoice, InvoiceStatus, Payment

_KEY_MAX = Payment._meta.get_field("idempotency_key").max_length


def _clean_key(idempotency_key: object) -> str:
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        raise InvalidIdempotencyKey("idempotency_key must be a non-empty string")
    if len(idempotency_key) > _KEY_MAX:
        raise InvalidIdempotencyKey(f"idempotency_key is longer than {_KEY_MAX} characters")
    if "\x00" in idempotency_key:
        raise InvalidIdempotencyKey("idempotency_key contains a NUL character")
    # used exactly as given: a key is an opaque token, " k" and "k" are different keys
    return idempotency_key


def apply_payment(*, invoice_id: int, amount: Decimal, idempotency_key: str) -> PaymentOutcome:
    amount = validate_positive_amount(amount)
    key = _clean_key(idempotency_key)

    with transaction.atomic():
        try:
            # the row lock serializes payments of one invoice: the second payer reads the
            # amount_paid the first one committed, so two payments can never overpay
            invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        except (Invoice.DoesNotExist, ValueError, TypeError):
            raise InvoiceNotFound(f"invoice {invoice_id!r} does not exist") from None

        existing = Payment.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return PaymentOutcome(_replay(existing, invoice_id=invoice.pk, amount=amount), True)

        ensure_payable(invoice_id=invoice.pk, current=invoice.status)
        if amount > invoice.amount_due:
            raise Overpayment(
                f"invoice {invoice.number}: {amount} exceeds the amount due {invoice.amount_due}"
            )

        # inside the transaction on purpose: the lock is held until the payment row exists,
        # and if the gateway fails nothing is written
        result = _gateway.charge(
            ChargeRequest(
                account_id=invoice.account_id,
                amount=amount,
                currency=invoice.currency,
                idempotency_key=key,
            )
        )
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    invoice=invoice,
                    amount=amount,
                    currency=invoice.currency,
                    gateway_reference=result.reference,
                    idempotency_key=key,
                )
        except IntegrityError:
            # the same key committed meanwhile on ANOTHER invoice (this one is locked)
            raise IdempotencyConflict(f"idempotency key {key!r} is already in use") from None

        invoice.amount_paid += amount
        if invoice.amount_due == 0:
            ensure_transition(
                invoice_id=invoice.pk,
                current=invoice.status,
                target=InvoiceStatus.PAID,
                amount_paid=invoice.amount_paid,
            )
            invoice.status = InvoiceStatus.PAID
        invoice.save(update_fields=["amount_paid", "status"])
        emit_after_commit(invoice)
    return PaymentOutcome(payment_ref(payment), False)


def _replay(existing: Payment, *, invoice_id: int, amount: Decimal) -> PaymentRef:
    """The key was used before: the same request gets the same answer, another one a conflict."""
    if existing.invoice_id != invoice_id or existing.amount != amount:
        raise IdempotencyConflict(
            f"idempotency key {existing.idempotency_key!r} was used for invoice "
            f"{existing.invoice_id} and amount {existing.amount}"
        )
    return payment_ref(existing)
