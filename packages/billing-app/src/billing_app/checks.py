"""System checks of billing_app's settings (registered in BillingConfig.ready()).

- billing_app.E001: BILLING_PAYMENT_GATEWAY missing, not a string, or not importable
- billing_app.E002: BILLING_PAYMENT_GATEWAY names something that is not a PaymentGateway class
- billing_app.E003: BILLING_WEBHOOK_SINK set but not importable or not callable
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error
from django.utils.module_loading import import_string

from billing_app._refs import PaymentGateway
from billing_app.conf import conf


def check_payment_gateway(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    path = conf.PAYMENT_GATEWAY
    if not isinstance(path, str) or not path:
        return [
            Error(
                "BILLING_PAYMENT_GATEWAY is not set.",
                hint="Set it to the dotted path of a payment gateway class, "
                "e.g. 'myproject.payments.StripeGateway'.",
                id="billing_app.E001",
            )
        ]
    try:
        obj = import_string(path)
    except ImportError as exc:
        return [
            Error(
                f"BILLING_PAYMENT_GATEWAY {path!r} cannot be imported: {exc}",
                id="billing_app.E001",
            )
        ]
    # not instantiated here: a real gateway's constructor may open connections
    if not isinstance(obj, type) or not issubclass(obj, PaymentGateway):
        return [
            Error(
                f"BILLING_PAYMENT_GATEWAY {path!r} is not a PaymentGateway class.",
                hint="It must name a class whose instances have "
                "charge(request: ChargeRequest) -> ChargeResult (billing_app.api.PaymentGateway).",
                id="billing_app.E002",
            )
        ]
    return []


def check_webhook_sink(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    path = conf.WEBHOOK_SINK
    try:
        sink = import_string(path) if isinstance(path, str) else None
    except ImportError as exc:
        return [
            Error(f"BILLING_WEBHOOK_SINK {path!r} cannot be imported: {exc}", id="billing_app.E003")
        ]
    if not callable(sink):
        return [
            Error(
                f"BILLING_WEBHOOK_SINK {path!r} is not a callable.",
                hint="Set it to the dotted path of a function taking the payload dict, "
                "or unset it.",
                id="billing_app.E003",
            )
        ]
    return []
