"""Fixtures of billing-app's tests.

The suite also runs from the repo root under the host's settings, whose gateway is the
host's; ``billing_plugs`` points both plug points at billing_fakes for every test here.
"""

from __future__ import annotations

from collections.abc import Iterator

import billing_fakes
import pytest
from django.test import override_settings


@pytest.fixture(autouse=True)
def billing_plugs() -> Iterator[None]:
    with override_settings(
        BILLING_PAYMENT_GATEWAY="billing_fakes.RecordingGateway",
        BILLING_WEBHOOK_SINK="billing_fakes.record_webhook",
    ):
        billing_fakes.reset()
        yield
        billing_fakes.reset()
