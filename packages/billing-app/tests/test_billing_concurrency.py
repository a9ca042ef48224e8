"""Payers racing for the same invoice: the row lock lets exactly one through.

Real threads, real transactions (``transaction=True``): on PostgreSQL the second payer waits on
SELECT ... FOR UPDATE; on SQLite on BEGIN IMMEDIATE (the test settings' transaction_mode).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import billing_fakes
import pytest
from billing_app.api import IdempotencyConflict, InvalidInvoiceTransition, PaymentRef, apply_payment
from billing_app.models import Invoice, Payment
from billing_factories import open_invoice
from django.db import connections
from django.test import override_settings

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # the gateway holds each charge a moment, so the second payer arrives while the first is
    # inside its transaction
    pytest.mark.usefixtures("slow_gateway"),
]


@pytest.fixture
def slow_gateway():
    with override_settings(BILLING_PAYMENT_GATEWAY="billing_fakes.SlowRecordingGateway"):
        yield


def _race(*calls: Callable[[], PaymentRef]) -> list[PaymentRef | Exception]:
    """Run the calls in threads released together; each result or exception, in call order."""
    start = threading.Barrier(len(calls))
    outcomes: list[PaymentRef | Exception] = [RuntimeError("did not finish")] * len(calls)

    def run(index: int) -> None:
        try:
            start.wait()
            outcomes[index] = calls[index]()
        except Exception as exc:  # any failure must reach the test's assertions
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_billing_concurrent_full_payments_never_overpay() -> None:
    # given an open invoice of 25.25
    invoice = open_invoice()

    # when two payers pay the full amount at the same moment, with different keys
    outcomes = _race(
        lambda: apply_payment(invoice.id, Decimal("25.25"), "race-a"),
        lambda: apply_payment(invoice.id, Decimal("25.25"), "race-b"),
    )

    # then exactly one payment went through, and the other found the invoice already paid
    payments = [o for o in outcomes if isinstance(o, PaymentRef)]
    refused = [o for o in outcomes if not isinstance(o, PaymentRef)]
    assert len(payments) == 1, outcomes
    assert [type(e) for e in refused] == [InvalidInvoiceTransition], outcomes
    row = Invoice.objects.get(pk=invoice.id)
    assert (row.status, row.amount_paid) == ("paid", Decimal("25.25"))
    assert list(Payment.objects.values_list("idempotency_key", "amount")) == [
        (payments[0].idempotency_key, Decimal("25.25"))
    ]
    assert len(billing_fakes.charges) == 1


def test_billing_concurrent_retries_with_one_key_are_one_payment() -> None:
    # given an open invoice
    invoice = open_invoice()

    # when a client's request and its retry arrive at the same moment
    outcomes = _race(
        lambda: apply_payment(invoice.id, Decimal("10.00"), "retry-key"),
        lambda: apply_payment(invoice.id, Decimal("10.00"), "retry-key"),
    )

    # then both get the same payment, which exists and was charged once
    assert all(isinstance(o, PaymentRef) for o in outcomes), outcomes
    assert outcomes[0] == outcomes[1]
    assert Payment.objects.count() == 1
    assert len(billing_fakes.charges) == 1
    assert Invoice.objects.get(pk=invoice.id).amount_paid == Decimal("10.00")


def test_billing_concurrent_reuse_of_a_key_on_two_invoices_is_a_conflict() -> None:
    # given two open invoices (different rows, so different locks)
    first, second = open_invoice(), open_invoice()

    # when the same key is used for both at the same moment
    outcomes = _race(
        lambda: apply_payment(first.id, Decimal("10.00"), "shared-key"),
        lambda: apply_payment(second.id, Decimal("10.00"), "shared-key"),
    )

    # then one payment is recorded and the other is a conflict that left its invoice alone
    payments = [o for o in outcomes if isinstance(o, PaymentRef)]
    refused = [o for o in outcomes if not isinstance(o, PaymentRef)]
    assert len(payments) == 1, outcomes
    assert [type(e) for e in refused] == [IdempotencyConflict], outcomes
    assert Payment.objects.count() == 1
    assert sorted(Invoice.objects.values_list("amount_paid", flat=True)) == [
        Decimal("0.00"),
        Decimal("10.00"),
    ]
