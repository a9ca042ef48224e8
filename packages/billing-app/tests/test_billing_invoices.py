"""Creating, issuing, voiding and reading invoices through billing_app.api."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import billing_fakes
import pytest
from accounts_app.api import close_account, suspend_account
from billing_app.api import (
    AccountClosed,
    AccountNotBillable,
    InvalidAmount,
    InvalidCurrency,
    InvalidInvoiceData,
    InvalidInvoiceTransition,
    InvoiceLineData,
    InvoiceNotFound,
    InvoiceRef,
    InvoiceService,
    UnknownAccount,
)
from billing_app.models import Invoice, InvoiceLine
from billing_factories import billable_account_id, db_state, draft_invoice, open_invoice

pytestmark = pytest.mark.django_db

service = InvoiceService()


def line(
    description: str = "Seat", quantity: int = 1, unit_price: str = "10.00"
) -> InvoiceLineData:
    return InvoiceLineData(
        description=description, quantity=quantity, unit_price=Decimal(unit_price)
    )


# --- create -------------------------------------------------------------------------------


def test_billing_create_makes_a_numbered_draft_with_its_lines() -> None:
    # given
    account_id = billable_account_id()

    # when
    ref = service.create(
        account_id=account_id,
        currency="EUR",
        lines=[line("Seat", 2, "10.00"), line("Support", 1, "5.25"), line("Gift", 3, "0")],
    )

    # then
    assert ref == InvoiceRef(
        id=ref.id,
        number=f"INV-{ref.id:06d}",
        account_id=account_id,
        currency="EUR",
        status="draft",
        total=Decimal("25.25"),
        amount_paid=Decimal("0.00"),
        amount_due=Decimal("25.25"),
    )
    assert list(
        InvoiceLine.objects.filter(invoice_id=ref.id).values_list(
            "description", "quantity", "unit_price"
        )
    ) == [
        ("Seat", 2, Decimal("10.00")),
        ("Support", 1, Decimal("5.25")),
        ("Gift", 3, Decimal("0.00")),
    ]
    assert service.get(ref.id) == ref
    # and a draft emits no webhook
    assert billing_fakes.webhooks == []


def test_billing_create_numbers_invoices_uniquely() -> None:
    first, second = draft_invoice(), draft_invoice()

    assert (first.number, second.number) == (f"INV-{first.id:06d}", f"INV-{second.id:06d}")
    assert first.number != second.number


def test_billing_create_accepts_an_int_price_and_no_lines() -> None:
    with_int = service.create(
        account_id=billable_account_id(),
        currency="USD",
        lines=[InvoiceLineData(description="Seat", quantity=3, unit_price=7)],  # type: ignore[arg-type]
    )
    empty = service.create(account_id=billable_account_id(), currency="USD", lines=[])

    assert (with_int.total, with_int.amount_due) == (Decimal("21.00"), Decimal("21.00"))
    assert (empty.status, empty.total) == ("draft", Decimal("0.00"))


def test_billing_invoice_ref_is_frozen() -> None:
    ref = draft_invoice()

    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.status = "paid"  # type: ignore[misc]


@pytest.mark.parametrize(
    "currency", ["eur", "Eur", "EU", "EURO", "", " EUR", "E1R", "XXX", "ABC", None, 978]
)
def test_billing_create_refuses_a_bad_currency(currency: object) -> None:
    # given
    account_id = billable_account_id()

    # when / then
    with pytest.raises(InvalidCurrency) as caught:
        service.create(account_id=account_id, currency=currency, lines=[line()])  # type: ignore[arg-type]

    assert caught.value.code == "billing.invalid_currency"
    assert Invoice.objects.count() == 0


@pytest.mark.parametrize(
    "bad_line",
    [
        line(unit_price="-1.00"),
        line(unit_price="10.001"),
        line(unit_price="NaN"),
        line(unit_price="Infinity"),
        line(unit_price="10000000000"),
        InvoiceLineData(description="Seat", quantity=1, unit_price=10.5),  # type: ignore[arg-type]
        InvoiceLineData(description="Seat", quantity=1, unit_price="10.50"),  # type: ignore[arg-type]
        line(quantity=0),
        line(quantity=-1),
        line(quantity=1_000_001),
        InvoiceLineData(description="Seat", quantity=True, unit_price=Decimal(1)),  # type: ignore[arg-type]
        InvoiceLineData(description="Seat", quantity=1.5, unit_price=Decimal(1)),  # type: ignore[arg-type]
    ],
)
def test_billing_create_refuses_a_bad_amount(bad_line: InvoiceLineData) -> None:
    # given
    account_id = billable_account_id()

    # when / then
    with pytest.raises(InvalidAmount) as caught:
        service.create(account_id=account_id, currency="EUR", lines=[line(), bad_line])

    assert caught.value.code == "billing.invalid_amount"
    assert (Invoice.objects.count(), InvoiceLine.objects.count()) == (0, 0)


def test_billing_create_refuses_a_total_beyond_the_column() -> None:
    # given two lines that are each fine but together exceed 9_999_999_999.99
    big = line(quantity=1, unit_price="9999999999.99")

    with pytest.raises(InvalidAmount):
        service.create(account_id=billable_account_id(), currency="EUR", lines=[big, line()])

    assert Invoice.objects.count() == 0


@pytest.mark.parametrize(
    ("account_id", "lines"),
    [
        (0, [line()]),
        (-3, [line()]),
        ("7", [line()]),
        (True, [line()]),
        (1, "Seat x1"),
        (1, None),
        (1, [("Seat", 1, Decimal(1))]),
        (1, [line(description="   ")]),
        (1, [line(description="x" * 201)]),
    ],
)
def test_billing_create_refuses_bad_data(account_id: object, lines: object) -> None:
    with pytest.raises(InvalidInvoiceData) as caught:
        service.create(account_id=account_id, currency="EUR", lines=lines)  # type: ignore[arg-type]

    assert caught.value.code == "billing.invalid_data"
    assert Invoice.objects.count() == 0


def test_billing_create_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        service.create(1, "EUR", [line()])  # type: ignore[misc]


# --- issue --------------------------------------------------------------------------------


def test_billing_issue_opens_a_draft() -> None:
    # given
    draft = draft_invoice()

    # when
    ref = service.issue(draft.id)

    # then
    assert ref == dataclasses.replace(draft, status="open")
    row = Invoice.objects.get(pk=draft.id)
    assert row.status == "open"
    assert row.issued_at is not None


def test_billing_issue_refuses_an_invoice_without_lines() -> None:
    draft = service.create(account_id=billable_account_id(), currency="EUR", lines=[])
    before = db_state()

    with pytest.raises(InvalidInvoiceTransition):
        service.issue(draft.id)

    assert db_state() == before
    assert billing_fakes.webhooks == []


def test_billing_issue_refuses_a_zero_total() -> None:
    draft = draft_invoice(lines=((2, "0.00"),))
    before = db_state()

    with pytest.raises(InvalidInvoiceTransition):
        service.issue(draft.id)

    assert db_state() == before


@pytest.mark.parametrize("make_unbillable", [suspend_account, close_account])
def test_billing_issue_refuses_an_unbillable_account(make_unbillable) -> None:
    # given a draft whose account is no longer active
    account_id = billable_account_id()
    draft = draft_invoice(account_id=account_id)
    make_unbillable(account_id)
    before = db_state()

    # when / then
    with pytest.raises(AccountNotBillable) as caught:
        service.issue(draft.id)

    assert caught.value.code == "billing.account_not_billable"
    assert db_state() == before
    assert Invoice.objects.get(pk=draft.id).issued_at is None


def test_billing_create_refuses_an_unknown_or_closed_account() -> None:
    # given an id no account has, and a closed account
    closed = billable_account_id()
    close_account(closed)
    before = db_state()

    # when drafts are asked for them, then each is refused by its own code, writing nothing
    with pytest.raises(UnknownAccount) as unknown:
        service.create(account_id=987654, currency="EUR", lines=[line()])
    with pytest.raises(AccountClosed) as gone:
        service.create(account_id=closed, currency="EUR", lines=[line()])

    assert (unknown.value.code, str(unknown.value)) == (
        "billing.unknown_account",
        "account 987654 does not exist",
    )
    assert (gone.value.code, str(gone.value)) == (
        "billing.account_closed",
        f"account {closed} is closed",
    )
    assert db_state() == before


def test_billing_create_accepts_a_suspended_account_and_issue_refuses_it() -> None:
    # given a suspended account: a draft may wait for it, issuing may not
    account_id = billable_account_id()
    suspend_account(account_id)

    # when / then
    draft = service.create(account_id=account_id, currency="EUR", lines=[line()])
    with pytest.raises(AccountNotBillable):
        service.issue(draft.id)
    assert service.get(draft.id).status == "draft"


def test_billing_create_refuses_a_nul_in_a_description() -> None:
    before = db_state()

    with pytest.raises(InvalidInvoiceData, match="line 0: description contains a NUL"):
        service.create(account_id=billable_account_id(), currency="EUR", lines=[line("a\x00b")])

    assert db_state()[:3] == before[:3]


# --- void, get ----------------------------------------------------------------------------


def test_billing_void_a_draft_and_an_open_invoice() -> None:
    draft, opened = draft_invoice(), open_invoice()

    assert service.void(draft.id).status == "void"
    assert service.void(opened.id).status == "void"
    assert list(Invoice.objects.values_list("status", flat=True)) == ["void", "void"]


@pytest.mark.parametrize("call", ["get", "issue", "void"])
@pytest.mark.parametrize("invoice_id", [424242, "x"])
def test_billing_missing_invoice(call: str, invoice_id: object) -> None:
    with pytest.raises(InvoiceNotFound) as caught:
        getattr(service, call)(invoice_id)

    assert caught.value.code == "billing.invoice_not_found"
