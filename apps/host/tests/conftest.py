"""Fixtures of the host's own tests (the contract tests in contracts/ do not use these)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from django.test import Client
from host_api_client import API_TOKEN, JsonClient, row_counts_now
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# test_host_api_properties.py: enough examples to find what a caller can break, few enough
# for CI (each example is one request on the test database); HYPOTHESIS_PROFILE=thorough
# runs ten times as many
hypothesis_settings.register_profile(
    "host-ci",
    max_examples=40,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the checkout
    derandomize=True,  # the same examples on every run: CI failures reproduce
    # the examples share one test database (pytest-django's db fixture), on purpose: row
    # counts are compared around each request, not between examples
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "thorough",
    parent=hypothesis_settings.get_profile("host-ci"),
    max_examples=400,
    derandomize=False,
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "host-ci"))


@pytest.fixture
def row_counts(db: None) -> Callable[[], dict[str, int]]:
    return row_counts_now


@pytest.fixture
def api_tokens(settings) -> list[str]:
    """The tokens the host accepts in these tests: the callers' and a second, rotated one."""
    settings.HOST_API_TOKENS = [API_TOKEN, "rotated-api-token"]
    return settings.HOST_API_TOKENS


@pytest.fixture
def api(db: None, client: Client, api_tokens: list[str]) -> JsonClient:
    return JsonClient(client)
