"""The outbound webhook payload: a stable, versioned, JSON-safe shape sent after commit."""

from __future__ import annotations

import json
from decimal import Decimal

import contract_fakes
import pytest
from billing_app.api import InvoiceRef, apply_payment, webhook_payload

pytestmark = pytest.mark.django_db


def test_contract_webhook_payload_shape(open_invoice: InvoiceRef) -> None:
    payload = webhook_payload(open_invoice.id)

    assert payload == {
        "version": "1",
        "type": "invoice.updated",
        "invoice": {
            "id": open_invoice.id,
            "number": open_invoice.number,
            "account_id": open_invoice.account_id,
            "currency": "EUR",
            "status": "open",
            "total": "25.25",
            "amount_paid": "0.00",
            "amount_due": "25.25",
        },
    }
    assert json.loads(json.dumps(payload)) == payload


def test_contract_payment_emits_the_payload_after_commit(
    open_invoice: InvoiceRef, django_capture_on_commit_callbacks
) -> None:
    # given no webhook yet
    contract_fakes.webhooks.clear()

    # when the invoice is paid in full and the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        apply_payment(open_invoice.id, Decimal("25.25"), "contract-webhook")
        # then nothing is sent before the commit
        assert contract_fakes.webhooks == []

    # then the sink received the paid invoice's payload
    assert contract_fakes.webhooks[-1] == {
        "version": "1",
        "type": "invoice.updated",
        "invoice": {
            "id": open_invoice.id,
            "number": open_invoice.number,
            "account_id": open_invoice.account_id,
            "currency": "EUR",
            "status": "paid",
            "total": "25.25",
            "amount_paid": "25.25",
            "amount_due": "0.00",
        },
    }
