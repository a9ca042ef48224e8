"""The consumer's payment gateway: approves every charge without calling anyone."""

from billing_app.api import ChargeRequest, ChargeResult


class OfflineGateway:
    def charge(self, request: ChargeRequest) -> ChargeResult:
        return ChargeResult(reference=f"offline-{request.idempotency_key}")
