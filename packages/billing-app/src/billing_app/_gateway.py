"""The configured payment gateway, and the one place its failures are translated."""

from __future__ import annotations

import logging

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from billing_app._errors import GatewayDeclined, GatewayError
from billing_app._refs import ChargeRequest, ChargeResult, PaymentGateway
from billing_app.conf import conf

logger = logging.getLogger("billing_app.gateway")


def gateway_class(path: object) -> type[PaymentGateway]:
    """Import the class ``path`` names. Raises ImportError, TypeError (the checks report them)."""
    if not isinstance(path, str) or not path:
        raise ImportError("BILLING_PAYMENT_GATEWAY must be a dotted path string")
    cls = import_string(path)
    if not isinstance(cls, type) or not issubclass(cls, PaymentGateway):
        raise TypeError(f"{path} is not a class with a charge(request) method")
    return cls


def load_gateway() -> PaymentGateway:
    path = conf.PAYMENT_GATEWAY
    try:
        cls = gateway_class(path)
    except (ImportError, TypeError) as exc:
        # the system checks billing_app.E001/E002 report this at start-up
        raise ImproperlyConfigured(f"BILLING_PAYMENT_GATEWAY={path!r}: {exc}") from exc
    return cls()


def charge(request: ChargeRequest) -> ChargeResult:
    """Charge through the configured gateway; every failure leaves as a billing error."""
    gateway = load_gateway()
    try:
        result = gateway.charge(request)
    except (GatewayDeclined, GatewayError):
        raise
    except Exception as exc:
        # an unexpected provider failure: we cannot know whether money moved, so it is
        # retryable with the same idempotency key, which the provider deduplicates
        logger.exception("payment gateway %s failed", type(gateway).__name__)
        raise GatewayError(f"payment gateway failed: {type(exc).__name__}") from exc
    if not isinstance(result, ChargeResult) or not isinstance(result.reference, str):
        raise GatewayError(f"payment gateway returned {result!r}, not a ChargeResult")
    if not result.reference or len(result.reference) > 128:
        raise GatewayError(f"payment gateway returned an unusable reference {result.reference!r}")
    return result
