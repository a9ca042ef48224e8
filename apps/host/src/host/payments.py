"""Payment gateways the host plugs into billing (``BILLING_PAYMENT_GATEWAY``).

- ``FakeGateway``: deterministic, no network; for development, demos and tests.
- ``HttpGateway``: a SKELETON of a real provider client. It POSTs the charge as JSON to
  ``HOST_GATEWAY_URL`` and maps HTTP outcomes onto billing's errors. It has no provider
  authentication, no request signing and no response schema beyond ``{"reference": str}``;
  a real provider adapter starts from here.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from billing_app.api import ChargeRequest, ChargeResult, GatewayDeclined, GatewayError
from django.conf import settings

from host import outgoing

# Amounts whose cents are 13 are declined, 14 fail as a (retryable) provider outage:
# deterministic triggers for the failure paths in demos and tests.
_DECLINE_CENTS = 13
_OUTAGE_CENTS = 14


class FakeGateway:
    """Charges always succeed, except the trigger amounts above. Same key -> same reference."""

    def charge(self, request: ChargeRequest) -> ChargeResult:
        cents = int((request.amount * 100) % 100)
        if cents == _DECLINE_CENTS:
            raise GatewayDeclined(f"fake gateway declines amounts ending in .{_DECLINE_CENTS}")
        if cents == _OUTAGE_CENTS:
            raise GatewayError(f"fake gateway is 'down' for amounts ending in .{_OUTAGE_CENTS}")
        return ChargeResult(reference=fake_reference(request.idempotency_key))


def fake_reference(idempotency_key: str) -> str:
    return "fake-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:12]


class HttpGateway:
    """POST ``{"account_id", "amount", "currency", "idempotency_key"}`` to a provider URL.

    Outcomes: 2xx with ``{"reference": "..."}`` -> ChargeResult. 402 and other 4xx (except
    408/409/429) -> GatewayDeclined: the provider refused this charge, repeating it will not
    help. 408, 409, 429, 5xx, timeouts, network errors and unreadable 2xx bodies ->
    GatewayError (retryable): the charge may or may not have happened, so the caller
    retries with the SAME idempotency key, which is also sent as ``Idempotency-Key``.
    """

    def __init__(self, url: str | None = None, *, timeout: float | None = None) -> None:
        # billing instantiates gateways with no arguments: fall back to settings, read now
        # (at charge time), never at import time
        self.url = url if url is not None else settings.HOST_GATEWAY_URL
        self.timeout = timeout if timeout is not None else float(settings.HOST_GATEWAY_TIMEOUT)

    def charge(self, request: ChargeRequest) -> ChargeResult:
        if not self.url:
            raise GatewayError("HttpGateway has no URL: set HOST_GATEWAY_URL")
        body = json.dumps(
            {
                "account_id": request.account_id,
                "amount": _money(request.amount),
                "currency": request.currency,
                "idempotency_key": request.idempotency_key,
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": request.idempotency_key,
        }
        try:
            status, raw = outgoing.post(self.url, body, headers, timeout=self.timeout)
        except outgoing.Unreachable as exc:
            raise GatewayError(f"payment provider unreachable: {exc}") from exc
        if status >= 300:
            raise _error_for_status(status)
        return ChargeResult(reference=_reference_from(raw))


def _error_for_status(status: int) -> GatewayError | GatewayDeclined:
    if status in (408, 409, 429) or status >= 500:
        return GatewayError(f"payment provider answered HTTP {status}; retry later")
    return GatewayDeclined(f"payment provider refused the charge (HTTP {status})")


def _reference_from(raw: bytes) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    reference = data.get("reference") if isinstance(data, dict) else None
    if not isinstance(reference, str) or not reference:
        # the provider said yes but we cannot tell which charge: retry with the same key
        raise GatewayError("payment provider answered 2xx without a reference")
    return reference


def _money(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))
