"""The invoice lifecycle: the one place status changes are allowed or refused."""

from __future__ import annotations

from decimal import Decimal

from billing_app._errors import InvalidInvoiceTransition
from billing_app.models import InvoiceStatus

ALLOWED: dict[str, frozenset[str]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.OPEN, InvoiceStatus.VOID}),
    InvoiceStatus.OPEN: frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID}),
    # paid and void are terminal
    InvoiceStatus.PAID: frozenset(),
    InvoiceStatus.VOID: frozenset(),
}


def ensure_transition(*, invoice_id: int, current: str, target: str, amount_paid: Decimal) -> None:
    if target not in ALLOWED[current]:
        raise InvalidInvoiceTransition(
            f"invoice {invoice_id}: {current} -> {target} is not allowed"
        )
    # money was taken: voiding would lose track of it (refunds are not modelled yet)
    if target == InvoiceStatus.VOID and amount_paid > 0:
        raise InvalidInvoiceTransition(
            f"invoice {invoice_id}: cannot void, {amount_paid} has been paid"
        )


def ensure_payable(*, invoice_id: int, current: str) -> None:
    """Payments are taken on open invoices only."""
    if current != InvoiceStatus.OPEN:
        raise InvalidInvoiceTransition(
            f"invoice {invoice_id} is {current}: only open invoices take payments"
        )
