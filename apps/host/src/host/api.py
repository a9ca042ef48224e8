"""The host API as one django-ninja ``NinjaAPI``: authentication, body parsing, and the
translation of every error into ``{"error": {"code", "message"}}`` (``host.http``).

``/api/schema`` serves the OpenAPI description and ``/api/docs`` a browsable page of it,
both generated from the schemas and operations that validate the requests
(``host.schemas``, ``host.views``).

Why django-ninja: the request schemas are pydantic models, so the validation the API runs
and the OpenAPI it publishes come from one definition; it is a small, well-kept library
on plain Django views (no second framework, no serializers). Its defaults are replaced
where they would break the API's contract: bodies go through ``host.http``'s bounded
reader, and validation errors, authentication failures and crashes answer in the host's
error shape with stable codes.
"""

from __future__ import annotations

from typing import Any

from accounts_app.api import AccountsError
from billing_app.api import BillingError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from host import views
from host.auth import BearerToken
from host.http import RequestError, error_response, read_json_object, server_error
from host.schemas import MONEY_PATTERN, MONEY_PROBLEM, NOT_BLANK_PATTERN
from host.signatures import SignatureError

_DOMAIN_ERRORS = (RequestError, SignatureError, AccountsError, BillingError)


class _BoundedJson(Parser):
    """ninja's body parser, replaced by the bounded reader of ``host.http``."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return read_json_object(request)


api = NinjaAPI(
    title="host API",
    version="1",
    description=(
        "The host's JSON API over accounts and billing. Every error answers "
        '`{"error": {"code", "message"}}` with a stable code; a 500 also names a '
        "`request_id`. Bodies are JSON objects of at most 64 KiB (HOST_API_MAX_BODY_BYTES), "
        "nested at most 32 deep (HOST_API_MAX_DEPTH), with no NUL characters."
    ),
    openapi_url="/schema",
    docs_url="/docs",
    urls_namespace="api",
    auth=BearerToken(),
    parser=_BoundedJson(),
)
api.add_router("", views.router)


@api.exception_handler(RequestError)
@api.exception_handler(SignatureError)
@api.exception_handler(AccountsError)
@api.exception_handler(BillingError)
def _domain_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    code = str(getattr(exc, "code", "request.invalid_field"))
    response = error_response(code, getattr(exc, "message", None) or str(exc) or code)
    if code.startswith("auth."):
        response["WWW-Authenticate"] = 'Bearer realm="host"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja wraps what the body parser raised ("Cannot parse request body")
    if isinstance(exc.__cause__, _DOMAIN_ERRORS):
        return _domain_error(request, exc.__cause__)
    return error_response("request.invalid_json", str(exc))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _domain_error(request, RequestError("auth.missing_token", "authentication failed"))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    code, message = describe(exc.errors[0])
    return error_response(code, message)


@api.exception_handler(Exception)
def _crash(request: HttpRequest, exc: Exception) -> HttpResponse:
    return server_error(request, exc)


# --- pydantic's errors, said the way the rest of the API says them -------------------------

_PROBLEMS = {
    "missing": "is required",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "string_too_short": "must be a non-empty string",
    "string_too_long": "must be at most {max_length} characters",
    "too_long": "must have at most {max_length} items",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
}
_PATTERN_PROBLEMS = {
    MONEY_PATTERN: MONEY_PROBLEM,
    NOT_BLANK_PATTERN: "must be a non-empty string",
}
# a missing header with a code of its own
_MISSING = {
    ("header", "Idempotency-Key"): (
        "request.missing_idempotency_key",
        "send an Idempotency-Key header; retries of the same payment must reuse it",
    ),
}


def describe(error: dict[str, Any]) -> tuple[str, str]:
    """The code and message of one pydantic error: ``lines[0].quantity must be an integer``."""
    location = tuple(error.get("loc", ()))
    if error.get("type") == "missing" and location in _MISSING:
        return _MISSING[location]
    return "request.invalid_field", f"{_label(location)} {_problem(error)}"


def _label(location: tuple[Any, ...]) -> str:
    # ("body", "<parameter>", "lines", 0, "quantity"): the body's own path; else the name
    parts = location[2:] if location[:1] == ("body",) else location[1:]
    label = ""
    for part in parts:
        label += f"[{part}]" if isinstance(part, int) else (f".{part}" if label else str(part))
    return label or "the body"


def _problem(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        return _PATTERN_PROBLEMS.get(context.get("pattern", ""), "has the wrong form")
    template = _PROBLEMS.get(kind)
    if template is None:  # ours (PydanticCustomError) say it the API's way already
        return str(error.get("msg", "is not valid"))
    return template.format_map({key: str(value) for key, value in context.items()})
