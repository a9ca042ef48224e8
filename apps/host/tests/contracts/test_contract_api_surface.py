"""The names the host imports exist in the packages' public modules."""

from __future__ import annotations

import accounts_app.api
import billing_app.api

ACCOUNTS_NAMES = {
    "AccountRef",
    "AccountsError",
    "AccountNotFound",
    "InvalidTransition",
    "InvalidAccountData",
    "open_account",
    "get_account",
    "suspend_account",
    "reactivate_account",
    "close_account",
    "is_billable",
}
BILLING_NAMES = {
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
}


def test_contract_accounts_api_exports_what_the_host_uses() -> None:
    assert set(accounts_app.api.__all__) >= ACCOUNTS_NAMES


def test_contract_billing_api_exports_what_the_host_uses() -> None:
    assert set(billing_app.api.__all__) >= BILLING_NAMES


def test_contract_error_codes_are_stable() -> None:
    a, b = accounts_app.api, billing_app.api
    codes = {
        cls.__name__: cls.code
        for cls in (
            a.AccountNotFound,
            a.InvalidTransition,
            a.InvalidAccountData,
            b.InvoiceNotFound,
            b.InvalidInvoiceTransition,
            b.InvalidCurrency,
            b.InvalidAmount,
            b.Overpayment,
            b.AccountNotBillable,
            b.GatewayError,
            b.GatewayDeclined,
            b.IdempotencyConflict,
        )
    }
    assert codes == {
        "AccountNotFound": "accounts.not_found",
        "InvalidTransition": "accounts.invalid_transition",
        "InvalidAccountData": "accounts.invalid_data",
        "InvoiceNotFound": "billing.invoice_not_found",
        "InvalidInvoiceTransition": "billing.invalid_transition",
        "InvalidCurrency": "billing.invalid_currency",
        "InvalidAmount": "billing.invalid_amount",
        "Overpayment": "billing.overpayment",
        "AccountNotBillable": "billing.account_not_billable",
        "GatewayError": "billing.gateway_error",
        "GatewayDeclined": "billing.gateway_declined",
        "IdempotencyConflict": "billing.idempotency_conflict",
    }
    assert b.GatewayError.retryable is True
    assert b.GatewayDeclined.retryable is False
    assert b.WEBHOOK_PAYLOAD_VERSION == "1"
