"""Reads of accounts."""

from __future__ import annotations

from accounts_app._errors import AccountNotFound
from accounts_app._refs import AccountRef, account_ref
from accounts_app.models import Account, AccountStatus


def get_account(*, account_id: int) -> AccountRef:
    try:
        return account_ref(Account.objects.get(pk=account_id))
    except Account.DoesNotExist:
        raise AccountNotFound(f"account {account_id} does not exist") from None


def is_billable(*, account_id: int) -> bool:
    return Account.objects.filter(pk=account_id, status=AccountStatus.ACTIVE).exists()
