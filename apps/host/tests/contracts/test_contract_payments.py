"""apply_payment: charges through the configured gateway, idempotent, never overpays."""

from __future__ import annotations

from decimal import Decimal

import contract_fakes
import pytest
from billing_app.api import (
    ChargeRequest,
    GatewayDeclined,
    GatewayError,
    IdempotencyConflict,
    InvalidAmount,
    InvalidInvoiceTransition,
    InvoiceRef,
    InvoiceService,
    Overpayment,
    PaymentRef,
    apply_payment,
)

pytestmark = pytest.mark.django_db


def test_contract_partial_then_full_payment(open_invoice: InvoiceRef) -> None:
    # when part of the invoice is paid
    first = apply_payment(open_invoice.id, Decimal("10.00"), "contract-key-1")

    # then a payment is recorded with the gateway's reference and the invoice stays open
    assert first == PaymentRef(
        id=first.id,
        invoice_id=open_invoice.id,
        amount=Decimal("10.00"),
        currency="EUR",
        gateway_reference="contract-contract-key-1",
        idempotency_key="contract-key-1",
    )
    partly = InvoiceService().get(open_invoice.id)
    assert (partly.status, partly.amount_paid, partly.amount_due) == (
        "open",
        Decimal("10.00"),
        Decimal("15.25"),
    )
    assert contract_fakes.charges == [
        ChargeRequest(
            account_id=open_invoice.account_id,
            amount=Decimal("10.00"),
            currency="EUR",
            idempotency_key="contract-key-1",
        )
    ]

    # when the rest is paid, then the invoice is paid
    apply_payment(open_invoice.id, Decimal("15.25"), "contract-key-2")
    paid = InvoiceService().get(open_invoice.id)
    assert (paid.status, paid.amount_paid, paid.amount_due) == (
        "paid",
        Decimal("25.25"),
        Decimal("0.00"),
    )


def test_contract_same_key_twice_is_one_payment(open_invoice: InvoiceRef) -> None:
    first = apply_payment(open_invoice.id, Decimal("5.00"), "contract-retry")
    second = apply_payment(open_invoice.id, Decimal("5.00"), "contract-retry")

    assert second == first
    assert len(contract_fakes.charges) == 1
    assert InvoiceService().get(open_invoice.id).amount_paid == Decimal("5.00")


def test_contract_replay_after_the_invoice_is_paid_returns_the_payment(
    open_invoice: InvoiceRef,
) -> None:
    # given an invoice paid in full
    first = apply_payment(open_invoice.id, Decimal("25.25"), "contract-full")

    # when the client retries (e.g. it never saw the answer), then it gets the same payment
    assert apply_payment(open_invoice.id, Decimal("25.25"), "contract-full") == first
    assert len(contract_fakes.charges) == 1
    assert InvoiceService().get(open_invoice.id).status == "paid"


def test_contract_same_key_other_amount_is_a_conflict(open_invoice: InvoiceRef) -> None:
    apply_payment(open_invoice.id, Decimal("5.00"), "contract-conflict")

    with pytest.raises(IdempotencyConflict):
        apply_payment(open_invoice.id, Decimal("6.00"), "contract-conflict")
    assert InvoiceService().get(open_invoice.id).amount_paid == Decimal("5.00")


def test_contract_overpayment_is_refused_and_changes_nothing(open_invoice: InvoiceRef) -> None:
    with pytest.raises(Overpayment):
        apply_payment(open_invoice.id, Decimal("25.26"), "contract-over")

    assert InvoiceService().get(open_invoice.id) == open_invoice
    assert contract_fakes.charges == []


@pytest.mark.parametrize("amount", ["0.00", "-1.00", "1.001"])
def test_contract_invalid_amounts_are_refused(open_invoice: InvoiceRef, amount: str) -> None:
    with pytest.raises(InvalidAmount):
        apply_payment(open_invoice.id, Decimal(amount), f"contract-bad-{amount}")

    assert InvoiceService().get(open_invoice.id) == open_invoice


def test_contract_only_open_invoices_take_payments(draft_invoice: InvoiceRef) -> None:
    with pytest.raises(InvalidInvoiceTransition):
        apply_payment(draft_invoice.id, Decimal("1.00"), "contract-draft")

    assert InvoiceService().get(draft_invoice.id) == draft_invoice


@pytest.mark.parametrize(
    ("amount", "error", "retryable"),
    [
        (contract_fakes.DECLINED_AMOUNT, GatewayDeclined, False),
        (contract_fakes.OUTAGE_AMOUNT, GatewayError, True),
    ],
)
def test_contract_gateway_failures_surface_and_change_nothing(
    open_invoice: InvoiceRef, amount: str, error: type[Exception], retryable: bool
) -> None:
    with pytest.raises(error) as excinfo:
        apply_payment(open_invoice.id, Decimal(amount), "contract-gateway-failure")

    assert excinfo.value.retryable is retryable
    assert InvoiceService().get(open_invoice.id) == open_invoice
