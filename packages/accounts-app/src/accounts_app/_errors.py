"""Errors of the accounts domain; ``code`` is stable and part of the public API."""


class AccountsError(Exception):
    code: str = "accounts.error"


class AccountNotFound(AccountsError):
    code = "accounts.not_found"


class InvalidTransition(AccountsError):
    code = "accounts.invalid_transition"


class InvalidAccountData(AccountsError):
    code = "accounts.invalid_data"
