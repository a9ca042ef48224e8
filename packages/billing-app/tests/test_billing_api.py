"""The public surface of billing_app: exactly the names and codes of the API contract."""

from __future__ import annotations

from decimal import Decimal

import billing_app.api as api
import billing_fakes
import pytest
from billing_factories import db_state, open_invoice
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings


def test_billing_api_exports_exactly_the_contract() -> None:
    assert sorted(api.__all__) == sorted(
        [
            "ChargeRequest",
            "ChargeResult",
            "PaymentGateway",
            "InvoiceLineData",
            "InvoiceRef",
            "PaymentRef",
            "BillingError",
            "InvoiceNotFound",
            "InvalidInvoiceTransition",
            "InvalidCurrency",
            "InvalidAmount",
            "Overpayment",
            "AccountNotBillable",
            "GatewayError",
            "GatewayDeclined",
            "IdempotencyConflict",
            "InvoiceService",
            "apply_payment",
            "WEBHOOK_PAYLOAD_VERSION",
            "webhook_payload",
            # additions, see DEVIATIONS in the API contract
            "InvalidInvoiceData",
            "InvalidIdempotencyKey",
            # invoices only for accounts that exist and are not closed; replays told apart
            "UnknownAccount",
            "AccountClosed",
            "PaymentOutcome",
            "charge_invoice",
        ]
    )
    assert all(hasattr(api, name) for name in api.__all__)


@pytest.mark.parametrize(
    ("error", "code", "retryable"),
    [
        (api.InvoiceNotFound, "billing.invoice_not_found", False),
        (api.InvalidInvoiceTransition, "billing.invalid_transition", False),
        (api.InvalidCurrency, "billing.invalid_currency", False),
        (api.InvalidAmount, "billing.invalid_amount", False),
        (api.InvalidInvoiceData, "billing.invalid_data", False),
        (api.InvalidIdempotencyKey, "billing.invalid_idempotency_key", False),
        (api.Overpayment, "billing.overpayment", False),
        (api.AccountNotBillable, "billing.account_not_billable", False),
        (api.UnknownAccount, "billing.unknown_account", False),
        (api.AccountClosed, "billing.account_closed", False),
        (api.GatewayError, "billing.gateway_error", True),
        (api.GatewayDeclined, "billing.gateway_declined", False),
        (api.IdempotencyConflict, "billing.idempotency_conflict", False),
    ],
)
def test_billing_error_codes_are_stable(
    error: type[api.BillingError], code: str, retryable: bool
) -> None:
    raised = error("message")

    assert isinstance(raised, api.BillingError)
    assert (raised.code, raised.retryable, str(raised)) == (code, retryable, "message")


def test_billing_payment_gateway_protocol_is_runtime_checkable() -> None:
    assert isinstance(billing_fakes.RecordingGateway(), api.PaymentGateway)
    assert not isinstance(billing_fakes.NotAGateway(), api.PaymentGateway)


@pytest.mark.django_db
def test_billing_unusable_gateway_setting_fails_loudly_and_writes_nothing() -> None:
    invoice = open_invoice()
    before = db_state()

    with (
        override_settings(BILLING_PAYMENT_GATEWAY="billing_fakes.NotAGateway"),
        pytest.raises(ImproperlyConfigured),
    ):
        api.apply_payment(invoice.id, Decimal("1.00"), "key-1")

    assert db_state() == before


def test_billing_app_config() -> None:
    config = apps.get_app_config("billing_app")

    assert type(config).__name__ == "BillingConfig"
    assert config.default_auto_field == "django.db.models.BigAutoField"
    for model in config.get_models():
        assert model._meta.pk.get_internal_type() == "BigAutoField"


def test_billing_invoice_has_no_foreign_key_to_accounts() -> None:
    invoice = apps.get_model("billing_app", "Invoice")

    assert invoice._meta.get_field("account_id").get_internal_type() == "BigIntegerField"
    assert [f.name for f in invoice._meta.get_fields() if f.is_relation] == ["lines", "payments"]


@pytest.mark.django_db
def test_billing_migrations_match_the_models() -> None:
    # raises SystemExit(1) when a model change has no migration
    call_command("makemigrations", "billing_app", "--check", "--dry-run", verbosity=0)
