"""Outbound webhooks: a versioned payload, emitted only after the write commits."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import billing_fakes
import pytest
from billing_app.api import (
    WEBHOOK_PAYLOAD_VERSION,
    InvoiceNotFound,
    InvoiceService,
    Overpayment,
    apply_payment,
    webhook_payload,
)
from billing_factories import draft_invoice, open_invoice
from django.db import transaction
from django.test import override_settings

pytestmark = pytest.mark.django_db


def _expected(invoice_id: int, number: str, account_id: int, **invoice: str) -> dict:
    return {
        "version": "1",
        "type": "invoice.updated",
        "invoice": {
            "id": invoice_id,
            "number": number,
            "account_id": account_id,
            "currency": "EUR",
            **invoice,
        },
    }


def test_billing_webhook_payload_has_the_versioned_shape() -> None:
    # given an open invoice of 25.25 with 10.00 paid
    invoice = open_invoice()
    apply_payment(invoice.id, Decimal("10"), "key-1")

    # when
    payload = webhook_payload(invoice.id)

    # then
    assert WEBHOOK_PAYLOAD_VERSION == "1"
    assert payload == _expected(
        invoice.id,
        invoice.number,
        invoice.account_id,
        status="open",
        total="25.25",
        amount_paid="10.00",
        amount_due="15.25",
    )
    assert json.loads(json.dumps(payload)) == payload


def test_billing_webhook_payload_of_a_missing_invoice() -> None:
    with pytest.raises(InvoiceNotFound):
        webhook_payload(424242)


def test_billing_payment_emits_its_webhook_on_commit(django_capture_on_commit_callbacks) -> None:
    # given
    invoice = open_invoice()
    billing_fakes.webhooks.clear()

    # when a payment is applied, then nothing is sent before the commit
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        apply_payment(invoice.id, invoice.total, "key-1")
        assert billing_fakes.webhooks == []

    # then exactly one webhook with the committed state
    assert len(callbacks) == 1
    assert billing_fakes.webhooks == [
        _expected(
            invoice.id,
            invoice.number,
            invoice.account_id,
            status="paid",
            total="25.25",
            amount_paid="25.25",
            amount_due="0.00",
        )
    ]


def test_billing_issue_and_void_emit_webhooks(django_capture_on_commit_callbacks) -> None:
    # given
    draft = draft_invoice()
    service = InvoiceService()

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        service.issue(draft.id)
        service.void(draft.id)

    # then
    assert len(callbacks) == 2
    assert [payload["invoice"]["status"] for payload in billing_fakes.webhooks] == ["open", "void"]


def test_billing_nothing_is_emitted_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    invoice = open_invoice()

    # when the payment's outer transaction rolls back
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        apply_payment(invoice.id, Decimal("1.00"), "key-rolled-back")
        raise RuntimeError("caller fails after paying")

    # then no webhook, no payment
    assert callbacks == []
    assert InvoiceService().get(invoice.id).amount_paid == Decimal("0.00")


def test_billing_refused_payment_emits_nothing(django_capture_on_commit_callbacks) -> None:
    invoice = open_invoice()

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Overpayment):
        apply_payment(invoice.id, Decimal("99.00"), "key-over")

    assert callbacks == []


def _failing_sink(payload: dict) -> None:
    raise ConnectionError("webhook receiver is down")


@override_settings(BILLING_WEBHOOK_SINK=f"{__name__}._failing_sink")
def test_billing_failing_sink_does_not_fail_the_committed_payment(
    django_capture_on_commit_callbacks, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    invoice = open_invoice()

    # when the sink raises after commit
    with django_capture_on_commit_callbacks(execute=True):
        payment = apply_payment(invoice.id, Decimal("1.00"), "key-1")

    # then the caller still gets its payment, and the failure is logged
    assert payment.amount == Decimal("1.00")
    assert "webhook receiver is down" in caplog.text


@override_settings(BILLING_WEBHOOK_SINK=None)
def test_billing_default_sink_logs(
    django_capture_on_commit_callbacks, caplog: pytest.LogCaptureFixture
) -> None:
    invoice = draft_invoice()

    with (
        caplog.at_level(logging.INFO, logger="billing_app.webhooks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        InvoiceService().issue(invoice.id)

    assert [r.getMessage() for r in caplog.records if r.name == "billing_app.webhooks"] == [
        f"webhook invoice.updated for invoice {invoice.id}"
    ]
