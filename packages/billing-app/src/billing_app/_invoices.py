"""Writes of invoices: create (draft), issue (draft -> open), void."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from decimal import Decimal

from accounts_app.api import AccountNotFound, get_account, is_billable
from django.db import transaction
from django.utils import timezone

from billing_app._errors import (
    AccountClosed,
    AccountNotBillable,
    InvalidAmount,
    InvalidInvoiceData,
    InvalidInvoiceTransition,
    InvoiceNotFound,
    UnknownAccount,
)
from billing_app._money import validate_currency, validate_price, validate_total
from billing_app._refs import InvoiceLineData, InvoiceRef, invoice_ref
from billing_app._transitions import ensure_transition
from billing_app._webhooks import emit_after_commit
from billing_app.models import Invoice, InvoiceLine, InvoiceStatus

_DESCRIPTION_MAX = InvoiceLine._meta.get_field("description").max_length
_QUANTITY_MAX = 1_000_000


def invoice_number(pk: int) -> str:
    return f"INV-{pk:06d}"


# how long an issued invoice may stay unpaid; migration 0002 backfills with the same rule
PAYMENT_TERMS = datetime.timedelta(days=30)


def due_date_for(issued_at: datetime.datetime) -> datetime.date:
    return issued_at.astimezone(datetime.UTC).date() + PAYMENT_TERMS


def _clean_account_id(account_id: object) -> int:
    if isinstance(account_id, bool) or not isinstance(account_id, int) or account_id <= 0:
        raise InvalidInvoiceData(f"account_id must be a positive int, not {account_id!r}")
    return account_id


# AccountRef.status of a closed account (accounts-app >= 1.0): terminal, never billed again
_CLOSED = "closed"


def _ensure_invoiceable(account_id: int) -> None:
    """The account exists and is not closed (a suspended one may get a draft, not an issue)."""
    try:
        account = get_account(account_id)
    except AccountNotFound:
        raise UnknownAccount(f"account {account_id} does not exist") from None
    if account.status == _CLOSED:
        raise AccountClosed(f"account {account_id} is closed")


def _clean_line(line: object, *, index: int) -> InvoiceLine:
    if not isinstance(line, InvoiceLineData):
        raise InvalidInvoiceData(f"line {index} is a {type(line).__name__}, not InvoiceLineData")
    if not isinstance(line.description, str) or not line.description.strip():
        raise InvalidInvoiceData(f"line {index}: description must be a non-empty string")
    description = line.description.strip()
    if "\x00" in description:
        # PostgreSQL cannot store it; SQLite would, and the two must not disagree
        raise InvalidInvoiceData(f"line {index}: description contains a NUL character")
    if len(description) > _DESCRIPTION_MAX:
        raise InvalidInvoiceData(f"line {index}: description is over {_DESCRIPTION_MAX} characters")
    quantity = line.quantity
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidAmount(f"line {index}: quantity must be an int, not {quantity!r}")
    if not 1 <= quantity <= _QUANTITY_MAX:
        raise InvalidAmount(f"line {index}: quantity must be 1..{_QUANTITY_MAX}, not {quantity}")
    unit_price = validate_price(line.unit_price, what=f"line {index}: unit_price")
    return InvoiceLine(description=description, quantity=quantity, unit_price=unit_price)


def create_invoice(
    *, account_id: int, currency: str, lines: Sequence[InvoiceLineData]
) -> InvoiceRef:
    account_id = _clean_account_id(account_id)
    currency = validate_currency(currency)
    if isinstance(lines, str | bytes) or not isinstance(lines, Sequence):
        raise InvalidInvoiceData("lines must be a sequence of InvoiceLineData")
    rows = [_clean_line(line, index=index) for index, line in enumerate(lines)]
    total = validate_total(sum((row.quantity * row.unit_price for row in rows), start=Decimal(0)))
    _ensure_invoiceable(account_id)

    with transaction.atomic():
        # the number derives from the primary key, so concurrent creates never collide; the
        # placeholder only lives inside this transaction
        invoice = Invoice.objects.create(
            number=f"new-{uuid.uuid4().hex}",
            account_id=account_id,
            currency=currency,
            total=total,
        )
        invoice.number = invoice_number(invoice.pk)
        invoice.save(update_fields=["number"])
        for row in rows:
            row.invoice = invoice
        InvoiceLine.objects.bulk_create(rows)
    return invoice_ref(invoice)


def _locked(invoice_id: int) -> Invoice:
    try:
        return Invoice.objects.select_for_update().get(pk=invoice_id)
    except (Invoice.DoesNotExist, ValueError, TypeError):
        raise InvoiceNotFound(f"invoice {invoice_id!r} does not exist") from None


def issue_invoice(*, invoice_id: int) -> InvoiceRef:
    with transaction.atomic():
        invoice = _locked(invoice_id)
        ensure_transition(
            invoice_id=invoice.pk,
            current=invoice.status,
            target=InvoiceStatus.OPEN,
            amount_paid=invoice.amount_paid,
        )
        if not invoice.lines.exists():
            raise InvalidInvoiceTransition(f"invoice {invoice.pk} has no lines to issue")
        if invoice.total <= 0:
            raise InvalidInvoiceTransition(f"invoice {invoice.pk} totals {invoice.total}")
        if not is_billable(invoice.account_id):
            raise AccountNotBillable(f"account {invoice.account_id} is not billable")
        invoice.status = InvoiceStatus.OPEN
        invoice.issued_at = timezone.now()
        invoice.due_date = due_date_for(invoice.issued_at)
        invoice.save(update_fields=["status", "issued_at", "due_date"])
        emit_after_commit(invoice)
    return invoice_ref(invoice)


def void_invoice(*, invoice_id: int) -> InvoiceRef:
    with transaction.atomic():
        invoice = _locked(invoice_id)
        ensure_transition(
            invoice_id=invoice.pk,
            current=invoice.status,
            target=InvoiceStatus.VOID,
            amount_paid=invoice.amount_paid,
        )
        invoice.status = InvoiceStatus.VOID
        invoice.save(update_fields=["status"])
        emit_after_commit(invoice)
    return invoice_ref(invoice)
