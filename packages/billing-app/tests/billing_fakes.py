"""Fakes of billing's plug points (gateway, webhook sink) for billing-app's tests.

Module state is reset by the ``gateway``/``webhooks`` fixtures in conftest.py.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

from billing_app.api import ChargeRequest, ChargeResult

_lock = threading.Lock()
charges: list[ChargeRequest] = []
webhooks: list[dict[str, Any]] = []
# amount -> exception class the gateway raises for it
failures: dict[Decimal, type[Exception]] = {}


def reset() -> None:
    with _lock:
        charges.clear()
        webhooks.clear()
        failures.clear()


class RecordingGateway:
    """Records each charge; references are "ref-<n>"; fails for amounts listed in ``failures``."""

    def charge(self, request: ChargeRequest) -> ChargeResult:
        with _lock:
            failure = failures.get(request.amount)
            if failure is not None:
                raise failure(f"fake failure for {request.amount}")
            charges.append(request)
            return ChargeResult(reference=f"ref-{len(charges)}")


def record_webhook(payload: dict[str, Any]) -> None:
    with _lock:
        webhooks.append(payload)


class NotAGateway:
    """Has no charge method (system check E002)."""


class BrokenResultGateway:
    def charge(self, request: ChargeRequest) -> ChargeResult:
        return "ok"  # type: ignore[return-value]


class SlowRecordingGateway(RecordingGateway):
    """Holds each charge a moment, so a concurrent payer surely arrives while it is in flight."""

    def charge(self, request: ChargeRequest) -> ChargeResult:
        time.sleep(0.05)
        return super().charge(request)
