"""Storage of invoices and payments. Writes go through the services; other packages use ``api``.

An invoice refers to its account by id (``account_id``), not by a foreign key: billing depends
on accounts only through ``accounts_app.api``, and the two may live in different databases later.
"""

from decimal import Decimal
from typing import TypedDict

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


# the money columns: one precision everywhere, typed so each field sees what it gets
class _Money(TypedDict):
    max_digits: int
    decimal_places: int


MONEY: _Money = {"max_digits": 12, "decimal_places": 2}


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


class Invoice(models.Model):
    number = models.CharField(max_length=40, unique=True)
    account_id = models.BigIntegerField(db_index=True)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    total = models.DecimalField(**MONEY, default=Decimal("0.00"))
    amount_paid = models.DecimalField(**MONEY, default=Decimal("0.00"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    # set by issue(): the UTC date of issued_at + PAYMENT_TERMS; None for drafts (since 1.1.0)
    due_date = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            # open invoices by due date: the admin's overdue view and dunning runs
            models.Index(fields=["status", "due_date"], name="billing_inv_status_due_idx"),
        ]
        constraints = [
            # the last line of defence against overpayment, below the service's checks
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0) & Q(amount_paid__lte=F("total")),
                name="billing_invoice_paid_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.status}, {self.total} {self.currency})"

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.amount_paid


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description} @ {self.unit_price}"


class Payment(models.Model):
    # PROTECT: a payment is an audit record of money taken; its invoice cannot disappear
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    gateway_reference = models.CharField(max_length=128)
    idempotency_key = models.CharField(max_length=128, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} for invoice {self.invoice_id}"
