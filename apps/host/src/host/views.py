"""The JSON HTTP API. Views only parse, call the packages' public services, and render.

Every endpoint wants ``Authorization: Bearer <token>`` (``HOST_API_TOKENS``), except the
inbound webhook, which verifies its HMAC signature instead.
"""

from __future__ import annotations

import time

from accounts_app.api import get_account, open_account
from billing_app.api import InvoiceLineData, InvoiceService, apply_payment
from django.conf import settings
from django.http import HttpRequest, JsonResponse

from host import signatures
from host.http import (
    RequestError,
    decimal_field,
    error_response,
    int_field,
    json_endpoint,
    json_object,
    list_field,
    object_item,
    read_body,
    string_field,
)
from host.representations import account_json, invoice_json, payment_json
from host.webhooks import record_inbound_event


@json_endpoint("POST")
def create_account(request: HttpRequest) -> JsonResponse:
    data = json_object(read_body(request))
    account = open_account(name=string_field(data, "name"), email=string_field(data, "email"))
    return JsonResponse(account_json(account), status=201)


@json_endpoint("GET")
def account_detail(request: HttpRequest, account_id: int) -> JsonResponse:
    return JsonResponse(account_json(get_account(account_id)))


@json_endpoint("POST")
def create_invoice(request: HttpRequest) -> JsonResponse:
    data = json_object(read_body(request))
    account_id = int_field(data, "account_id")
    currency = string_field(data, "currency", max_length=3)
    items = list_field(data, "lines")
    lines = []
    for index in range(len(items)):
        item = object_item(items, index, "lines")
        at = f"lines[{index}]"
        lines.append(
            InvoiceLineData(
                description=string_field(item, "description", at=at),
                quantity=int_field(item, "quantity", at=at),
                unit_price=decimal_field(item, "unit_price", at=at),
            )
        )
    invoice = InvoiceService().create(account_id=account_id, currency=currency, lines=lines)
    return JsonResponse(invoice_json(invoice), status=201)


@json_endpoint("GET")
def invoice_detail(request: HttpRequest, invoice_id: int) -> JsonResponse:
    return JsonResponse(invoice_json(InvoiceService().get(invoice_id)))


@json_endpoint("POST", require_json=False)
def issue_invoice(request: HttpRequest, invoice_id: int) -> JsonResponse:
    return JsonResponse(invoice_json(InvoiceService().issue(invoice_id)))


@json_endpoint("POST")
def pay_invoice(request: HttpRequest, invoice_id: int) -> JsonResponse:
    # billing validates the key itself (length, blank); the host only insists it is sent
    key = request.headers.get("Idempotency-Key")
    if key is None:
        raise RequestError(
            "request.missing_idempotency_key",
            "send an Idempotency-Key header; retries of the same payment must reuse it",
        )
    data = json_object(read_body(request))
    payment = apply_payment(invoice_id, decimal_field(data, "amount"), key)
    return JsonResponse(payment_json(payment), status=201)


@json_endpoint("POST", require_json=False, authenticate=False)
def inbound_webhook(request: HttpRequest) -> JsonResponse:
    """Verify ``X-Signature`` over the raw body, then record the event once per id."""
    body = read_body(request)
    signed_at = signatures.verify(
        request.headers.get("X-Signature"),
        body,
        secret=settings.HOST_WEBHOOK_SECRET.encode(),
        tolerance=settings.HOST_WEBHOOK_TOLERANCE,
        now=time.time(),
    )
    data = json_object(body)
    event, created = record_inbound_event(
        event_id=string_field(data, "id", max_length=100),
        event_type=string_field(data, "type", max_length=100),
        payload=data,
        signed_at=signed_at,
    )
    return JsonResponse(
        {"received": True, "id": event.event_id, "duplicate": not created},
        status=202 if created else 200,
    )


@json_endpoint("GET", "POST", "PUT", "PATCH", "DELETE", require_json=False)
def not_found(request: HttpRequest, rest: str) -> JsonResponse:
    return error_response("request.not_found", f"no API endpoint at /api/{rest}")
