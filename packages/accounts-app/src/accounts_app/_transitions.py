"""The account lifecycle: the one table of allowed status changes, enforced for every write."""

from __future__ import annotations

from accounts_app._errors import InvalidTransition
from accounts_app.models import AccountStatus

ALLOWED: dict[str, frozenset[str]] = {
    AccountStatus.ACTIVE: frozenset({AccountStatus.SUSPENDED, AccountStatus.CLOSED}),
    AccountStatus.SUSPENDED: frozenset({AccountStatus.ACTIVE, AccountStatus.CLOSED}),
    # closed is terminal
    AccountStatus.CLOSED: frozenset(),
}


def ensure_transition(*, account_id: int, current: str, target: str) -> None:
    if target not in ALLOWED[current]:
        raise InvalidTransition(f"account {account_id}: {current} -> {target} is not allowed")
