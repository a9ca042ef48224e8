"""Account lifecycle and billability, as billing and the host rely on them."""

from __future__ import annotations

import pytest
from accounts_app.api import (
    AccountNotFound,
    AccountRef,
    InvalidAccountData,
    InvalidTransition,
    close_account,
    get_account,
    is_billable,
    open_account,
    reactivate_account,
    suspend_account,
)

pytestmark = pytest.mark.django_db


def test_contract_open_account_returns_an_active_ref() -> None:
    account = open_account(name="Ada", email="ada@example.com")

    assert isinstance(account, AccountRef)
    assert (account.name, account.email, account.status) == ("Ada", "ada@example.com", "active")
    assert get_account(account.id) == account
    assert is_billable(account.id) is True


def test_contract_account_transitions(account: AccountRef) -> None:
    # active -> suspended -> active -> closed; only active is billable
    assert suspend_account(account.id).status == "suspended"
    assert is_billable(account.id) is False
    assert reactivate_account(account.id).status == "active"
    assert is_billable(account.id) is True
    assert close_account(account.id).status == "closed"
    assert is_billable(account.id) is False


def test_contract_closed_is_terminal(account: AccountRef) -> None:
    # given a closed account
    close_account(account.id)

    # when it is reactivated or suspended, then the transition is refused and nothing changes
    with pytest.raises(InvalidTransition):
        reactivate_account(account.id)
    with pytest.raises(InvalidTransition):
        suspend_account(account.id)
    assert get_account(account.id).status == "closed"


def test_contract_missing_account() -> None:
    with pytest.raises(AccountNotFound):
        get_account(999_999)
    assert is_billable(999_999) is False


def test_contract_invalid_account_data_is_refused() -> None:
    with pytest.raises(InvalidAccountData):
        open_account(name="Ada", email="not-an-email")
