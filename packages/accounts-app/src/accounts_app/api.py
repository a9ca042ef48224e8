"""Public API of accounts_app: the only module other packages may import.

Everything here takes and returns plain values (ids, frozen dataclasses); model instances and
QuerySets never cross this surface. Error ``code`` values are stable.
"""

from __future__ import annotations

from accounts_app import _selectors, _services
from accounts_app._errors import (
    AccountNotFound,
    AccountsError,
    InvalidAccountData,
    InvalidTransition,
)
from accounts_app._refs import AccountRef

__all__ = [
    "AccountNotFound",
    "AccountRef",
    "AccountsError",
    "InvalidAccountData",
    "InvalidTransition",
    "close_account",
    "get_account",
    "is_billable",
    "open_account",
    "reactivate_account",
    "suspend_account",
]


def open_account(*, name: str, email: str) -> AccountRef:
    """Open an active account. Raises InvalidAccountData for a bad name or email."""
    return _services.open_account(name=name, email=email)


def get_account(account_id: int) -> AccountRef:
    """Raises AccountNotFound."""
    return _selectors.get_account(account_id=account_id)


def suspend_account(account_id: int) -> AccountRef:
    """active -> suspended. Raises AccountNotFound, InvalidTransition."""
    return _services.suspend_account(account_id=account_id)


def reactivate_account(account_id: int) -> AccountRef:
    """suspended -> active. Raises AccountNotFound, InvalidTransition."""
    return _services.reactivate_account(account_id=account_id)


def close_account(account_id: int) -> AccountRef:
    """active|suspended -> closed (terminal). Raises AccountNotFound, InvalidTransition."""
    return _services.close_account(account_id=account_id)


def is_billable(account_id: int) -> bool:
    """True only for an existing, active account."""
    return _selectors.is_billable(account_id=account_id)
