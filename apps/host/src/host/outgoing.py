"""The host's outgoing HTTP: one POST helper for the payment gateway and webhook delivery."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Mapping


class Unreachable(Exception):
    """No HTTP answer came: refused, timed out, or broken off."""


def post(url: str, body: bytes, headers: Mapping[str, str], *, timeout: float) -> tuple[int, bytes]:
    """POST ``body``; the status and body of whatever HTTP answer came, 4xx/5xx included."""
    request = urllib.request.Request(url, data=body, method="POST", headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:  # an answer, only not a 2xx one
        return exc.code, exc.read()
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise Unreachable(str(getattr(exc, "reason", None) or exc)) from exc
