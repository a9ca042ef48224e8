"""apply_payment: money in, idempotency, overpayment, gateway failures."""

from __future__ import annotations

from decimal import Decimal

import billing_fakes
import pytest
from billing_app.api import (
    BillingError,
    ChargeRequest,
    GatewayDeclined,
    GatewayError,
    IdempotencyConflict,
    InvalidAmount,
    InvalidIdempotencyKey,
    InvoiceNotFound,
    InvoiceService,
    Overpayment,
    PaymentOutcome,
    PaymentRef,
    apply_payment,
    charge_invoice,
)
from billing_app.models import Invoice, Payment
from billing_factories import db_state, open_invoice
from django.test import override_settings

pytestmark = pytest.mark.django_db

service = InvoiceService()


def test_billing_partial_then_full_payment_marks_the_invoice_paid() -> None:
    # given an open invoice of 25.25 on an account
    invoice = open_invoice(currency="USD")

    # when it is paid in two parts
    first = apply_payment(invoice.id, Decimal("20.00"), "key-1")
    halfway = service.get(invoice.id)
    second = apply_payment(invoice.id, Decimal("5.25"), "key-2")

    # then
    assert first == PaymentRef(
        id=first.id,
        invoice_id=invoice.id,
        amount=Decimal("20.00"),
        currency="USD",
        gateway_reference="ref-1",
        idempotency_key="key-1",
    )
    assert (second.amount, second.gateway_reference) == (Decimal("5.25"), "ref-2")
    assert (halfway.status, halfway.amount_paid, halfway.amount_due) == (
        "open",
        Decimal("20.00"),
        Decimal("5.25"),
    )
    after = service.get(invoice.id)
    assert (after.status, after.amount_paid, after.amount_due) == (
        "paid",
        Decimal("25.25"),
        Decimal("0.00"),
    )
    # and the gateway was asked exactly for these charges
    assert billing_fakes.charges == [
        ChargeRequest(
            account_id=invoice.account_id,
            amount=Decimal("20.00"),
            currency="USD",
            idempotency_key="key-1",
        ),
        ChargeRequest(
            account_id=invoice.account_id,
            amount=Decimal("5.25"),
            currency="USD",
            idempotency_key="key-2",
        ),
    ]
    assert list(Payment.objects.values_list("amount", "currency", "gateway_reference")) == [
        (Decimal("20.00"), "USD", "ref-1"),
        (Decimal("5.25"), "USD", "ref-2"),
    ]


def test_billing_int_and_trailing_zero_amounts_are_money() -> None:
    invoice = open_invoice(lines=((1, "30.00"),))

    apply_payment(invoice.id, 10, "key-int")  # type: ignore[arg-type]
    apply_payment(invoice.id, Decimal("20.000"), "key-zeros")

    assert service.get(invoice.id).status == "paid"
    assert list(Payment.objects.values_list("amount", flat=True)) == [
        Decimal("10.00"),
        Decimal("20.00"),
    ]


# --- idempotency --------------------------------------------------------------------------


def test_billing_same_key_twice_is_one_payment() -> None:
    # given a first payment
    invoice = open_invoice()
    first = apply_payment(invoice.id, Decimal("10.00"), "key-once")
    webhooks_after_first = list(billing_fakes.webhooks)

    # when the same request is repeated (also with an equal amount written differently)
    again = apply_payment(invoice.id, Decimal("10.00"), "key-once")
    again_scaled = apply_payment(invoice.id, Decimal("10.0"), "key-once")

    # then it gets the same answer and nothing happens a second time
    assert again == first
    assert again_scaled == first
    assert Payment.objects.count() == 1
    assert len(billing_fakes.charges) == 1
    assert service.get(invoice.id).amount_paid == Decimal("10.00")
    assert billing_fakes.webhooks == webhooks_after_first


def test_billing_charge_invoice_tells_a_replay_from_a_new_payment() -> None:
    # given an open invoice
    invoice = open_invoice()

    # when the same payment is charged twice with one key
    first = charge_invoice(invoice_id=invoice.id, amount=Decimal("10.00"), idempotency_key="k")
    again = charge_invoice(invoice_id=invoice.id, amount=Decimal("10.00"), idempotency_key="k")

    # then the second is the first payment, marked as replayed, and charged nothing
    assert first == PaymentOutcome(payment=first.payment, replayed=False)
    assert again == PaymentOutcome(payment=first.payment, replayed=True)
    assert apply_payment(invoice.id, Decimal("10.00"), "k") == first.payment
    assert len(billing_fakes.charges) == 1


def test_billing_replay_after_the_invoice_is_paid_returns_the_payment() -> None:
    invoice = open_invoice()
    first = apply_payment(invoice.id, invoice.total, "key-full")

    assert apply_payment(invoice.id, invoice.total, "key-full") == first
    assert Payment.objects.count() == 1


def test_billing_same_key_with_another_amount_is_a_conflict() -> None:
    # given
    invoice = open_invoice()
    apply_payment(invoice.id, Decimal("10.00"), "key-x")
    before = db_state()

    # when / then
    with pytest.raises(IdempotencyConflict) as caught:
        apply_payment(invoice.id, Decimal("11.00"), "key-x")

    assert caught.value.code == "billing.idempotency_conflict"
    assert db_state() == before


def test_billing_same_key_on_another_invoice_is_a_conflict() -> None:
    # given
    first, other = open_invoice(), open_invoice()
    apply_payment(first.id, Decimal("10.00"), "key-y")
    before = db_state()

    # when / then
    with pytest.raises(IdempotencyConflict):
        apply_payment(other.id, Decimal("10.00"), "key-y")

    assert db_state() == before


@pytest.mark.parametrize("key", ["", "   ", "k" * 129, None, 42, "k\x00"])
def test_billing_bad_idempotency_key_is_refused(key: object) -> None:
    invoice = open_invoice()
    before = db_state()

    with pytest.raises(InvalidIdempotencyKey) as caught:
        apply_payment(invoice.id, Decimal("1.00"), key)  # type: ignore[arg-type]

    assert caught.value.code == "billing.invalid_idempotency_key"
    assert db_state() == before


def test_billing_longest_idempotency_key_is_accepted() -> None:
    invoice = open_invoice()

    assert apply_payment(invoice.id, Decimal("1.00"), "k" * 128).idempotency_key == "k" * 128


# --- refusals -----------------------------------------------------------------------------


def test_billing_overpayment_is_refused_and_changes_nothing() -> None:
    # given an open invoice of 25.25 with 20.00 paid
    invoice = open_invoice()
    apply_payment(invoice.id, Decimal("20.00"), "key-part")
    before = db_state()
    webhooks_before = list(billing_fakes.webhooks)

    # when 5.26 is paid
    with pytest.raises(Overpayment) as caught:
        apply_payment(invoice.id, Decimal("5.26"), "key-over")

    # then it is refused before the gateway, and nothing changed
    assert caught.value.code == "billing.overpayment"
    assert db_state() == before
    assert billing_fakes.webhooks == webhooks_before
    after = service.get(invoice.id)
    assert (after.status, after.amount_due) == ("open", Decimal("5.25"))


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("0"),
        Decimal("-1.00"),
        Decimal("0.001"),
        Decimal("1.005"),
        Decimal("NaN"),
        Decimal("-Infinity"),
        Decimal("1E+26"),  # quantizing it to cents overflows the decimal context
        Decimal("1E+1000000"),
        Decimal("1E-30"),
        1.5,
        "1.50",
        True,
        None,
    ],
)
def test_billing_bad_amount_is_refused(amount: object) -> None:
    invoice = open_invoice()
    before = db_state()

    with pytest.raises(InvalidAmount) as caught:
        apply_payment(invoice.id, amount, "key-bad")  # type: ignore[arg-type]

    assert caught.value.code == "billing.invalid_amount"
    assert db_state() == before


def test_billing_payment_of_a_missing_invoice() -> None:
    with pytest.raises(InvoiceNotFound):
        apply_payment(424242, Decimal("1.00"), "key-missing")

    assert (Payment.objects.count(), billing_fakes.charges) == (0, [])


# --- gateway failures ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "code", "retryable"),
    [
        (GatewayDeclined, "billing.gateway_declined", False),
        (GatewayError, "billing.gateway_error", True),
        # anything else a gateway raises is translated into a retryable GatewayError
        (ConnectionResetError, "billing.gateway_error", True),
        (KeyError, "billing.gateway_error", True),
    ],
)
def test_billing_gateway_failure_writes_nothing(
    failure: type[Exception], code: str, retryable: bool
) -> None:
    # given a gateway that fails for 7.77
    invoice = open_invoice()
    billing_fakes.failures[Decimal("7.77")] = failure
    before = db_state()
    webhooks_before = list(billing_fakes.webhooks)

    # when
    with pytest.raises(BillingError) as caught:
        apply_payment(invoice.id, Decimal("7.77"), "key-fail")

    # then
    assert (caught.value.code, caught.value.retryable) == (code, retryable)
    assert db_state() == before
    assert billing_fakes.webhooks == webhooks_before
    # and the same key may be retried once the gateway recovers
    billing_fakes.failures.clear()
    assert apply_payment(invoice.id, Decimal("7.77"), "key-fail").amount == Decimal("7.77")


@override_settings(BILLING_PAYMENT_GATEWAY="billing_fakes.BrokenResultGateway")
def test_billing_gateway_returning_garbage_is_a_gateway_error() -> None:
    invoice = open_invoice()

    with pytest.raises(GatewayError):
        apply_payment(invoice.id, Decimal("1.00"), "key-garbage")

    assert Payment.objects.count() == 0
    assert Invoice.objects.get(pk=invoice.id).amount_paid == Decimal("0.00")
