"""The host's gateways: FakeGateway, and HttpGateway against a tiny local HTTP server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from billing_app.api import (
    ChargeRequest,
    ChargeResult,
    GatewayDeclined,
    GatewayError,
    PaymentGateway,
)
from host.payments import FakeGateway, HttpGateway, fake_reference

REQUEST = ChargeRequest(
    account_id=7, amount=Decimal("12.50"), currency="EUR", idempotency_key="key-1"
)


# --- FakeGateway ---------------------------------------------------------------------------


def test_host_payments_fake_gateway_is_deterministic() -> None:
    gateway = FakeGateway()

    assert isinstance(gateway, PaymentGateway)
    assert gateway.charge(REQUEST) == ChargeResult(reference="fake-be2974546978")
    assert gateway.charge(REQUEST) == gateway.charge(REQUEST)
    assert fake_reference("key-1") == "fake-be2974546978"


@pytest.mark.parametrize(("amount", "error"), [("5.13", GatewayDeclined), ("100.14", GatewayError)])
def test_host_payments_fake_gateway_trigger_amounts(amount: str, error: type[Exception]) -> None:
    request = ChargeRequest(
        account_id=7, amount=Decimal(amount), currency="EUR", idempotency_key="k"
    )

    with pytest.raises(error):
        FakeGateway().charge(request)


# --- HttpGateway against a local server ----------------------------------------------------


@dataclass
class _Provider:
    """What the fake provider answers, and what it received."""

    status: int = 200
    body: bytes = b'{"reference": "prov-123"}'
    hold: threading.Event | None = None  # when set, the handler waits on it (for timeouts)
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def provider() -> Iterator[tuple[_Provider, str]]:
    state = _Provider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", "0"))
            state.received.append((self.path, dict(self.headers), self.rfile.read(length)))
            if state.hold is not None:
                state.hold.wait(timeout=10)
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(state.body)))
                self.end_headers()
                self.wfile.write(state.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first (the timeout test)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # keep test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # a short poll interval keeps shutdown() quick
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/charges"
    finally:
        if state.hold is not None:
            state.hold.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_host_payments_http_gateway_posts_the_charge(provider) -> None:
    state, url = provider

    result = HttpGateway(url, timeout=5).charge(REQUEST)

    assert result == ChargeResult(reference="prov-123")
    [(path, headers, body)] = state.received
    assert path == "/charges"
    assert headers["Content-Type"] == "application/json"
    assert headers["Idempotency-Key"] == "key-1"
    assert json.loads(body) == {
        "account_id": 7,
        "amount": "12.50",
        "currency": "EUR",
        "idempotency_key": "key-1",
    }


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (402, b"{}", GatewayDeclined, "payment provider refused the charge (HTTP 402)"),
        (400, b"{}", GatewayDeclined, "payment provider refused the charge (HTTP 400)"),
        (409, b"{}", GatewayError, "payment provider answered HTTP 409; retry later"),
        (429, b"{}", GatewayError, "payment provider answered HTTP 429; retry later"),
        (503, b"{}", GatewayError, "payment provider answered HTTP 503; retry later"),
        (200, b"not json", GatewayError, "payment provider answered 2xx without a reference"),
        (
            200,
            b'{"reference": ""}',
            GatewayError,
            "payment provider answered 2xx without a reference",
        ),
    ],
)
def test_host_payments_http_gateway_maps_provider_answers(
    provider, status: int, body: bytes, error: type[Exception], message: str
) -> None:
    state, url = provider
    state.status, state.body = status, body

    with pytest.raises(error) as excinfo:
        HttpGateway(url, timeout=5).charge(REQUEST)

    assert type(excinfo.value) is error
    assert str(excinfo.value) == message


def test_host_payments_http_gateway_timeout_is_retryable(provider) -> None:
    # given a provider that does not answer within the gateway's timeout
    state, url = provider
    state.hold = threading.Event()

    # when a charge is attempted, then it fails as a retryable gateway error
    with pytest.raises(GatewayError) as excinfo:
        HttpGateway(url, timeout=0.2).charge(REQUEST)
    assert excinfo.value.retryable is True
    assert str(excinfo.value).startswith("payment provider unreachable:")


def test_host_payments_http_gateway_unreachable_is_retryable() -> None:
    # given a port nobody listens on (bound then closed)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(GatewayError) as excinfo:
        HttpGateway(f"http://127.0.0.1:{port}/charges", timeout=5).charge(REQUEST)
    assert str(excinfo.value).startswith("payment provider unreachable:")


def test_host_payments_http_gateway_reads_settings_when_built(settings, provider) -> None:
    # given settings naming the provider (billing builds gateways with no arguments)
    state, url = provider
    settings.HOST_GATEWAY_URL = url
    settings.HOST_GATEWAY_TIMEOUT = 3

    gateway = HttpGateway()

    assert (gateway.url, gateway.timeout) == (url, 3.0)
    assert gateway.charge(REQUEST) == ChargeResult(reference="prov-123")


def test_host_payments_http_gateway_without_url(settings) -> None:
    settings.HOST_GATEWAY_URL = ""

    with pytest.raises(GatewayError, match="set HOST_GATEWAY_URL"):
        HttpGateway().charge(REQUEST)
