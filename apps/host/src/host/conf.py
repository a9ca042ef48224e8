"""The host's own settings, read through one typed object at call time, never at import time.

``host.settings`` fills them from the environment; tests override them with pytest-django's
``settings`` fixture, which this object sees at once. ``host.checks`` validates them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from host.envconfig import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_DEPTH


@dataclass(frozen=True)
class Receiver:
    """Where ``manage.py deliver_webhooks`` sends billing's webhooks, and how."""

    url: str
    secret: bytes
    timeout: float  # seconds for a whole attempt: connect, send, and the entire answer
    max_attempts: int


class HostSettings:
    @property
    def api_tokens(self) -> list[str]:
        return list(settings.HOST_API_TOKENS)

    @property
    def api_max_body_bytes(self) -> int:
        return int(getattr(settings, "HOST_API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))

    @property
    def api_max_depth(self) -> int:
        return int(getattr(settings, "HOST_API_MAX_DEPTH", DEFAULT_MAX_DEPTH))

    @property
    def webhook_secret(self) -> bytes:
        return str(settings.HOST_WEBHOOK_SECRET).encode()

    @property
    def webhook_tolerance(self) -> int:
        return int(settings.HOST_WEBHOOK_TOLERANCE)

    @property
    def outbound(self) -> Receiver:
        return Receiver(
            url=settings.HOST_OUTBOUND_WEBHOOK_URL,
            secret=str(settings.HOST_OUTBOUND_WEBHOOK_SECRET).encode(),
            timeout=float(settings.HOST_OUTBOUND_WEBHOOK_TIMEOUT),
            max_attempts=int(settings.HOST_OUTBOUND_WEBHOOK_MAX_ATTEMPTS),
        )


conf = HostSettings()
