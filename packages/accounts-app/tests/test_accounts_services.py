"""Opening and reading accounts through accounts_app.api."""

from __future__ import annotations

import dataclasses

import pytest
from accounts_app.api import (
    AccountNotFound,
    AccountRef,
    InvalidAccountData,
    get_account,
    is_billable,
    open_account,
)
from accounts_app.models import Account
from accounts_factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_accounts_open_account_stores_an_active_account() -> None:
    # when
    ref = open_account(name="  Ada Lovelace ", email=" ada@example.com ")

    # then the ref mirrors the stored row, with name and email stripped
    assert isinstance(ref, AccountRef)
    row = Account.objects.get(pk=ref.id)
    assert (row.name, row.email, row.status) == ("Ada Lovelace", "ada@example.com", "active")
    assert ref == AccountRef(
        id=row.pk,
        name="Ada Lovelace",
        email="ada@example.com",
        status="active",
        created_at=row.created_at,
    )


def test_accounts_ref_is_frozen() -> None:
    ref = open_account(name="Ada", email="ada@example.com")

    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.status = "closed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "email"),
    [
        ("", "ada@example.com"),
        ("   ", "ada@example.com"),
        ("x" * 201, "ada@example.com"),
        (None, "ada@example.com"),
        ("Ada\x00Lovelace", "ada@example.com"),
        ("Ada", "ada\x00@example.com"),
        ("Ada", ""),
        ("Ada", "not-an-email"),
        ("Ada", "ada@"),
        ("Ada", "a" * 250 + "@example.com"),
        ("Ada", None),
    ],
)
def test_accounts_open_account_refuses_bad_data(name: object, email: object) -> None:
    # when / then
    with pytest.raises(InvalidAccountData) as caught:
        open_account(name=name, email=email)  # type: ignore[arg-type]

    assert caught.value.code == "accounts.invalid_data"
    # and nothing was stored
    assert Account.objects.count() == 0


def test_accounts_open_account_accepts_the_longest_name() -> None:
    ref = open_account(name="x" * 200, email="ada@example.com")

    assert get_account(ref.id).name == "x" * 200


def test_accounts_open_account_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        open_account("Ada", "ada@example.com")  # type: ignore[misc]


def test_accounts_get_account_returns_the_ref() -> None:
    # given
    row = AccountFactory(name="Grace", email="grace@example.com", status="suspended")

    # when
    ref = get_account(row.pk)

    # then
    assert ref == AccountRef(
        id=row.pk,
        name="Grace",
        email="grace@example.com",
        status="suspended",
        created_at=row.created_at,
    )


def test_accounts_get_account_of_a_missing_id() -> None:
    with pytest.raises(AccountNotFound) as caught:
        get_account(424242)

    assert caught.value.code == "accounts.not_found"


@pytest.mark.parametrize(
    ("status", "billable"), [("active", True), ("suspended", False), ("closed", False)]
)
def test_accounts_only_active_accounts_are_billable(status: str, billable: bool) -> None:
    row = AccountFactory(status=status)

    assert is_billable(row.pk) is billable


def test_accounts_a_missing_account_is_not_billable() -> None:
    assert is_billable(424242) is False
