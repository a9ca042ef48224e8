"""Inbound webhooks: HMAC signature with timestamp tolerance; outbound: the queueing sink."""

from __future__ import annotations

import json
import logging
import time
from decimal import Decimal

import pytest
from accounts_app.api import open_account
from billing_app.api import InvoiceLineData, InvoiceService, apply_payment, webhook_payload
from host import signatures
from host.models import InboundEvent, OutboundWebhook
from host.webhooks import queue_outbound_webhook

SECRET = b"test-webhook-secret"
PATH = "/api/webhooks/inbound"
BODY = json.dumps({"id": "evt_1", "type": "payment.settled", "data": {"amount": "5.00"}}).encode()


@pytest.fixture(autouse=True)
def _webhook_settings(settings) -> None:
    settings.HOST_WEBHOOK_SECRET = SECRET.decode()
    settings.HOST_WEBHOOK_TOLERANCE = 300


def _post(client, body: bytes, signature: str | None):
    headers = {} if signature is None else {"X-Signature": signature}
    response = client.post(PATH, body, content_type="application/json", headers=headers)
    return response.status_code, response.json()


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


# --- the signature scheme ------------------------------------------------------------------


def test_host_webhooks_signature_round_trip() -> None:
    header = signatures.sign(SECRET, 1_700_000_000, b"{}")

    assert header == f"t=1700000000,v1={signatures.compute(SECRET, 1_700_000_000, b'{}')}"
    assert signatures.verify(header, b"{}", secret=SECRET, tolerance=300, now=1_700_000_299) == (
        1_700_000_000
    )


@pytest.mark.parametrize("now", [1_700_000_301, 1_699_999_699])
def test_host_webhooks_signature_outside_tolerance_is_stale(now: int) -> None:
    header = signatures.sign(SECRET, 1_700_000_000, b"{}")

    with pytest.raises(signatures.StaleSignature):
        signatures.verify(header, b"{}", secret=SECRET, tolerance=300, now=now)


def test_host_webhooks_any_matching_v1_is_enough() -> None:
    good = signatures.compute(SECRET, 1_700_000_000, b"{}")
    header = f"t=1700000000,v1={'0' * 64},v0=legacy,v1={good}"

    assert signatures.verify(header, b"{}", secret=SECRET, tolerance=300, now=1_700_000_000) == (
        1_700_000_000
    )


# --- the endpoint --------------------------------------------------------------------------


@pytest.mark.django_db
def test_host_webhooks_good_signature_records_the_event_once(client) -> None:
    # given a correctly signed event
    header = signatures.sign(SECRET, int(time.time()), BODY)

    # when it is delivered, then it is accepted and recorded
    assert _post(client, BODY, header) == (
        202,
        {"received": True, "id": "evt_1", "duplicate": False},
    )
    event = InboundEvent.objects.get()
    assert (event.event_id, event.event_type, event.payload) == (
        "evt_1",
        "payment.settled",
        json.loads(BODY),
    )

    # when the sender retries it, then it is acknowledged as a duplicate; still one row
    assert _post(client, BODY, header) == (
        200,
        {"received": True, "id": "evt_1", "duplicate": True},
    )
    assert InboundEvent.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("signature", "status", "code", "message"),
    [
        (None, 400, "webhooks.missing_signature", "the X-Signature header is missing"),
        ("", 400, "webhooks.missing_signature", "the X-Signature header is missing"),
        (
            "garbage",
            400,
            "webhooks.malformed_signature",
            "X-Signature must look like t=<unix seconds>,v1=<hex>",
        ),
        (
            "t=abc,v1=00",
            400,
            "webhooks.malformed_signature",
            "X-Signature needs exactly one numeric t=",
        ),
        (
            "t=1,t=2,v1=00",
            400,
            "webhooks.malformed_signature",
            "X-Signature needs exactly one numeric t=",
        ),
        (
            "t={now}",
            400,
            "webhooks.malformed_signature",
            "X-Signature needs t=<unix seconds> and at least one v1=<hex>",
        ),
        (
            "v1={bad}",
            400,
            "webhooks.malformed_signature",
            "X-Signature needs t=<unix seconds> and at least one v1=<hex>",
        ),
        (
            "t={now},v1=00",
            400,
            "webhooks.malformed_signature",
            "X-Signature v1= must be 64 lower-case hex digits",
        ),
        (
            "t=" + "9" * 5000 + ",v1={bad}",
            400,
            "webhooks.malformed_signature",
            "X-Signature is longer than 1024 characters",
        ),
        (
            "t=" + "9" * 13 + ",v1={bad}",
            400,
            "webhooks.malformed_signature",
            "X-Signature t= has more than 12 digits",
        ),
        (
            ",".join(["v0=x"] * 11),
            400,
            "webhooks.malformed_signature",
            "X-Signature has more than 10 parts",
        ),
        (
            "t={now},v1=",
            400,
            "webhooks.malformed_signature",
            "X-Signature must look like t=<unix seconds>,v1=<hex>",
        ),
        (
            "t={now},v1={bad}",
            401,
            "webhooks.bad_signature",
            "the signature does not match the body",
        ),
        (
            "t={stale},v1={stale_sig}",
            401,
            "webhooks.stale_timestamp",
            "the signature timestamp is more than 300 s from now",
        ),
        (
            "t={future},v1={future_sig}",
            401,
            "webhooks.stale_timestamp",
            "the signature timestamp is more than 300 s from now",
        ),
    ],
)
def test_host_webhooks_refused_signatures_change_nothing(
    client, signature, status, code, message
) -> None:
    # given a header that is missing, malformed, wrong or outside the tolerance
    now = int(time.time())
    stale, future = now - 301, now + 301
    if signature is not None:
        signature = signature.format(
            now=now,
            bad=signatures.compute(b"another-secret", now, BODY),
            stale=stale,
            stale_sig=signatures.compute(SECRET, stale, BODY),
            future=future,
            future_sig=signatures.compute(SECRET, future, BODY),
        )

    # when it is delivered, then it is refused and nothing is recorded
    assert _post(client, BODY, signature) == (status, _error(code, message))
    assert InboundEvent.objects.count() == 0


@pytest.mark.django_db
def test_host_webhooks_signature_covers_the_exact_body(client) -> None:
    # given a signature of the body, and a body changed after signing
    header = signatures.sign(SECRET, int(time.time()), BODY)
    tampered = BODY.replace(b"5.00", b"500.00")

    assert _post(client, tampered, header) == (
        401,
        _error("webhooks.bad_signature", "the signature does not match the body"),
    )
    assert InboundEvent.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "the body is not valid JSON"),
        (b"[]", "the body must be a JSON object"),
    ],
)
def test_host_webhooks_signed_but_unusable_body(client, body: bytes, message: str) -> None:
    header = signatures.sign(SECRET, int(time.time()), body)

    assert _post(client, body, header) == (400, _error("request.invalid_json", message))
    assert InboundEvent.objects.count() == 0


@pytest.mark.django_db
def test_host_webhooks_signed_event_without_id(client) -> None:
    body = json.dumps({"type": "payment.settled"}).encode()
    header = signatures.sign(SECRET, int(time.time()), body)

    assert _post(client, body, header) == (
        400,
        _error("request.invalid_field", "id is required"),
    )
    assert InboundEvent.objects.count() == 0


# --- outbound ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_host_webhooks_outbound_sink_queues_the_payload(caplog) -> None:
    payload = {"version": "1", "type": "invoice.updated", "invoice": {"id": 1}}

    with caplog.at_level(logging.INFO, logger="host.webhooks"):
        queued = queue_outbound_webhook(payload)

    row = OutboundWebhook.objects.get()
    assert (row.pk, row.payload, row.status, row.attempts, row.last_error) == (
        queued.pk,
        payload,
        "pending",
        0,
        "",
    )
    assert caplog.messages == [
        f"outbound webhook {row.delivery_id} queued: {json.dumps(payload, sort_keys=True)}"
    ]


@pytest.mark.django_db
def test_host_webhooks_payment_reaches_the_configured_sink(
    django_capture_on_commit_callbacks,
) -> None:
    # given an open invoice under the host's settings (sink: host.webhooks.queue_outbound_webhook)
    account = open_account(name="Ada", email="ada@example.com")
    service = InvoiceService()
    invoice = service.create(
        account_id=account.id,
        currency="EUR",
        lines=[InvoiceLineData(description="Seat", quantity=1, unit_price=Decimal("9.00"))],
    )
    service.issue(invoice.id)
    queued_before = OutboundWebhook.objects.count()

    # when it is paid and the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        apply_payment(invoice.id, Decimal("9.00"), "sink-key")

    # then the paid invoice's payload is queued for delivery
    assert OutboundWebhook.objects.count() == queued_before + 1
    assert OutboundWebhook.objects.last().payload == webhook_payload(invoice.id)
    assert webhook_payload(invoice.id)["invoice"]["status"] == "paid"
