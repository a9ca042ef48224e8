"""Writes of accounts: validate, then save inside one transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from accounts_app._errors import AccountNotFound, InvalidAccountData
from accounts_app._refs import AccountRef, account_ref
from accounts_app._transitions import ensure_transition
from accounts_app.models import Account, AccountStatus

_NAME_MAX = Account._meta.get_field("name").max_length
_EMAIL_MAX = Account._meta.get_field("email").max_length


def _clean_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidAccountData("name must be a non-empty string")
    cleaned = name.strip()
    if len(cleaned) > _NAME_MAX:
        raise InvalidAccountData(f"name is longer than {_NAME_MAX} characters")
    if "\x00" in cleaned:
        # PostgreSQL cannot store it (SQLite can): refused the same way on both
        raise InvalidAccountData("name contains a NUL character")
    return cleaned


def _clean_email(email: object) -> str:
    if not isinstance(email, str):
        raise InvalidAccountData("email must be a string")
    cleaned = email.strip()
    if len(cleaned) > _EMAIL_MAX:
        raise InvalidAccountData(f"email is longer than {_EMAIL_MAX} characters")
    try:
        validate_email(cleaned)
    except ValidationError:
        raise InvalidAccountData(f"{cleaned!r} is not a valid email address") from None
    return cleaned


def open_account(*, name: str, email: str) -> AccountRef:
    account = Account(name=_clean_name(name), email=_clean_email(email))
    with transaction.atomic():
        account.save()
    return account_ref(account)


def _change_status(*, account_id: int, target: AccountStatus) -> AccountRef:
    with transaction.atomic():
        try:
            # the row lock serializes concurrent status changes of one account
            account = Account.objects.select_for_update().get(pk=account_id)
        except Account.DoesNotExist:
            raise AccountNotFound(f"account {account_id} does not exist") from None
        ensure_transition(account_id=account_id, current=account.status, target=target)
        account.status = target
        account.save(update_fields=["status"])
    return account_ref(account)


def suspend_account(*, account_id: int) -> AccountRef:
    return _change_status(account_id=account_id, target=AccountStatus.SUSPENDED)


def reactivate_account(*, account_id: int) -> AccountRef:
    return _change_status(account_id=account_id, target=AccountStatus.ACTIVE)


def close_account(*, account_id: int) -> AccountRef:
    return _change_status(account_id=account_id, target=AccountStatus.CLOSED)
