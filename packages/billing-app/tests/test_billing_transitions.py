"""Every invoice status change, allowed and refused, through billing_app.api."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import billing_fakes
import pytest
from billing_app._transitions import ALLOWED
from billing_app.api import InvalidInvoiceTransition, InvoiceService, apply_payment
from billing_app.models import Invoice
from billing_factories import (
    InvoiceFactory,
    InvoiceLineFactory,
    PaymentFactory,
    billable_account_id,
    db_state,
)

pytestmark = pytest.mark.django_db

STATUSES = ["draft", "open", "paid", "void"]
ALLOWED_PAIRS = {("draft", "open"), ("draft", "void"), ("open", "paid"), ("open", "void")}
TOTAL = Decimal("30.00")


def _change_to(target: str) -> Callable[[Invoice], object]:
    """The api call that moves an invoice to ``target``."""
    service = InvoiceService()
    return {
        "open": lambda invoice: service.issue(invoice.pk),
        "void": lambda invoice: service.void(invoice.pk),
        "paid": lambda invoice: apply_payment(invoice.pk, invoice.total, f"pay-{invoice.pk}"),
    }[target]


def _invoice_in(status: str) -> Invoice:
    """An issuable invoice of 3 x 10.00 on a billable account, arranged directly in ``status``."""
    invoice = InvoiceFactory(
        account_id=billable_account_id(),
        status=status,
        total=TOTAL,
        amount_paid=TOTAL if status == "paid" else Decimal("0.00"),
    )
    InvoiceLineFactory(invoice=invoice, quantity=3, unit_price=Decimal("10.00"))
    return invoice


def test_billing_transition_table_is_the_documented_lifecycle() -> None:
    assert {(src, dst) for src, targets in ALLOWED.items() for dst in targets} == ALLOWED_PAIRS


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED_PAIRS))
def test_billing_allowed_transition(current: str, target: str) -> None:
    # given
    invoice = _invoice_in(current)

    # when
    _change_to(target)(invoice)

    # then
    assert Invoice.objects.get(pk=invoice.pk).status == target


@pytest.mark.parametrize(
    ("current", "target"),
    sorted({(c, t) for c in STATUSES for t in ("open", "paid", "void")} - ALLOWED_PAIRS),
)
def test_billing_refused_transition_changes_nothing(current: str, target: str) -> None:
    # given
    invoice = _invoice_in(current)
    before = db_state()

    # when / then
    with pytest.raises(InvalidInvoiceTransition) as caught:
        _change_to(target)(invoice)

    assert caught.value.code == "billing.invalid_transition"
    assert db_state() == before
    assert billing_fakes.webhooks == []


def test_billing_an_open_invoice_with_payments_cannot_be_voided() -> None:
    # given an open invoice with 10.00 of 30.00 paid
    invoice = _invoice_in("open")
    PaymentFactory(invoice=invoice, amount=Decimal("10.00"))
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=Decimal("10.00"))
    before = db_state()

    # when / then
    with pytest.raises(InvalidInvoiceTransition, match="10.00 has been paid"):
        InvoiceService().void(invoice.pk)

    assert db_state() == before
