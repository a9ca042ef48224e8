"""The host's outgoing HTTP: one POST helper for the payment gateway and webhook delivery.

``timeout`` is a deadline for the whole exchange (connect, send the request, read the
status, the headers and the entire body), not a per-read timeout: a receiver that trickles
a byte every second would otherwise hold the caller (and the row lock webhook delivery
holds) for as long as it likes. Connecting gets the whole budget; once connected, a timer
shuts the socket down when the deadline passes, which ends whatever read or write is
blocked. Redirects are not followed (an answer is the status the URL gave), and at most
``MAX_ANSWER`` bytes of the body are read.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

MAX_ANSWER = 1 << 20  # bytes of an answer's body that are read; the rest is left unread


class Unreachable(Exception):
    """No complete HTTP answer came in time: refused, timed out, broken off, or too slow."""


def post(url: str, body: bytes, headers: Mapping[str, str], *, timeout: float) -> tuple[int, bytes]:
    """POST ``body``; the status and body of whatever HTTP answer came, 4xx/5xx included."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unreachable(f"{url!r} is not an http(s) URL")
    deadline = time.monotonic() + timeout
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    expired = threading.Event()
    timer: threading.Timer | None = None
    try:
        connection.connect()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            expired.set()
            raise TimeoutError("connecting took the whole deadline")
        timer = threading.Timer(remaining, _expire, args=(connection, expired))
        timer.daemon = True
        timer.start()
        connection.request("POST", target, body=body, headers=dict(headers))
        response = connection.getresponse()
        answer = response.read(MAX_ANSWER)
        if expired.is_set():  # a body read until the shutdown ended it is not complete
            raise TimeoutError("the deadline passed while the answer was read")
        return response.status, answer
    except (http.client.HTTPException, OSError, ValueError) as exc:
        # the socket's own timeout (the same length, counted per read) can beat a timer
        # thread that a busy machine runs late: past the deadline it is the deadline's too
        if expired.is_set() or time.monotonic() >= deadline:
            raise Unreachable(f"no complete answer within {timeout:g} s") from exc
        raise Unreachable(str(getattr(exc, "reason", None) or exc)) from exc
    finally:
        if timer is not None:
            timer.cancel()
        connection.close()


def _expire(connection: http.client.HTTPConnection, expired: threading.Event) -> None:
    """The deadline passed: end the exchange (a blocked recv or send returns at once)."""
    expired.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
