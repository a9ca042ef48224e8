"""The admin shows billing data read-only: money changes only through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from billing_app.api import apply_payment
from billing_factories import open_invoice
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_billing_admin_pages_render(admin_client: Client) -> None:
    # given a partly paid invoice
    invoice = open_invoice()
    payment = apply_payment(invoice.id, Decimal("5.00"), "key-admin")

    # when / then every page renders and shows the invoice's number
    for url in [
        reverse("admin:billing_app_invoice_changelist"),
        reverse("admin:billing_app_invoice_change", args=[invoice.id]),
        reverse("admin:billing_app_payment_changelist"),
        reverse("admin:billing_app_payment_change", args=[payment.id]),
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert invoice.number.encode() in response.content, url


def test_billing_admin_cannot_change_money(admin_client: Client) -> None:
    invoice = open_invoice()

    assert admin_client.get(reverse("admin:billing_app_invoice_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:billing_app_invoice_change", args=[invoice.id]),
        {"amount_paid": "25.25", "status": "paid"},
    )
    assert response.status_code == 403
