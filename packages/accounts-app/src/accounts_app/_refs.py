"""Values handed across the public surface instead of model instances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accounts_app.models import Account


@dataclass(frozen=True)
class AccountRef:
    id: int
    name: str
    email: str
    status: str
    created_at: datetime


def account_ref(account: Account) -> AccountRef:
    return AccountRef(
        id=account.pk,
        name=account.name,
        email=account.email,
        status=str(account.status),
        created_at=account.created_at,
    )
