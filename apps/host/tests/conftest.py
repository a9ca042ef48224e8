"""Fixtures of the host's own tests (the contract tests in contracts/ do not use these).

Only Django and pytest here: `monorel rehearse` runs the contract tests below this
directory in a venv of the host's requirements, and this file is loaded there too.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from host_api_client import API_TOKEN, JsonClient, row_counts_now


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
