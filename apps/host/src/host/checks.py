"""The host's deploy checks: ``manage.py check --deploy`` refuses the dev-only secrets.

The defaults let ``uv run host-demo`` run with nothing configured; a deployment must set
its own, and ``check --deploy`` (run before every release of the host) says so.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

from host.envconfig import DEV_API_TOKEN, DEV_OUTBOUND_SECRET, DEV_WEBHOOK_SECRET


@register(Tags.security, deploy=True)
def dev_secrets_in_deployment(app_configs, **kwargs) -> list[Error]:
    errors = []
    tokens = list(settings.HOST_API_TOKENS)
    if not tokens or DEV_API_TOKEN in tokens:
        errors.append(
            Error(
                "HOST_API_TOKENS is empty or holds the dev-only token",
                hint="set HOST_API_TOKENS to one or more long random tokens "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))')",
                id="host.E001",
            )
        )
    if settings.HOST_WEBHOOK_SECRET == DEV_WEBHOOK_SECRET:
        errors.append(
            Error(
                "HOST_WEBHOOK_SECRET is the dev-only secret",
                hint="set HOST_WEBHOOK_SECRET to the secret shared with the webhook sender",
                id="host.E002",
            )
        )
    outbound = settings.HOST_OUTBOUND_WEBHOOK_URL
    if outbound and settings.HOST_OUTBOUND_WEBHOOK_SECRET == DEV_OUTBOUND_SECRET:
        errors.append(
            Error(
                "HOST_OUTBOUND_WEBHOOK_SECRET is the dev-only secret, and webhooks go to "
                f"{outbound}",
                hint="set HOST_OUTBOUND_WEBHOOK_SECRET to the secret the receiver verifies with",
                id="host.E003",
            )
        )
    return errors
