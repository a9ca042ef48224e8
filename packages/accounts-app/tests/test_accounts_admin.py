"""The admin lists accounts and changes status only through the services."""

from __future__ import annotations

import pytest
from accounts_app.models import Account
from accounts_factories import AccountFactory
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_accounts_admin_changelist_renders(admin_client: Client) -> None:
    AccountFactory(name="Visible Ltd")

    response = admin_client.get(reverse("admin:accounts_app_account_changelist"))

    assert response.status_code == 200
    assert b"Visible Ltd" in response.content


def test_accounts_admin_actions_go_through_the_transition_table(admin_client: Client) -> None:
    # given an active and a closed account
    active = AccountFactory(status="active")
    closed = AccountFactory(status="closed")

    # when both are suspended from the admin
    response = admin_client.post(
        reverse("admin:accounts_app_account_changelist"),
        {"action": "suspend", "_selected_action": [active.pk, closed.pk]},
        follow=True,
    )

    # then the active one is suspended and the closed one is refused and unchanged
    assert response.status_code == 200
    statuses = dict(Account.objects.values_list("pk", "status"))
    assert statuses == {active.pk: "suspended", closed.pk: "closed"}
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 2
    assert any("closed -> suspended is not allowed" in m for m in messages)
