"""factory-boy factories of accounts rows, for arranging state directly (bypassing services)."""

from __future__ import annotations

import factory
from accounts_app.models import Account, AccountStatus


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")
    email = factory.Sequence(lambda n: f"account{n}@example.com")
    status = AccountStatus.ACTIVE
