"""factory-boy factories of billing rows, for arranging state directly (bypassing services).

Use the services (InvoiceService, apply_payment) to test behaviour; use these to set up
states that would take many steps, e.g. a partly paid invoice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import billing_fakes
import factory
from accounts_app.api import open_account
from billing_app.api import InvoiceLineData, InvoiceRef, InvoiceService
from billing_app.models import Invoice, InvoiceLine, InvoiceStatus, Payment


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    number = factory.Sequence(lambda n: f"INV-F{n:06d}")
    account_id = 1
    currency = "EUR"
    status = InvoiceStatus.DRAFT
    total = Decimal("0.00")
    amount_paid = Decimal("0.00")


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    description = factory.Sequence(lambda n: f"Item {n}")
    quantity = 1
    unit_price = Decimal("10.00")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    invoice = factory.SubFactory(InvoiceFactory)
    amount = Decimal("10.00")
    currency = factory.SelfAttribute("invoice.currency")
    gateway_reference = factory.Sequence(lambda n: f"ref-f{n}")
    idempotency_key = factory.Sequence(lambda n: f"key-f{n}")


# --- builders through the public services (the realistic way to reach a state) -------------


def billable_account_id() -> int:
    return open_account(name="Billable Ltd", email="billing@billable.example").id


def draft_invoice(
    *,
    account_id: int | None = None,
    currency: str = "EUR",
    lines: tuple[tuple[int, str], ...] = ((2, "10.00"), (1, "5.25")),
) -> InvoiceRef:
    """A draft of EUR 2 x 10.00 + 1 x 5.25 = 25.25 unless told otherwise."""
    return InvoiceService().create(
        account_id=billable_account_id() if account_id is None else account_id,
        currency=currency,
        lines=[
            InvoiceLineData(description=f"Line {n}", quantity=qty, unit_price=Decimal(price))
            for n, (qty, price) in enumerate(lines, start=1)
        ],
    )


def open_invoice(**kwargs: Any) -> InvoiceRef:
    return InvoiceService().issue(draft_invoice(**kwargs).id)


def db_state() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int, int]:
    """Invoices, lines count, payments and fake-gateway charges: the "nothing changed" snapshot."""
    return (
        list(Invoice.objects.values_list("pk", "number", "status", "total", "amount_paid")),
        list(Payment.objects.values_list("pk", "invoice_id", "amount", "idempotency_key")),
        InvoiceLine.objects.count(),
        len(billing_fakes.charges),
    )
