"""The contracts' own gateway and webhook sink: no host code, fully deterministic."""

from __future__ import annotations

from typing import Any

from billing_app.api import ChargeRequest, ChargeResult, GatewayDeclined, GatewayError

# amounts the gateway refuses: declined (terminal) and outage (retryable)
DECLINED_AMOUNT = "6.66"
OUTAGE_AMOUNT = "7.77"

charges: list[ChargeRequest] = []
webhooks: list[dict[str, Any]] = []


class ContractGateway:
    def charge(self, request: ChargeRequest) -> ChargeResult:
        if str(request.amount) == DECLINED_AMOUNT:
            raise GatewayDeclined("declined by the contract gateway")
        if str(request.amount) == OUTAGE_AMOUNT:
            raise GatewayError("contract gateway outage")
        charges.append(request)
        return ChargeResult(reference=f"contract-{request.idempotency_key}")


def record_webhook(payload: dict[str, Any]) -> None:
    webhooks.append(payload)


def reset() -> None:
    charges.clear()
    webhooks.clear()
