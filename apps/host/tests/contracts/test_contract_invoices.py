"""Invoice creation and status transitions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from accounts_app.api import AccountRef, suspend_account
from billing_app.api import (
    AccountNotBillable,
    InvalidCurrency,
    InvalidInvoiceTransition,
    InvoiceLineData,
    InvoiceNotFound,
    InvoiceRef,
    InvoiceService,
)

pytestmark = pytest.mark.django_db

_LINE = InvoiceLineData(description="Seat", quantity=1, unit_price=Decimal("10.00"))


def test_contract_create_invoice_is_a_draft_with_totals(account: AccountRef) -> None:
    invoice = InvoiceService().create(
        account_id=account.id,
        currency="EUR",
        lines=[
            InvoiceLineData(description="Seat", quantity=2, unit_price=Decimal("10.00")),
            InvoiceLineData(description="Support", quantity=1, unit_price=Decimal("5.25")),
        ],
    )

    assert isinstance(invoice, InvoiceRef)
    assert invoice.account_id == account.id
    assert invoice.currency == "EUR"
    assert invoice.status == "draft"
    assert (invoice.total, invoice.amount_paid, invoice.amount_due) == (
        Decimal("25.25"),
        Decimal("0.00"),
        Decimal("25.25"),
    )
    assert invoice.number.startswith("INV-")
    assert InvoiceService().get(invoice.id) == invoice


def test_contract_invoice_numbers_are_unique(account: AccountRef) -> None:
    service = InvoiceService()
    first = service.create(account_id=account.id, currency="EUR", lines=[_LINE])
    second = service.create(account_id=account.id, currency="EUR", lines=[_LINE])

    assert first.number != second.number


def test_contract_issue_then_void(draft_invoice: InvoiceRef) -> None:
    service = InvoiceService()

    issued = service.issue(draft_invoice.id)
    assert issued.status == "open"
    assert issued.amount_due == Decimal("25.25")

    voided = service.void(draft_invoice.id)
    assert voided.status == "void"


def test_contract_draft_can_be_voided(draft_invoice: InvoiceRef) -> None:
    assert InvoiceService().void(draft_invoice.id).status == "void"


def test_contract_refused_transitions_change_nothing(draft_invoice: InvoiceRef) -> None:
    # given a void invoice
    service = InvoiceService()
    service.void(draft_invoice.id)

    # when it is issued or voided again, then both are refused and it stays void
    with pytest.raises(InvalidInvoiceTransition):
        service.issue(draft_invoice.id)
    with pytest.raises(InvalidInvoiceTransition):
        service.void(draft_invoice.id)
    assert service.get(draft_invoice.id).status == "void"


def test_contract_issue_needs_a_billable_account(
    account: AccountRef, draft_invoice: InvoiceRef
) -> None:
    suspend_account(account.id)

    with pytest.raises(AccountNotBillable):
        InvoiceService().issue(draft_invoice.id)
    assert InvoiceService().get(draft_invoice.id).status == "draft"


def test_contract_invalid_currency_is_refused(account: AccountRef) -> None:
    with pytest.raises(InvalidCurrency):
        InvoiceService().create(account_id=account.id, currency="EURO", lines=[_LINE])


def test_contract_missing_invoice() -> None:
    with pytest.raises(InvoiceNotFound):
        InvoiceService().get(999_999)
    with pytest.raises(InvoiceNotFound):
        InvoiceService().issue(999_999)
