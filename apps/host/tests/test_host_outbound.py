"""Outbound webhook delivery (host.outbound, manage.py deliver_webhooks) to a real HTTP
receiver on 127.0.0.1 that verifies the signature as the host does for inbound webhooks."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command
from host import signatures
from host.models import OutboundWebhook
from host.outbound import DeliveryReport, Receiver, backoff, deliver_due

SECRET = b"test-outbound-secret"
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
PAYLOAD = {"version": "1", "type": "invoice.updated", "invoice": {"id": 7, "status": "paid"}}


@dataclass
class FakeReceiver:
    """What the receiver got, the status it answers with next, and its clock (None: the
    real one) for checking the signature's timestamp."""

    url: str
    status: int = 204
    now: float | None = NOW.timestamp()
    received: list[dict] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    fake = FakeReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            signed_at = signatures.verify(
                self.headers["X-Signature"],
                body,
                secret=SECRET,
                tolerance=5,
                now=time.time() if fake.now is None else fake.now,
            )
            fake.received.append(
                {
                    "id": self.headers["X-Webhook-Id"],
                    "type": self.headers["Content-Type"],
                    "signed_at": signed_at,
                    "body": json.loads(body),
                }
            )
            self.send_response(fake.status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _to(url: str, max_attempts: int = 3) -> Receiver:
    return Receiver(url=url, secret=SECRET, timeout=5, max_attempts=max_attempts)


def _queued(**fields: object) -> OutboundWebhook:
    return OutboundWebhook.objects.create(payload=PAYLOAD, next_attempt_at=NOW, **fields)


def _state(webhook: OutboundWebhook) -> tuple:
    webhook.refresh_from_db()
    return (webhook.status, webhook.attempts, webhook.next_attempt_at, webhook.last_error)


@pytest.mark.django_db
def test_host_outbound_delivers_a_signed_webhook_once(receiver: FakeReceiver) -> None:
    # given a queued webhook
    webhook = _queued()
    # when the due ones are delivered, twice
    first = deliver_due(_to(receiver.url), now=NOW)
    second = deliver_due(_to(receiver.url), now=NOW)
    # then it went out once, signed at NOW, and is marked delivered
    assert (first, second) == (DeliveryReport(delivered=1), DeliveryReport())
    assert receiver.received == [
        {
            "id": str(webhook.delivery_id),
            "type": "application/json",
            "signed_at": int(NOW.timestamp()),
            "body": PAYLOAD,
        }
    ]
    assert _state(webhook) == ("delivered", 1, NOW, "")
    assert webhook.delivered_at == NOW


@pytest.mark.django_db
def test_host_outbound_retries_with_backoff_and_the_same_id(receiver: FakeReceiver) -> None:
    # given a receiver that fails
    webhook = _queued()
    receiver.status = 503
    # when
    report = deliver_due(_to(receiver.url), now=NOW)
    # then the webhook waits 30 s for its next attempt
    assert report == DeliveryReport(retrying=1)
    assert _state(webhook) == ("pending", 1, NOW + dt.timedelta(seconds=30), "HTTP 503")
    # when it is asked again before then, nothing is sent
    assert deliver_due(_to(receiver.url), now=NOW + dt.timedelta(seconds=29)) == DeliveryReport()
    # when the receiver is back and the time has come, it is delivered with the same id
    receiver.status = 200
    later = NOW + dt.timedelta(seconds=30)
    receiver.now = later.timestamp()
    assert deliver_due(_to(receiver.url), now=later) == DeliveryReport(delivered=1)
    assert [r["id"] for r in receiver.received] == [str(webhook.delivery_id)] * 2
    assert _state(webhook)[:2] == ("delivered", 2)


def test_host_outbound_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 20)] == [
        30,
        60,
        120,
        1920,
        3600,
        3600,
    ]


@pytest.mark.django_db
def test_host_outbound_gives_up_after_the_last_attempt() -> None:
    # given an unreachable receiver (a port nobody listens on) and one attempt left
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    webhook = _queued(attempts=2)
    # when
    report = deliver_due(_to(f"http://127.0.0.1:{port}/hooks", max_attempts=3), now=NOW)
    # then it is failed, and the error says why
    assert report == DeliveryReport(failed=1)
    status, attempts, _, error = _state(webhook)
    assert (status, attempts) == ("failed", 3)
    assert error == f"http://127.0.0.1:{port}/hooks unreachable: [Errno 111] Connection refused"


@pytest.mark.django_db
def test_host_outbound_command_delivers_and_summarises(receiver, settings, capsys) -> None:
    # given the receiver configured, one webhook due and one waiting
    settings.HOST_OUTBOUND_WEBHOOK_URL = receiver.url
    settings.HOST_OUTBOUND_WEBHOOK_SECRET = SECRET.decode()
    receiver.now = None  # the command signs with the real clock
    due = OutboundWebhook.objects.create(payload=PAYLOAD)
    OutboundWebhook.objects.create(payload=PAYLOAD, next_attempt_at=NOW + dt.timedelta(days=365))
    # when
    call_command("deliver_webhooks")
    # then
    assert capsys.readouterr().out == "webhooks: 1 delivered, 0 to retry, 0 failed\n"
    assert [r["id"] for r in receiver.received] == [str(due.delivery_id)]


@pytest.mark.django_db
def test_host_outbound_command_without_a_url_exits_2(settings) -> None:
    # given no receiver configured
    settings.HOST_OUTBOUND_WEBHOOK_URL = ""
    _queued()
    # when / then
    with pytest.raises(CommandError) as caught:
        call_command("deliver_webhooks")
    assert caught.value.returncode == 2
    assert str(caught.value).startswith("HOST_OUTBOUND_WEBHOOK_URL is not set")
    assert OutboundWebhook.objects.get().status == "pending"


# --- receivers that never finish answering --------------------------------------------------

_TRICKLED_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


@dataclass
class SlowReceiver:
    """A raw TCP receiver that reads the request, then trickles a 200 answer one byte per
    0.2 s (``trickle``) or says nothing (``hang``), for at most ``lasts`` seconds: long past
    the deadline, so a client without one would end up with a delivered 200."""

    mode: str
    url: str = ""
    lasts: float = 20.0
    stop: threading.Event = field(default_factory=threading.Event)

    def serve(self, server: socket.socket) -> None:
        with server:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                if self.mode == "trickle":
                    for byte in _TRICKLED_ANSWER:
                        if self.stop.wait(self.lasts / len(_TRICKLED_ANSWER)):
                            return
                        try:
                            conn.sendall(bytes([byte]))
                        except OSError:
                            return  # the client hung up: what a deadline does
                else:
                    self.stop.wait(self.lasts)


@pytest.fixture(params=["trickle", "hang"])
def slow_receiver(request: pytest.FixtureRequest) -> Iterator[SlowReceiver]:
    fake = SlowReceiver(mode=request.param)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    fake.url = f"http://127.0.0.1:{server.getsockname()[1]}/hooks"
    thread = threading.Thread(target=fake.serve, args=(server,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.stop.set()
        thread.join()


def _lockable(pk: int) -> bool:
    """Whether another connection can take the webhook's row lock right now (PostgreSQL)."""
    from django.db import connection, transaction

    result: list[bool] = []

    def probe() -> None:
        try:
            with transaction.atomic():
                OutboundWebhook.objects.select_for_update(nowait=True).get(pk=pk)
            result.append(True)
        except Exception:
            result.append(False)
        finally:
            connection.close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return result == [True]


@pytest.mark.django_db(transaction=True)
def test_host_outbound_a_slow_receiver_is_a_failed_attempt_within_the_deadline(
    slow_receiver: SlowReceiver,
) -> None:
    # given a queued webhook and a receiver that trickles its answer, or never gives one
    webhook = _queued()
    receiver = Receiver(url=slow_receiver.url, secret=SECRET, timeout=1.0, max_attempts=3)

    # when the due ones are delivered with a one-second deadline per attempt
    report = deliver_due(receiver, now=NOW)

    # then the attempt failed at the deadline and waits for its retry (not delivered at
    # the end of the trickle), and the row is not locked any more
    assert report == DeliveryReport(retrying=1)
    assert _state(webhook) == (
        "pending",
        1,
        NOW + dt.timedelta(seconds=30),
        f"{slow_receiver.url} unreachable: no complete answer within 1 s",
    )
    assert _lockable(webhook.pk)
