"""The host API's HTTP edges: the ONE table mapping error codes to statuses, and the bounded
reading of request bodies.

Every failure leaves as ``{"error": {"code": ..., "message": ...}}``. Domain errors carry
stable ``code`` attributes (``accounts.*``, ``billing.*``); the host adds ``request.*``,
``auth.*``, ``webhooks.*`` and ``server.*``. Code raises; ``host.api`` translates.

A body is read only when it is ``application/json``, at most ``HOST_API_MAX_BODY_BYTES``
long, UTF-8, valid JSON (no ``NaN``/``Infinity``) nested at most ``HOST_API_MAX_DEPTH``
deep, a JSON object, and when no string in it (key or value) holds a NUL character or a
lone surrogate, which PostgreSQL cannot store. Everything after that is the schemas' job.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse

from host.conf import conf

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
    # host: a bug; logged with a traceback under the request id the answer names
    "server.error": 500,
}
logger = logging.getLogger(__name__)

# a code missing from the table (a newer package added an error) is still a client error;
# test_host_api checks that every error the packages export is listed
_DEFAULT_STATUS = 400


class RequestError(Exception):
    """The request itself is unusable (shape, types, headers); raised before any write."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def status_of(code: str) -> int:
    return STATUS_BY_CODE.get(code, _DEFAULT_STATUS)


def error_response(code: str, message: str, *, request_id: str | None = None) -> JsonResponse:
    """The one error shape; a 500 also names the request id its log lines carry."""
    error = {"code": code, "message": message}
    if request_id is not None:
        error["request_id"] = request_id
    return JsonResponse({"error": error}, status=status_of(code))


def server_error(request: HttpRequest, exc: BaseException) -> JsonResponse:
    """A bug: logged with its traceback under the request id, answered as a JSON 500 that
    names the id (``host.middleware`` gives every request one)."""
    request_id = getattr(request, "request_id", "-")
    logger.error("request %s: %s %s failed", request_id, request.method, request.path, exc_info=exc)
    return error_response(
        "server.error",
        f"the server failed; quote request id {request_id} when you report it",
        request_id=request_id,
    )


def read_body(request: HttpRequest) -> bytes:
    """The raw body, refused before it is read when its declared length is over the bound."""
    limit = conf.api_max_body_bytes
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or len(declared) > 12 or int(declared) > limit:
        raise _too_large(limit)
    try:
        body = request.body
    except RequestDataTooBig:
        raise _too_large(limit) from None
    if len(body) > limit:
        raise _too_large(limit)
    return body


def read_json_object(request: HttpRequest) -> dict[str, Any]:
    if request.content_type != "application/json":
        # also what keeps cross-site HTML forms out: a browser sends this type cross-origin
        # only after a CORS preflight, which the host never grants
        raise RequestError(
            "request.unsupported_media_type", "send the body as Content-Type: application/json"
        )
    raw = read_body(request)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid_json("the body is not valid JSON") from None
    depth = nesting_depth(text)
    if depth > conf.api_max_depth:
        raise _invalid_json(f"the body nests {depth} levels deep (at most {conf.api_max_depth})")
    try:
        data = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise _invalid_json("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise _invalid_json("the body must be a JSON object")
    _check_strings(data, "")
    return data


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest, counted without parsing (strings skipped)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub('""', text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _check_strings(value: object, at: str) -> None:
    if isinstance(value, str):
        _check_text(value, at)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, f"a key in {at or 'the body'}")
            _check_strings(item, f"{at}.{key}" if at else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{at}[{index}]")


def _check_text(text: str, at: str) -> None:
    if "\x00" in text:
        raise RequestError("request.invalid_field", f"{at} contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RequestError(
            "request.invalid_field", f"{at} contains a lone surrogate (\\ud800-\\udfff)"
        ) from None


def _invalid_json(message: str) -> RequestError:
    return RequestError("request.invalid_json", message)


def _too_large(limit: int) -> RequestError:
    return RequestError("request.too_large", f"the request body is larger than {limit} bytes")
