"""Every account status change, allowed and refused, through accounts_app.api."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from accounts_app._transitions import ALLOWED
from accounts_app.api import (
    AccountNotFound,
    AccountRef,
    InvalidTransition,
    close_account,
    reactivate_account,
    suspend_account,
)
from accounts_app.models import Account
from accounts_factories import AccountFactory

pytestmark = pytest.mark.django_db

STATUSES = ["active", "suspended", "closed"]
# the api call that moves an account to each status
CHANGE_TO: dict[str, Callable[[int], AccountRef]] = {
    "active": reactivate_account,
    "suspended": suspend_account,
    "closed": close_account,
}
ALLOWED_PAIRS = {
    ("active", "suspended"),
    ("active", "closed"),
    ("suspended", "active"),
    ("suspended", "closed"),
}


def test_accounts_transition_table_is_the_documented_lifecycle() -> None:
    assert {(src, dst) for src, targets in ALLOWED.items() for dst in targets} == ALLOWED_PAIRS


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED_PAIRS))
def test_accounts_allowed_transition(current: str, target: str) -> None:
    # given
    row = AccountFactory(status=current)

    # when
    ref = CHANGE_TO[target](row.pk)

    # then
    assert ref.status == target
    assert Account.objects.get(pk=row.pk).status == target


@pytest.mark.parametrize(
    ("current", "target"),
    sorted({(c, t) for c in STATUSES for t in STATUSES} - ALLOWED_PAIRS),
)
def test_accounts_refused_transition_changes_nothing(current: str, target: str) -> None:
    # given
    row = AccountFactory(status=current)

    # when / then
    with pytest.raises(InvalidTransition) as caught:
        CHANGE_TO[target](row.pk)

    assert caught.value.code == "accounts.invalid_transition"
    assert Account.objects.get(pk=row.pk).status == current


@pytest.mark.parametrize("target", STATUSES)
def test_accounts_transition_of_a_missing_account(target: str) -> None:
    with pytest.raises(AccountNotFound):
        CHANGE_TO[target](424242)
