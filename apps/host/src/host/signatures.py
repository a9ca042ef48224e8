"""HMAC signatures of webhook bodies: ``X-Signature: t=<unix seconds>,v1=<hex>``.

``v1`` is HMAC-SHA256 over ``b"<t>." + body`` with the shared secret. The timestamp is
signed too, so a captured request cannot be replayed with a fresh ``t``; requests whose
``t`` is more than ``tolerance`` seconds from now (either direction) are refused. Several
``v1`` entries may be present (a sender rotating secrets); one match is enough.

The header is read strictly and within bounds before anything is computed from it: at most
``MAX_HEADER`` characters and ``MAX_PARTS`` comma-separated parts, ``t`` at most
``MAX_TIMESTAMP_DIGITS`` ASCII digits, each ``v1`` exactly 64 lower-case hex digits.
"""

from __future__ import annotations

import hashlib
import hmac
import re

MAX_HEADER = 1024
MAX_PARTS = 10
MAX_TIMESTAMP_DIGITS = 12  # unix seconds until the year 33658
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


class SignatureError(Exception):
    """Base of signature failures; ``code`` is stable and mapped to a status by host.http."""

    code = "webhooks.signature"


class MissingSignature(SignatureError):
    code = "webhooks.missing_signature"


class MalformedSignature(SignatureError):
    code = "webhooks.malformed_signature"


class StaleSignature(SignatureError):
    code = "webhooks.stale_timestamp"


class BadSignature(SignatureError):
    code = "webhooks.bad_signature"


def compute(secret: bytes, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>." + body``."""
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``X-Signature`` header value a sender puts on ``body``."""
    return f"t={timestamp},v1={compute(secret, timestamp, body)}"


def verify(header: str | None, body: bytes, *, secret: bytes, tolerance: int, now: float) -> int:
    """Check ``header`` against ``body``; return the signed timestamp or raise SignatureError."""
    if not header:
        raise MissingSignature("the X-Signature header is missing")
    timestamp, candidates = _parse(header)
    if abs(now - timestamp) > tolerance:
        raise StaleSignature(f"the signature timestamp is more than {tolerance} s from now")
    expected = compute(secret, timestamp, body)
    # compare every candidate in constant time; no early exit on the first mismatch
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise BadSignature("the signature does not match the body")
    return timestamp


def _parse(header: str) -> tuple[int, list[str]]:
    if len(header) > MAX_HEADER:
        raise MalformedSignature(f"X-Signature is longer than {MAX_HEADER} characters")
    parts = header.split(",")
    if len(parts) > MAX_PARTS:
        raise MalformedSignature(f"X-Signature has more than {MAX_PARTS} parts")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in parts:
        key, sep, value = part.strip().partition("=")
        if not sep or not value:
            raise MalformedSignature("X-Signature must look like t=<unix seconds>,v1=<hex>")
        if key == "t":
            if timestamp is not None or not value.isascii() or not value.isdigit():
                raise MalformedSignature("X-Signature needs exactly one numeric t=")
            if len(value) > MAX_TIMESTAMP_DIGITS:
                raise MalformedSignature(
                    f"X-Signature t= has more than {MAX_TIMESTAMP_DIGITS} digits"
                )
            timestamp = int(value)
        elif key == "v1":
            if not _HEX_SHA256.fullmatch(value):
                raise MalformedSignature("X-Signature v1= must be 64 lower-case hex digits")
            candidates.append(value)
        # other schemes (v0, future versions) are ignored, as senders may add them
    if timestamp is None or not candidates:
        raise MalformedSignature("X-Signature needs t=<unix seconds> and at least one v1=<hex>")
    return timestamp, candidates
