"""The seed fixture loads, is consistent, and leaves the database usable for new writes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from accounts_app.api import get_account, open_account
from billing_app.api import InvoiceLineData, InvoiceService, apply_payment
from django.apps import apps
from django.core.management import call_command
from django.db.models import Sum

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(row_counts) -> dict[str, int]:
    call_command("loaddata", "seed", verbosity=0)
    return row_counts()


def test_host_seed_rows(seeded) -> None:
    assert seeded == {
        "accounts_app.Account": 3,
        "billing_app.Invoice": 4,
        "billing_app.InvoiceLine": 5,
        "billing_app.Payment": 2,
        "host.InboundEvent": 0,
        "host.OutboundWebhook": 0,
    }
    service = InvoiceService()
    assert [service.get(i).status for i in (1, 2, 3, 4)] == ["draft", "open", "paid", "open"]
    assert get_account(3).status == "suspended"


def test_host_seed_totals_match_lines_and_payments(seeded) -> None:
    # stored totals are what the lines and payments add up to
    invoice_model = apps.get_model("billing_app", "Invoice")
    for invoice in invoice_model.objects.all():
        lines = sum((line.quantity * line.unit_price for line in invoice.lines.all()), Decimal(0))
        paid = invoice.payments.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")
        assert (invoice.total, invoice.amount_paid) == (lines, paid), invoice.number


def test_host_seed_loading_twice_changes_nothing(seeded, row_counts) -> None:
    call_command("loaddata", "seed", verbosity=0)

    assert row_counts() == seeded


def test_host_seed_then_new_writes_get_fresh_ids(seeded) -> None:
    # new rows after the fixed-pk seed must not collide (sequences reset on PostgreSQL)
    account = open_account(name="New", email="new@example.com")
    invoice = InvoiceService().create(
        account_id=account.id,
        currency="EUR",
        lines=[InvoiceLineData(description="Seat", quantity=1, unit_price=Decimal("40.00"))],
    )
    payment = apply_payment(4, Decimal("40.00"), "after-seed")

    assert (account.id, invoice.id, invoice.number, payment.id) == (4, 5, "INV-000005", 3)
    assert InvoiceService().get(4).status == "paid"
