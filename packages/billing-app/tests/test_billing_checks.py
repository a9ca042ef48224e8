"""System checks billing_app.E001 / E002 / E003, each id tested."""

from __future__ import annotations

import pytest
from billing_app.checks import check_payment_gateway, check_webhook_sink
from django.core import checks
from django.test import override_settings


def _ids(messages: list[checks.CheckMessage]) -> list[str]:
    return [message.id for message in messages]


def test_billing_checks_pass_with_a_gateway_class() -> None:
    # the autouse fixture configures billing_fakes.RecordingGateway / record_webhook
    assert check_payment_gateway() == []
    assert check_webhook_sink() == []


def test_billing_checks_are_registered() -> None:
    with override_settings(BILLING_PAYMENT_GATEWAY="no.such.Gateway"):
        assert "billing_app.E001" in _ids(checks.run_checks())


def test_billing_e001_when_the_setting_is_missing(settings) -> None:
    del settings.BILLING_PAYMENT_GATEWAY

    assert _ids(check_payment_gateway()) == ["billing_app.E001"]


@pytest.mark.parametrize(
    "value",
    [
        "",
        None,
        "no_such_module.Gateway",
        "billing_fakes.NoSuchGateway",
        "RecordingGateway",  # not a dotted path
    ],
)
def test_billing_e001_when_the_setting_is_unusable(value: object) -> None:
    with override_settings(BILLING_PAYMENT_GATEWAY=value):
        assert _ids(check_payment_gateway()) == ["billing_app.E001"]


@pytest.mark.parametrize(
    "value",
    [
        "billing_fakes.NotAGateway",  # a class without charge()
        "billing_fakes.record_webhook",  # a function, not a class
        "billing_fakes.charges",  # a list
    ],
)
def test_billing_e002_when_the_setting_is_not_a_gateway(value: str) -> None:
    with override_settings(BILLING_PAYMENT_GATEWAY=value):
        assert _ids(check_payment_gateway()) == ["billing_app.E002"]


def test_billing_webhook_sink_is_optional(settings) -> None:
    del settings.BILLING_WEBHOOK_SINK

    assert check_webhook_sink() == []


@pytest.mark.parametrize(
    "value", ["no_such_module.sink", "billing_fakes.no_such_sink", "billing_fakes.charges"]
)
def test_billing_e003_when_the_webhook_sink_is_unusable(value: str) -> None:
    with override_settings(BILLING_WEBHOOK_SINK=value):
        assert _ids(check_webhook_sink()) == ["billing_app.E003"]
