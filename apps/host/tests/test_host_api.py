"""The JSON HTTP API: happy paths, and every refusal is a 4xx JSON error that changes nothing."""

from __future__ import annotations

import inspect
import json
import logging
from decimal import Decimal

import accounts_app.api
import billing_app.api
import pytest
from accounts_app.api import close_account, get_account, open_account, suspend_account
from billing_app.api import InvoiceLineData, InvoiceService, webhook_payload
from django.contrib.staticfiles import finders
from host.http import STATUS_BY_CODE
from host.payments import fake_reference
from host.schemas import MONEY_PATTERN

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
        ({"email": "a@example.com"}, "request.invalid_field", "name is required"),
        ({"name": "A", "email": 7}, "request.invalid_field", "email must be a string"),
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
        ({"currency": "EUR", "lines": LINES}, "account_id is required"),
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
            'lines[0].unit_price must be a decimal string such as "12.50"',
        ),
        (
            {
                "account_id": "{id}",
                "currency": "EUR",
                "lines": [{"description": "Seat", "quantity": 2, "unit_price": "1e26"}],
            },
            'lines[0].unit_price must be a decimal string such as "12.50"',
        ),
        (
            {
                "account_id": 2**63,
                "currency": "EUR",
                "lines": [{"description": "Seat", "quantity": 2, "unit_price": "1.00"}],
            },
            f"account_id must be at most {2**63 - 1}",
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

    # then both answers are the same payment, the retry says it is one, and it wrote nothing
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
    assert second == (200, payment)
    assert api.last_response["Idempotent-Replayed"] == "true"
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


def test_host_api_paths_no_pattern_matches_are_json_404s(api) -> None:
    # given a path the catch-all cannot match (its newline is outside <path:>)
    status, body = api.get("/api/nothing/%0A")

    # then it is still the API's error, not Django's HTML page
    assert (status, body) == (404, _error("request.not_found", "no API endpoint at this path"))


# --- bounds of what a request may carry ----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        (
            b'{"name": "' + b"x" * 70_000 + b'"}',
            413,
            "request.too_large",
            "the request body is larger than 65536 bytes",
        ),
        (
            b'{"a":' * 33 + b"1" + b"}" * 33,
            400,
            "request.invalid_json",
            "the body nests 33 levels deep (at most 32)",
        ),
        (
            b'{"name": "Ada\\u0000", "email": "ada@example.com"}',
            400,
            "request.invalid_field",
            "name contains a NUL character",
        ),
        (
            b'{"name": "\\ud800", "email": "ada@example.com"}',
            400,
            "request.invalid_field",
            "name contains a lone surrogate (\\ud800-\\udfff)",
        ),
        (
            b'{"name": "Ada", "email": "ada@example.com", "x": NaN}',
            400,
            "request.invalid_json",
            "the body is not valid JSON",
        ),
        (b"\xff\xfe", 400, "request.invalid_json", "the body is not valid JSON"),
    ],
)
def test_host_api_bodies_out_of_bounds_are_refused(api, row_counts, body, status, code, message):
    before = row_counts()

    assert api.post_raw("/api/accounts", body, content_type="application/json") == (
        status,
        _error(code, message),
    )
    assert row_counts() == before


@pytest.mark.parametrize(
    ("make_account", "code", "message"),
    [
        (lambda: 987654, "billing.unknown_account", "account 987654 does not exist"),
        (
            lambda: close_account(open_account(name="Gone", email="gone@example.com").id).id,
            "billing.account_closed",
            "account {id} is closed",
        ),
    ],
)
def test_host_api_invoice_for_an_unknown_or_closed_account_is_a_422(
    api, row_counts, make_account, code, message
) -> None:
    # given an account id no invoice can be for
    account_id = make_account()
    before = row_counts()

    # when a draft is asked for it
    status, body = api.post(
        "/api/invoices", {"account_id": account_id, "currency": "EUR", "lines": LINES}
    )

    # then it is refused as unprocessable, with the domain's code, and nothing is written
    assert (status, body) == (422, _error(code, message.format(id=account_id)))
    assert row_counts() == before


def test_host_api_answers_a_crash_with_a_request_id_it_logs(
    client, settings, caplog, row_counts
) -> None:
    # given a broken configuration (no token list at all) and a caller's request id
    settings.HOST_API_TOKENS = None
    before = row_counts()

    # when a request comes in
    with caplog.at_level(logging.ERROR, logger="host.http"):
        response = client.get(
            "/api/accounts/1",
            headers={"Authorization": "Bearer x", "X-Request-Id": "req-42"},
        )

    # then the answer is the API's 500 naming the id, and the log has it with the traceback
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "server.error",
            "message": "the server failed; quote request id req-42 when you report it",
            "request_id": "req-42",
        }
    }
    assert response["X-Request-Id"] == "req-42"
    [record] = [r for r in caplog.records if r.name == "host.http"]
    assert record.getMessage() == "request req-42: GET /api/accounts/1 failed"
    assert record.exc_info is not None and record.exc_info[0] is TypeError
    assert row_counts() == before


def test_host_api_gives_every_answer_a_request_id(api) -> None:
    # when a caller sends none, or one that is not a plain token, then one is made up
    api.get("/api/accounts/999999")
    made = api.last_response["X-Request-Id"]
    api._client.get("/api/accounts/1", headers={"X-Request-Id": "no spaces allowed"})

    assert len(made) == 32 and made.isalnum()


# --- the OpenAPI description -----------------------------------------------------------------


def test_host_api_schema_describes_every_endpoint_from_the_validating_code(client) -> None:
    # when the description is fetched (no token needed)
    response = client.get("/api/schema")

    # then it lists every endpoint, with the security schemes and the request bounds the
    # validation enforces
    schema = response.json()
    assert response.status_code == 200
    assert schema["openapi"].startswith("3.")
    assert {path: sorted(ops) for path, ops in schema["paths"].items()} == {
        "/api/accounts": ["post"],
        "/api/accounts/{account_id}": ["get"],
        "/api/invoices": ["post"],
        "/api/invoices/{invoice_id}": ["get"],
        "/api/invoices/{invoice_id}/issue": ["post"],
        "/api/invoices/{invoice_id}/payments": ["post"],
        "/api/webhooks/inbound": ["post"],
    }
    assert schema["components"]["securitySchemes"] == {
        "BearerToken": {"type": "http", "scheme": "bearer"},
        "SignedBody": {"type": "apiKey", "in": "header", "name": "X-Signature"},
    }
    components = schema["components"]["schemas"]
    assert components["PaymentIn"]["properties"]["amount"]["pattern"] == MONEY_PATTERN
    assert components["InvoiceIn"]["properties"]["lines"]["maxItems"] == 100
    assert components["AccountIn"]["properties"]["name"]["maxLength"] == 200
    pay = schema["paths"]["/api/invoices/{invoice_id}/payments"]["post"]
    assert sorted(pay["responses"]) == [
        "200",
        "201",
        "400",
        "401",
        "402",
        "404",
        "409",
        "413",
        "415",
        "500",
        "502",
    ]
    assert [p["name"] for p in pay["parameters"]] == ["invoice_id", "Idempotency-Key"]


def test_host_api_docs_page_renders_the_schema(client) -> None:
    # when a person opens the docs page
    response = client.get("/api/docs")

    # then it is the Swagger UI page over /api/schema, with its assets served by the host
    page = response.content.decode()
    assert response.status_code == 200
    assert '"url": "/api/schema"' in page
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert finders.find("ninja/swagger-ui-bundle.js") is not None
