"""The operations of the host API. They only take validated input, call the packages' public
services, and render: no business logic here.

Every operation wants ``Authorization: Bearer <token>`` except the inbound webhook, which
verifies its ``X-Signature`` instead (``host.auth``). Errors are raised, and ``host.api``
answers them.
"""

from __future__ import annotations

from decimal import Decimal

from accounts_app.api import get_account, open_account
from billing_app.api import InvoiceLineData, InvoiceService
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import Header as HeaderParam
from ninja import P, Path, Router, Schema, Status

from host.auth import Signed, SignedBody
from host.http import error_response
from host.representations import account_json, invoice_json, payment_json
from host.schemas import (
    MAX_INT,
    AccountIn,
    AccountOut,
    ErrorOut,
    InboundEventIn,
    InboundEventOut,
    InvoiceIn,
    InvoiceOut,
    PaymentIn,
    PaymentOut,
)
from host.webhooks import record_inbound_event

router = Router()

# the header that marks an idempotent replay (the answer of the first payment, sent again)
REPLAYED = "Idempotent-Replayed"

AccountId = Path[int, P(ge=1, le=MAX_INT, description="the account's id")]
InvoiceId = Path[int, P(ge=1, le=MAX_INT, description="the invoice's id")]
IdempotencyKey = HeaderParam[
    str,
    P(
        alias="Idempotency-Key",
        description="at most 128 characters, chosen by the client: a retry of the same "
        "payment sends the same key and gets the first payment back",
    ),
]

# what every operation may answer besides its success: a bad request, no or a bad token or
# signature, a body too large or not JSON, a crash
_ALWAYS = (400, 401, 413, 415, 500)


def _answers(success: dict[int, type[Schema]], *errors: int) -> dict[int, type[Schema]]:
    """The statuses an operation answers (its OpenAPI responses): ``success``, then errors."""
    answers = dict(success)
    for status in (*errors, *_ALWAYS):
        answers[status] = ErrorOut
    return answers


@router.post(
    "/accounts",
    response=_answers({201: AccountOut}),
    tags=["accounts"],
    summary="Open an account",
)
def create_account(request: HttpRequest, payload: AccountIn) -> Status[dict[str, object]]:
    return Status(201, account_json(open_account(name=payload.name, email=payload.email)))


@router.get(
    "/accounts/{account_id}",
    response=_answers({200: AccountOut}, 404),
    tags=["accounts"],
    summary="Read an account",
)
def account_detail(request: HttpRequest, account_id: AccountId) -> dict[str, object]:
    return account_json(get_account(account_id))


@router.post(
    "/invoices",
    response=_answers({201: InvoiceOut}, 422),
    tags=["invoices"],
    summary="Create a draft invoice",
    description="422 `billing.unknown_account` or `billing.account_closed` when the account "
    "cannot be invoiced.",
)
def create_invoice(request: HttpRequest, payload: InvoiceIn) -> Status[dict[str, object]]:
    lines = [
        InvoiceLineData(
            description=line.description,
            quantity=line.quantity,
            unit_price=Decimal(line.unit_price),
        )
        for line in payload.lines
    ]
    invoice = InvoiceService().create(
        account_id=payload.account_id, currency=payload.currency, lines=lines
    )
    return Status(201, invoice_json(invoice))


@router.get(
    "/invoices/{invoice_id}",
    response=_answers({200: InvoiceOut}, 404),
    tags=["invoices"],
    summary="Read an invoice",
)
def invoice_detail(request: HttpRequest, invoice_id: InvoiceId) -> dict[str, object]:
    return invoice_json(InvoiceService().get(invoice_id))


@router.post(
    "/invoices/{invoice_id}/issue",
    response=_answers({200: InvoiceOut}, 404, 409),
    tags=["invoices"],
    summary="Issue a draft invoice (draft -> open)",
)
def issue_invoice(request: HttpRequest, invoice_id: InvoiceId) -> dict[str, object]:
    return invoice_json(InvoiceService().issue(invoice_id))


@router.post(
    "/invoices/{invoice_id}/payments",
    response=_answers({201: PaymentOut, 200: PaymentOut}, 402, 404, 409, 502),
    tags=["payments"],
    summary="Pay an open invoice",
    description="201 with the new payment; 200 with the first payment and "
    f"`{REPLAYED}: true` when the Idempotency-Key already paid this invoice this amount "
    "(nothing is charged again). 502 `billing.gateway_error` is retryable with the same key.",
)
def pay_invoice(
    request: HttpRequest,
    invoice_id: InvoiceId,
    payload: PaymentIn,
    idempotency_key: IdempotencyKey,
    response: HttpResponse,
) -> Status[dict[str, object]]:
    # imported here, not with the URLconf: upgrade rehearsals migrate with the host's
    # settings and billing releases older than charge_invoice (billing-app 1.4), and
    # `manage.py migrate` imports the URLconf for its system checks
    from billing_app.api import charge_invoice

    outcome = charge_invoice(
        invoice_id=invoice_id, amount=Decimal(payload.amount), idempotency_key=idempotency_key
    )
    if outcome.replayed:
        response[REPLAYED] = "true"
        return Status(200, payment_json(outcome.payment))
    return Status(201, payment_json(outcome.payment))


@router.post(
    "/webhooks/inbound",
    auth=SignedBody(),
    response=_answers({202: InboundEventOut, 200: InboundEventOut}),
    tags=["webhooks"],
    summary="Receive a signed event",
    description='`X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`; '
    "202 for a new event id, 200 for one received before (recorded once).",
)
def inbound_webhook(request: HttpRequest, payload: InboundEventIn) -> Status[dict[str, object]]:
    signed: Signed = request.auth  # type: ignore[attr-defined]
    event, created = record_inbound_event(
        event_id=payload.id,
        event_type=payload.type,
        payload=payload.model_dump(),
        signed_at=signed.signed_at,
    )
    answer = {"received": True, "id": event.event_id, "duplicate": not created}
    return Status(202 if created else 200, answer)


@csrf_exempt
def not_found(request: HttpRequest, rest: str) -> JsonResponse:
    """Every other path under /api/: a JSON 404, whatever the method."""
    return error_response("request.not_found", f"no API endpoint at /api/{rest}")
