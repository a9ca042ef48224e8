"""How callers of the host API prove who they are (django-ninja security classes).

- ``BearerToken``: ``Authorization: Bearer <token>``, one of ``HOST_API_TOKENS`` (several
  while one is rotated), compared in constant time; every endpoint but the webhook.
- ``SignedBody``: the inbound webhook's ``X-Signature`` over the raw body
  (``host.signatures``), which the sender and the host share a secret for.

Both raise errors with stable codes (``auth.*``, ``webhooks.*``) that ``host.api`` turns
into 4xx answers, and both appear as security schemes in the OpenAPI description.
"""

from __future__ import annotations

import hmac
import time

from django.http import HttpRequest
from ninja.security import APIKeyHeader, HttpBearer

from host import signatures
from host.conf import conf
from host.http import RequestError, read_body


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``, one of ``HOST_API_TOKENS``."""

    def __call__(self, request: HttpRequest) -> str:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise RequestError("auth.missing_token", "send Authorization: Bearer <token>")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> str:
        given = token.encode("utf-8", "replace")
        # every configured token is compared, in constant time, so timing tells nothing
        matches = [hmac.compare_digest(given, t.encode()) for t in conf.api_tokens]
        if not any(matches):
            raise RequestError("auth.invalid_token", "the bearer token is not valid")
        return token


class Signed:
    """What ``SignedBody`` authenticates: the timestamp the sender signed."""

    def __init__(self, signed_at: int) -> None:
        self.signed_at = signed_at


class SignedBody(APIKeyHeader):
    """``X-Signature: t=<unix seconds>,v1=<hex>`` over the raw body (``host.signatures``)."""

    param_name = "X-Signature"

    def authenticate(self, request: HttpRequest, key: str | None) -> Signed:
        signed_at = signatures.verify(
            key,
            read_body(request),
            secret=conf.webhook_secret,
            tolerance=conf.webhook_tolerance,
            now=time.time(),
        )
        return Signed(signed_at)
