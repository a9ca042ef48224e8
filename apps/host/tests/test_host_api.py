"""The JSON HTTP API: happy paths, and every refusal is a 4xx JSON error that changes nothing."""

from __future__ import annotations

import inspect
import json
from decimal import Decimal

import accounts_app.api
import billing_app.api
import pytest
from accounts_app.api import get_account, open_account, suspend_account
from billing_app.api import InvoiceLineData, InvoiceService, webhook_payload
from host.http import STATUS_BY_CODE
from host.payments import fake_reference

LINES = [
    {"description": "Seat", "quantity": 2, "unit_price": "10.00"},
    {"description": "Support", "quantity": 1, "unit_price": "5.25"},
]


@pytest.fixture
def account_id(db: None) -> int:
    return open_account(name="Ada", email="ada@example.com").id


@pytest.fixture
def open_invoice_id(account_id: int) -> int:
    service = InvoiceService()
    invoice = service.create(
        account_id=account_id,
        currency="EUR",
        lines=[InvoiceLineData(description="Seat", quantity=1, unit_price=Decimal("20.00"))],
    )
    return service.issue(invoice.id).id


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


# --- accounts ------------------------------------------------------------------------------


def test_host_api_create_account(api, row_counts) -> None:
    status, body = api.post("/api/accounts", {"name": "Grace", "email": "grace@example.com"})

    assert status == 201
    created = get_account(body["id"])
    assert body == {
        "id": created.id,
        "name": "Grace",
        "email": "grace@example.com",
        "status": "active",
        "created_at": created.created_at.isoformat(),
    }
    assert api.get(f"/api/accounts/{created.id}") == (200, body)


@pytest.mark.parametrize(
    ("payload", "code", "message"),
    [
        ([1, 2], "request.invalid_json", "the body must be a JSON object"),
        ({"email": "a@example.com"}, "request.invalid_field", "name must be a non-empty string"),
        ({"name": "A", "email": 7}, "request.invalid_field", "email must be a non-empty string"),
        (
            {"name": " ", "email": "a@example.com"},
            "request.invalid_field",
            "name must be a non-empty string",
        ),
    ],
)
def test_host_api_create_account_bad_input_changes_nothing(
    api, row_counts, payload, code, message
) -> None:
    before = row_counts()

    status, body = api.post("/api/accounts", payload)

    assert (status, body) == (400, _error(code, message))
    assert row_counts() == before


def test_host_api_domain_validation_error_is_a_400(api, row_counts) -> None:
    before = row_counts()

    status, body = api.post("/api/accounts", {"name": "Ada", "email": "not-an-email"})

    assert status == 400
    assert body["error"]["code"] == "accounts.invalid_data"
    assert row_counts() == before


def test_host_api_malformed_json_and_wrong_content_type(api, row_counts) -> None:
    before = row_counts()

    assert api.post_raw("/api/accounts", b"{nope", content_type="application/json") == (
        400,
        _error("request.invalid_json", "the body is not valid JSON"),
    )
    assert api.post_raw("/api/accounts", b"name=A", content_type="text/plain") == (
        415,
        _error("request.unsupported_media_type", "send the body as Content-Type: application/json"),
    )
    assert row_counts() == before


def test_host_api_wrong_method_and_unknown_path(api, client) -> None:
    response = client.get("/api/accounts")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == _error("request.method_not_allowed", "use POST")

    assert api.get("/api/nothing/here") == (
        404,
        _error("request.not_found", "no API endpoint at /api/nothing/here"),
    )
    status, body = api.get("/api/accounts/999999")
    assert (status, body["error"]["code"]) == (404, "accounts.not_found")


# --- authentication ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "code", "message"),
    [
        (None, "auth.missing_token", "send Authorization: Bearer <token>"),
        ("Basic dXNlcjpwYXNz", "auth.missing_token", "send Authorization: Bearer <token>"),
        ("Bearer ", "auth.missing_token", "send Authorization: Bearer <token>"),
        ("Bearer not-a-token", "auth.invalid_token", "the bearer token is not valid"),
        ("Bearer test-api-token-and-more", "auth.invalid_token", "the bearer token is not valid"),
    ],
)
def test_host_api_refuses_callers_without_a_valid_token(
    client, api_tokens, row_counts, authorization, code, message
) -> None:
    # given a caller with a missing, malformed or unknown token
    headers = {} if authorization is None else {"Authorization": authorization}
    before = row_counts()
    # when it reads and writes
    read = client.get("/api/accounts/1", headers=headers)
    write = client.post(
        "/api/accounts",
        json.dumps({"name": "Eve", "email": "eve@example.com"}),
        content_type="application/json",
        headers=headers,
    )
    # then both are 401 with a Bearer challenge, and nothing was written
    for response in (read, write):
        assert (response.status_code, response.json()) == (401, _error(code, message))
        assert response["WWW-Authenticate"] == 'Bearer realm="host"'
    assert row_counts() == before


def test_host_api_accepts_each_configured_token(client, api_tokens, account_id) -> None:
    # given two configured tokens (one being rotated in)
    # when each is sent, then each is accepted
    for token in api_tokens:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get(f"/api/accounts/{account_id}", headers=headers).status_code == 200


def test_host_api_inbound_webhook_needs_a_signature_not_a_token(client, api_tokens) -> None:
    # given no token, when the webhook endpoint is called, then the signature is asked for
    response = client.post("/api/webhooks/inbound", b"{}", content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (
        400,
        "webhooks.missing_signature",
    )


# --- invoices ------------------------------------------------------------------------------


def test_host_api_create_issue_and_get_invoice(api, account_id) -> None:
    # when a draft is created
    status, draft = api.post(
        "/api/invoices", {"account_id": account_id, "currency": "EUR", "lines": LINES}
    )

    # then it is rendered with string money
    assert status == 201
    assert draft == {
        "id": draft["id"],
        "number": InvoiceService().get(draft["id"]).number,
        "account_id": account_id,
        "currency": "EUR",
        "status": "draft",
        "total": "25.25",
        "amount_paid": "0.00",
        "amount_due": "25.25",
    }

    # when it is issued, then it is open; GET renders what the webhook payload renders
    status, issued = api.post(f"/api/invoices/{draft['id']}/issue")
    assert (status, issued) == (200, {**draft, "status": "open"})
    assert api.get(f"/api/invoices/{draft['id']}") == (200, issued)
    assert issued == webhook_payload(draft["id"])["invoice"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"currency": "EUR", "lines": LINES}, "account_id must be an integer"),
        ({"account_id": True, "currency": "EUR", "lines": LINES}, "account_id must be an integer"),
        (
            {"account_id": "{id}", "currency": "EURO", "lines": LINES},
            "currency must be at most 3 characters",
        ),
        ({"account_id": "{id}", "currency": "EUR", "lines": {}}, "lines must be a list"),
        (
            {"account_id": "{id}", "currency": "EUR", "lines": [LINES[0], "x"]},
            "lines[1] must be an object",
        ),
        (
            {
                "account_id": "{id}",
                "currency": "EUR",
                "lines": [{"description": "Seat", "quantity": "2", "unit_price": "1.00"}],
            },
            "lines[0].quantity must be an integer",
        ),
        (
            {
                "account_id": "{id}",
                "currency": "EUR",
                "lines": [{"description": "Seat", "quantity": 2, "unit_price": 1.1}],
            },
            'lines[0].unit_price must be a decimal string such as "12.50"',
        ),
        (
            {
                "account_id": "{id}",
                "currency": "EUR",
                "lines": [{"description": "Seat", "quantity": 2, "unit_price": "abc"}],
            },
            'lines[0].unit_price must be a decimal string such as "12.50"',
        ),
        (
            {
                "account_id": "{id}",
                "currency": "EUR",
                "lines": [{"description": "Seat", "quantity": 2, "unit_price": "NaN"}],
            },
            "lines[0].unit_price must be a finite number",
        ),
    ],
)
def test_host_api_create_invoice_bad_input_changes_nothing(
    api, row_counts, account_id, payload, message
) -> None:
    # given a payload that is wrong in one field
    payload = {k: (account_id if v == "{id}" else v) for k, v in payload.items()}
    before = row_counts()

    # when it is posted
    status, body = api.post("/api/invoices", payload)

    # then a 400 names the field, and no row was written
    assert (status, body) == (400, _error("request.invalid_field", message))
    assert row_counts() == before


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"currency": "E1R"}, "billing.invalid_currency"),
        ({"currency": "eur"}, "billing.invalid_currency"),
        ({"account_id": -1}, "billing.invalid_data"),
        (
            {"lines": [{"description": "Seat", "quantity": 0, "unit_price": "1.00"}]},
            "billing.invalid_amount",
        ),
        (
            {"lines": [{"description": "Seat", "quantity": 1, "unit_price": "1.001"}]},
            "billing.invalid_amount",
        ),
        (
            {"lines": [{"description": "Seat", "quantity": 1, "unit_price": "-1.00"}]},
            "billing.invalid_amount",
        ),
    ],
)
def test_host_api_create_invoice_domain_refusals(api, row_counts, account_id, change, code) -> None:
    # given input the host passes on and billing refuses
    before = row_counts()
    payload = {"account_id": account_id, "currency": "EUR", "lines": LINES, **change}

    # when it is posted, then the domain's code comes back as a 400 and nothing was written
    status, body = api.post("/api/invoices", payload)

    assert (status, body["error"]["code"]) == (400, code)
    assert row_counts() == before


def test_host_api_issue_refusals_change_nothing(api, row_counts, account_id) -> None:
    # given an open invoice and a draft of a suspended account
    _, invoice = api.post(
        "/api/invoices", {"account_id": account_id, "currency": "EUR", "lines": LINES}
    )
    api.post(f"/api/invoices/{invoice['id']}/issue")
    other = open_account(name="Linus", email="linus@example.com")
    _, draft = api.post(
        "/api/invoices", {"account_id": other.id, "currency": "EUR", "lines": LINES}
    )
    suspend_account(other.id)
    before = row_counts()

    # when each is issued (again), then the refusal maps to 409 / 404
    status, body = api.post(f"/api/invoices/{invoice['id']}/issue")
    assert (status, body["error"]["code"]) == (409, "billing.invalid_transition")
    status, body = api.post(f"/api/invoices/{draft['id']}/issue")
    assert (status, body["error"]["code"]) == (409, "billing.account_not_billable")
    status, body = api.post("/api/invoices/999999/issue")
    assert (status, body["error"]["code"]) == (404, "billing.invoice_not_found")
    assert row_counts() == before
    assert api.get(f"/api/invoices/{draft['id']}")[1]["status"] == "draft"


# --- payments ------------------------------------------------------------------------------


def test_host_api_pay_invoice_is_idempotent(api, row_counts, open_invoice_id) -> None:
    headers = {"Idempotency-Key": "order-42"}
    path = f"/api/invoices/{open_invoice_id}/payments"

    # when the same payment is posted twice with the same key
    first = api.post(path, {"amount": "20.00"}, headers=headers)
    after_first = row_counts()
    second = api.post(path, {"amount": "20.00"}, headers=headers)

    # then both answers are the same payment, and the retry wrote nothing
    status, payment = first
    assert status == 201
    assert payment == {
        "id": payment["id"],
        "invoice_id": open_invoice_id,
        "amount": "20.00",
        "currency": "EUR",
        "gateway_reference": fake_reference("order-42"),
        "idempotency_key": "order-42",
    }
    assert second == first
    assert row_counts() == after_first
    _, invoice = api.get(f"/api/invoices/{open_invoice_id}")
    assert (invoice["status"], invoice["amount_paid"], invoice["amount_due"]) == (
        "paid",
        "20.00",
        "0.00",
    )


@pytest.mark.parametrize(
    ("amount", "headers", "status", "code"),
    [
        ("5.00", {}, 400, "request.missing_idempotency_key"),
        ("5.00", {"Idempotency-Key": "k" * 129}, 400, "billing.invalid_idempotency_key"),
        ("5.00", {"Idempotency-Key": " "}, 400, "billing.invalid_idempotency_key"),
        (5, {"Idempotency-Key": "k1"}, 400, "request.invalid_field"),
        ("0.00", {"Idempotency-Key": "k2"}, 400, "billing.invalid_amount"),
        ("1.234", {"Idempotency-Key": "k3"}, 400, "billing.invalid_amount"),
        ("20.01", {"Idempotency-Key": "k4"}, 409, "billing.overpayment"),
        ("5.13", {"Idempotency-Key": "k5"}, 402, "billing.gateway_declined"),
        ("5.14", {"Idempotency-Key": "k6"}, 502, "billing.gateway_error"),
    ],
)
def test_host_api_pay_invoice_refusals_change_nothing(
    api, row_counts, open_invoice_id, amount, headers, status, code
) -> None:
    before = row_counts()
    path = f"/api/invoices/{open_invoice_id}/payments"

    got_status, body = api.post(path, {"amount": amount}, headers=headers)

    assert (got_status, body["error"]["code"]) == (status, code)
    assert row_counts() == before
    _, invoice = api.get(f"/api/invoices/{open_invoice_id}")
    assert (invoice["status"], invoice["amount_paid"]) == ("open", "0.00")


def test_host_api_pay_draft_or_missing_invoice(api, row_counts, account_id) -> None:
    _, draft = api.post(
        "/api/invoices", {"account_id": account_id, "currency": "EUR", "lines": LINES}
    )
    before = row_counts()
    headers = {"Idempotency-Key": "k"}

    status, body = api.post(
        f"/api/invoices/{draft['id']}/payments", {"amount": "1.00"}, headers=headers
    )
    assert (status, body["error"]["code"]) == (409, "billing.invalid_transition")
    status, body = api.post("/api/invoices/999999/payments", {"amount": "1.00"}, headers=headers)
    assert (status, body["error"]["code"]) == (404, "billing.invoice_not_found")
    assert row_counts() == before


# --- the error table -----------------------------------------------------------------------


def test_host_api_maps_every_exported_domain_error() -> None:
    # given every error class the packages export
    exported = [
        obj
        for module in (accounts_app.api, billing_app.api)
        for name in module.__all__
        if inspect.isclass(obj := getattr(module, name)) and issubclass(obj, Exception)
    ]
    bases = {accounts_app.api.AccountsError, billing_app.api.BillingError}

    # then each concrete one has an explicit status in the one table
    unmapped = sorted(
        cls.code for cls in exported if cls not in bases and cls.code not in STATUS_BY_CODE
    )
    assert unmapped == []
