"""Errors of the billing domain. ``code`` is stable and part of the public API; ``retryable``
says whether repeating the same call (with the same idempotency key) may succeed."""


class BillingError(Exception):
    code: str = "billing.error"
    retryable: bool = False


class InvoiceNotFound(BillingError):
    code = "billing.invoice_not_found"


class InvalidInvoiceTransition(BillingError):
    code = "billing.invalid_transition"


class InvalidCurrency(BillingError):
    code = "billing.invalid_currency"


class InvalidAmount(BillingError):
    code = "billing.invalid_amount"


class InvalidInvoiceData(BillingError):
    code = "billing.invalid_data"


class InvalidIdempotencyKey(BillingError):
    code = "billing.invalid_idempotency_key"


class Overpayment(BillingError):
    code = "billing.overpayment"


class AccountNotBillable(BillingError):
    code = "billing.account_not_billable"


class UnknownAccount(BillingError):
    """An invoice was asked for an account that does not exist."""

    code = "billing.unknown_account"


class AccountClosed(BillingError):
    """An invoice was asked for a closed account: closed is terminal, it is never billed."""

    code = "billing.account_closed"


class GatewayError(BillingError):
    """The provider failed (outage, timeout, garbage answer): try again with the same key."""

    code = "billing.gateway_error"
    retryable = True


class GatewayDeclined(BillingError):
    """The provider refused this charge: repeating it will not help."""

    code = "billing.gateway_declined"


class IdempotencyConflict(BillingError):
    """The key was already used for another invoice or another amount."""

    code = "billing.idempotency_conflict"
