"""Contract tests: public behaviour of accounts_app.api / billing_app.api the host relies on.

Imports only the packages' api modules, Django and pytest (never host code), so the
same files run against installed wheels. Two ways to run them:

- in this repo, under the host's settings (part of ``uv run pytest``);
- standalone, in a plain venv with the wheels, Django, pytest and pytest-django:
  ``python -m pytest -c apps/host/tests/contracts/contracts-pytest.ini apps/host/tests/contracts``
  (uses contract_settings.py; set DATABASE_URL=postgres://... for PostgreSQL).

Either way the gateway and webhook sink are the contracts' own fakes (contract_fakes.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import contract_fakes
import pytest
from accounts_app.api import AccountRef, open_account
from billing_app.api import InvoiceLineData, InvoiceRef, InvoiceService


@pytest.fixture(autouse=True)
def _contract_fakes(settings: Any) -> Iterator[None]:  # pytest-django settings fixture
    settings.BILLING_PAYMENT_GATEWAY = "contract_fakes.ContractGateway"
    settings.BILLING_WEBHOOK_SINK = "contract_fakes.record_webhook"
    contract_fakes.reset()
    yield
    contract_fakes.reset()


@pytest.fixture
def account(db: None) -> AccountRef:
    return open_account(name="Contract Co", email="billing@contract.example")


@pytest.fixture
def draft_invoice(account: AccountRef) -> InvoiceRef:
    """EUR 2 x 10.00 + 1 x 5.25 = 25.25, draft."""
    return InvoiceService().create(
        account_id=account.id,
        currency="EUR",
        lines=[
            InvoiceLineData(description="Seat", quantity=2, unit_price=Decimal("10.00")),
            InvoiceLineData(description="Support", quantity=1, unit_price=Decimal("5.25")),
        ],
    )


@pytest.fixture
def open_invoice(draft_invoice: InvoiceRef) -> InvoiceRef:
    return InvoiceService().issue(draft_invoice.id)
