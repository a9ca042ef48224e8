"""JSON request/response helpers of the host API and the ONE table mapping error codes to HTTP.

Every failure leaves as ``{"error": {"code": ..., "message": ...}}``. Domain errors carry
stable ``code`` attributes (``accounts.*``, ``billing.*``); the host adds ``request.*`` and
``webhooks.*``. Views raise; ``json_endpoint`` translates.
"""

from __future__ import annotations

import functools
import hmac
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from accounts_app.api import AccountsError
from billing_app.api import BillingError
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from host.signatures import SignatureError

STATUS_BY_CODE: dict[str, int] = {
    # accounts_app.api
    "accounts.not_found": 404,
    "accounts.invalid_transition": 409,
    "accounts.invalid_data": 400,
    # billing_app.api
    "billing.invoice_not_found": 404,
    "billing.invalid_transition": 409,
    "billing.invalid_currency": 400,
    "billing.invalid_amount": 400,
    "billing.overpayment": 409,
    "billing.account_not_billable": 409,
    # well-formed, but names an account no invoice can be for
    "billing.unknown_account": 422,
    "billing.account_closed": 422,
    "billing.gateway_error": 502,  # retryable: the client may retry with the same key
    "billing.gateway_declined": 402,
    "billing.idempotency_conflict": 409,
    "billing.invalid_data": 400,
    "billing.invalid_idempotency_key": 400,
    # host: request shape
    "request.invalid_json": 400,
    "request.invalid_field": 400,
    "request.missing_idempotency_key": 400,
    "request.unsupported_media_type": 415,
    "request.too_large": 413,
    "request.method_not_allowed": 405,
    "request.not_found": 404,
    # host: API authentication
    "auth.missing_token": 401,
    "auth.invalid_token": 401,
    # host: inbound webhooks
    "webhooks.missing_signature": 400,
    "webhooks.malformed_signature": 400,
    "webhooks.stale_timestamp": 401,
    "webhooks.bad_signature": 401,
}
# a code missing from the table (a newer package added an error) is still a client error;
# test_host_api checks that every error the packages export is listed
_DEFAULT_STATUS = 400

_MAX_LINES = 100


class RequestError(Exception):
    """The request itself is unusable (shape, types, headers); raised before any write."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error_response(code: str, message: str) -> JsonResponse:
    status = STATUS_BY_CODE.get(code, _DEFAULT_STATUS)
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


View = Callable[..., HttpResponse]


def json_endpoint(
    *methods: str, require_json: bool = True, authenticate: bool = True
) -> Callable[[View], View]:
    """Mark a view as a JSON API endpoint: CSRF-exempt, ``methods`` only, errors as JSON.

    Callers authenticate with ``Authorization: Bearer <token>``, one of ``HOST_API_TOKENS``
    (``authenticate=False`` for endpoints that verify their own signature). CSRF is exempt
    because clients are not browsers with cookies. Requiring ``Content-Type:
    application/json`` on bodies keeps cross-site HTML forms out: a browser can only send
    that type cross-origin after a CORS preflight, which the host never grants.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error_response(
                    "request.method_not_allowed", f"use {' or '.join(methods)}"
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                if authenticate:
                    _require_token(request)
                if require_json and request.method == "POST":
                    _require_json_content_type(request)
                return view(request, *args, **kwargs)
            except (RequestError, SignatureError, AccountsError, BillingError) as exc:
                response = error_response(exc.code, _message(exc))
                if exc.code.startswith("auth."):
                    response["WWW-Authenticate"] = 'Bearer realm="host"'
                return response

        return csrf_exempt(wrapper)

    return decorate


def _message(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc) or exc.__class__.__name__


def _require_token(request: HttpRequest) -> None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RequestError("auth.missing_token", "send Authorization: Bearer <token>")
    given = token.strip().encode()
    # every configured token is compared, in constant time, so timing tells nothing
    matches = [hmac.compare_digest(given, t.encode()) for t in settings.HOST_API_TOKENS]
    if not any(matches):
        raise RequestError("auth.invalid_token", "the bearer token is not valid")


def _require_json_content_type(request: HttpRequest) -> None:
    if request.content_type != "application/json":
        raise RequestError(
            "request.unsupported_media_type", "send the body as Content-Type: application/json"
        )


def read_body(request: HttpRequest) -> bytes:
    try:
        return request.body
    except RequestDataTooBig:
        raise RequestError("request.too_large", "the request body is too large") from None


def json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise RequestError("request.invalid_json", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise RequestError("request.invalid_json", "the body must be a JSON object")
    return data


# --- typed field readers: raise RequestError naming the field (``at``: where it is nested)


def string_field(data: dict[str, Any], name: str, *, at: str = "", max_length: int = 200) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _field_error(at, name, "must be a non-empty string")
    if len(value) > max_length:
        raise _field_error(at, name, f"must be at most {max_length} characters")
    return value


def int_field(data: dict[str, Any], name: str, *, at: str = "") -> int:
    value = data.get(name)
    # bool is an int subclass in Python; true/false is not an id or a quantity
    if not isinstance(value, int) or isinstance(value, bool):
        raise _field_error(at, name, "must be an integer")
    return value


def decimal_field(data: dict[str, Any], name: str, *, at: str = "") -> Decimal:
    """Money arrives as a string ("12.50"): JSON numbers are binary floats in most clients."""
    value = data.get(name)
    if not isinstance(value, str):
        raise _field_error(at, name, 'must be a decimal string such as "12.50"')
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise _field_error(at, name, 'must be a decimal string such as "12.50"') from None
    if not amount.is_finite():
        raise _field_error(at, name, "must be a finite number")
    return amount


def list_field(
    data: dict[str, Any], name: str, *, at: str = "", max_items: int = _MAX_LINES
) -> list[Any]:
    value = data.get(name)
    if not isinstance(value, list):
        raise _field_error(at, name, "must be a list")
    if len(value) > max_items:
        raise _field_error(at, name, f"must have at most {max_items} items")
    return value


def object_item(items: list[Any], index: int, name: str) -> dict[str, Any]:
    item = items[index]
    if not isinstance(item, dict):
        raise _field_error("", f"{name}[{index}]", "must be an object")
    return item


def _field_error(at: str, name: str, problem: str) -> RequestError:
    """``at`` locates nested fields: ``lines[2].quantity must be an integer``."""
    label = f"{at}.{name}" if at else name
    return RequestError("request.invalid_field", f"{label} {problem}")
