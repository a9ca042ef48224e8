"""The host's system checks.

Deploy checks (``manage.py check --deploy``) refuse the dev-only secrets: the defaults let
``uv run host-demo`` run with nothing configured; a deployment must set its own.

- host.E001: HOST_API_TOKENS empty or holding the dev-only token (deploy)
- host.E002: HOST_WEBHOOK_SECRET is the dev-only secret (deploy)
- host.E003: HOST_OUTBOUND_WEBHOOK_SECRET is the dev-only one while webhooks go out (deploy)
- host.E004: a limit of the JSON API (HOST_API_MAX_BODY_BYTES, HOST_API_MAX_DEPTH) is not a
  positive integer: every request would be refused, or none bounded
- host.E005: HOST_OUTBOUND_WEBHOOK_TIMEOUT is not a positive number of seconds: a delivery
  attempt would have no deadline
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

from host.envconfig import DEV_API_TOKEN, DEV_OUTBOUND_SECRET, DEV_WEBHOOK_SECRET

_LIMITS = ("HOST_API_MAX_BODY_BYTES", "HOST_API_MAX_DEPTH")


@register()
def limits(app_configs, **kwargs) -> list[Error]:
    errors = []
    for name in _LIMITS:
        value = getattr(settings, name, None)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            errors.append(
                Error(
                    f"{name} = {value!r} is not a positive integer",
                    hint=f"set {name} to a positive integer, or leave it unset for the default",
                    id="host.E004",
                )
            )
    timeout = settings.HOST_OUTBOUND_WEBHOOK_TIMEOUT
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        errors.append(
            Error(
                f"HOST_OUTBOUND_WEBHOOK_TIMEOUT = {timeout!r} is not a positive number of seconds",
                hint="set it to the seconds one delivery attempt may take in all (default 10)",
                id="host.E005",
            )
        )
    return errors


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
