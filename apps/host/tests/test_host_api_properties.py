"""Property-based tests of every host API endpoint (hypothesis): whatever a caller sends, the
answer is never a 5xx, every 4xx is the API's error shape with the status its code maps to,
and every 4xx leaves every table's row count as it was.

The inputs are what an attacker would try: valid requests with one field replaced by any
JSON value, random JSON, raw bytes, other content types, huge and exponent-laden amounts,
NUL characters and lone surrogates, deep nesting, long and malformed signature headers,
ids outside any integer column. They run on SQLite and, under ``--postgres``, PostgreSQL.
The example counts come from the profile in conftest.py (``HYPOTHESIS_PROFILE``).
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from accounts_app.api import close_account, open_account
from billing_app.api import InvoiceLineData, InvoiceService
from django.test import Client
from host import signatures
from host.http import STATUS_BY_CODE
from host_api_client import API_TOKEN, row_counts_now
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

# enough examples to find what a caller can break, few enough
# for CI (each example is one request on the test database); HYPOTHESIS_PROFILE=thorough
# runs ten times as many
hypothesis_settings.register_profile(
    "host-ci",
    max_examples=40,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the checkout
    derandomize=True,  # the same examples on every run: CI failures reproduce
    # the examples share one test database (pytest-django's db fixture), on purpose: row
    # counts are compared around each request, not between examples
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "thorough",
    parent=hypothesis_settings.get_profile("host-ci"),
    max_examples=400,
    derandomize=False,
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "host-ci"))

WEBHOOK_SECRET = "property-webhook-secret"


@pytest.fixture
def world(db: None, settings: Any, api_tokens: list[str]) -> dict[str, int]:
    """An account, a closed account, a draft and an open invoice to aim requests at."""
    settings.HOST_WEBHOOK_SECRET = WEBHOOK_SECRET
    account = open_account(name="Ada", email="ada@example.com").id
    closed = open_account(name="Gone", email="gone@example.com").id
    close_account(closed)
    service = InvoiceService()
    line = InvoiceLineData(description="Seat", quantity=1, unit_price=Decimal("20.00"))
    draft = service.create(account_id=account, currency="EUR", lines=[line]).id
    opened = service.issue(service.create(account_id=account, currency="EUR", lines=[line]).id).id
    return {"account": account, "closed": closed, "draft": draft, "open": opened}


# --- what callers send -------------------------------------------------------------------

_TEXT = st.text(max_size=40) | st.sampled_from(["", " ", "a\x00b", "\ud800", "é" * 300, "EUR"])
_HEADER_TEXT = st.text(st.characters(codec="latin-1"), max_size=60)
_NUMBER_TEXT = st.from_regex(r"-?[0-9]{0,30}(\.[0-9]{0,30})?([eE][-+]?[0-9]{1,8})?", fullmatch=True)
_AMOUNT = (
    _NUMBER_TEXT
    | st.sampled_from(["NaN", "Infinity", "-0", "1e26", "1E+1000000", "0.001", " 5.00", "5,00"])
    | st.decimals(allow_nan=False, allow_infinity=False).map(str)
)
_INTEGER = st.integers(min_value=-(2**70), max_value=2**70)
_SCALAR = st.none() | st.booleans() | _INTEGER | st.floats() | _TEXT | _AMOUNT
_JSON = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


def _mutated(valid: dict[str, Any], values: st.SearchStrategy[Any] = _JSON) -> st.SearchStrategy:
    """``valid`` with one field replaced or dropped, or left as it is."""
    keys = st.sampled_from(sorted(valid))
    replaced = st.tuples(keys, values).map(lambda kv: {**valid, kv[0]: kv[1]})
    dropped = keys.map(lambda k: {key: v for key, v in valid.items() if key != k})
    return st.just(valid) | replaced | dropped


def _line() -> st.SearchStrategy[Any]:
    valid = {"description": "Seat", "quantity": 1, "unit_price": "10.00"}
    return _mutated(valid, _JSON | _AMOUNT | _INTEGER)


def _invoice(world: dict[str, int]) -> st.SearchStrategy[Any]:
    account = st.sampled_from([world["account"], world["closed"], 987654, 0, -1, 2**63]) | _JSON
    return st.fixed_dictionaries(
        {
            "account_id": account,
            "currency": st.sampled_from(["EUR", "eur", "EURO", "", "E\x00R"]) | _JSON,
            "lines": st.lists(_line(), max_size=3) | _JSON,
        }
    )


def _deep(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


_RAW = st.binary(max_size=200) | st.sampled_from(
    [b"", b"{", b"[]", b"null", b'{"a": NaN}', b'"\\u0000"', _deep(40), _deep(5000), b"1" * 5000]
)


def _body(payloads: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[bytes, str]]:
    """(body, content type): mostly JSON of ``payloads``, sometimes raw bytes or other types."""
    as_json = payloads.map(lambda value: (json.dumps(value).encode(), "application/json"))
    raw = st.tuples(_RAW, st.sampled_from(["application/json", "text/plain", "", "multipart/x"]))
    return as_json | raw


# --- the properties ----------------------------------------------------------------------


def _check(client: Client, send: Callable[[Client], Any]) -> None:
    """``send`` one request; no 5xx, and a 4xx is the error shape and changed no table."""
    before = row_counts_now()
    response = send(client)
    status = response.status_code
    assert status < 500, (status, response.content[:500])
    if status >= 400:
        error = response.json()["error"]
        assert set(error) == {"code", "message"}
        assert STATUS_BY_CODE.get(error["code"], 400) == status
        assert row_counts_now() == before, error


def _auth(token: str | None) -> dict[str, str]:
    return {} if token is None else {"Authorization": token}


_TOKENS = st.just(f"Bearer {API_TOKEN}") | st.none() | _HEADER_TEXT.map(lambda t: f"Bearer {t}")


def _path_id(known: list[int]) -> st.SearchStrategy[str]:
    ids = st.sampled_from(known) | _INTEGER | _TEXT
    # a lone surrogate travels as the percent-encoded bytes of invalid UTF-8
    return ids.map(lambda v: urllib.parse.quote(str(v), safe="", errors="surrogatepass"))


@given(data=st.data())
def test_host_api_create_account_never_fails_on_input(client: Client, world, data) -> None:
    body, content_type = data.draw(_body(_mutated({"name": "Eve", "email": "eve@example.com"})))
    token = data.draw(_TOKENS)
    _check(
        client,
        lambda c: c.post("/api/accounts", body, content_type=content_type, headers=_auth(token)),
    )


@given(data=st.data())
def test_host_api_reads_never_fail_on_input(client: Client, world, data) -> None:
    kind = data.draw(st.sampled_from(["accounts", "invoices"]))
    known = [world["account"], world["closed"]] if kind == "accounts" else [world["draft"]]
    path = f"/api/{kind}/{data.draw(_path_id(known))}"
    token = data.draw(_TOKENS)
    _check(client, lambda c: c.get(path, headers=_auth(token)))


@given(data=st.data())
def test_host_api_create_invoice_never_fails_on_input(client: Client, world, data) -> None:
    body, content_type = data.draw(_body(_invoice(world)))
    _check(
        client,
        lambda c: c.post(
            "/api/invoices", body, content_type=content_type, headers=_auth(f"Bearer {API_TOKEN}")
        ),
    )


@given(data=st.data())
def test_host_api_issue_never_fails_on_input(client: Client, world, data) -> None:
    path = f"/api/invoices/{data.draw(_path_id([world['draft'], world['open']]))}/issue"
    body, content_type = data.draw(_body(_JSON))
    _check(
        client,
        lambda c: c.post(
            path, body, content_type=content_type, headers=_auth(f"Bearer {API_TOKEN}")
        ),
    )


@given(data=st.data())
def test_host_api_pay_never_fails_on_input(client: Client, world, data) -> None:
    path = f"/api/invoices/{data.draw(_path_id([world['open'], world['draft']]))}/payments"
    body, content_type = data.draw(_body(_mutated({"amount": "5.00"}, _JSON | _AMOUNT)))
    headers = _auth(f"Bearer {API_TOKEN}")
    key = data.draw(st.none() | _HEADER_TEXT | st.sampled_from(["k", "k" * 129, "a\x00b"]))
    if key is not None:
        headers["Idempotency-Key"] = key
    _check(client, lambda c: c.post(path, body, content_type=content_type, headers=headers))


def _signature(body: bytes) -> st.SearchStrategy[str | None]:
    now = int(time.time())
    good = signatures.sign(WEBHOOK_SECRET.encode(), now, body)
    stale = signatures.sign(WEBHOOK_SECRET.encode(), now - 10_000, body)
    return (
        st.just(good)
        | st.just(stale)
        | st.none()
        | _HEADER_TEXT
        | st.integers(min_value=0, max_value=6000).map(lambda n: "t=" + "9" * n + ",v1=00")
        | st.lists(_HEADER_TEXT, max_size=30).map(",".join)
    )


@given(data=st.data())
def test_host_api_inbound_webhook_never_fails_on_input(client: Client, world, data) -> None:
    event = _mutated({"id": "evt_1", "type": "payment.settled", "data": {"amount": "5.00"}})
    body, content_type = data.draw(_body(event))
    signature = data.draw(_signature(body))
    headers = {} if signature is None else {"X-Signature": signature}
    _check(
        client,
        lambda c: c.post("/api/webhooks/inbound", body, content_type=content_type, headers=headers),
    )
