"""Settings of billing_app, read through one typed object, at call time, never at import time.

- ``BILLING_PAYMENT_GATEWAY`` (required): dotted path of a PaymentGateway class, instantiated
  with no arguments for each charge.
- ``BILLING_WEBHOOK_SINK`` (optional): dotted path of a callable taking the webhook payload dict;
  default ``billing_app._webhooks.log_webhook`` (logs, sends nothing).
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_WEBHOOK_SINK = "billing_app._webhooks.log_webhook"


class BillingSettings:
    @property
    def PAYMENT_GATEWAY(self) -> object:  # noqa: N802 - mirrors the setting's name
        return getattr(settings, "BILLING_PAYMENT_GATEWAY", None)

    @property
    def WEBHOOK_SINK(self) -> object:  # noqa: N802
        return getattr(settings, "BILLING_WEBHOOK_SINK", None) or DEFAULT_WEBHOOK_SINK


conf = BillingSettings()
