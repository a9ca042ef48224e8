"""What the host's API tests share: a JSON client with a token, and the row-count snapshot."""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.http import HttpResponse
from django.test import Client

_COUNTED_APPS = ("accounts_app", "billing_app", "host")


def row_counts_now() -> dict[str, int]:
    """Rows per model of the domain apps and the host: the "nothing changed" snapshot."""
    return {
        model._meta.label: model._default_manager.count()
        for label in _COUNTED_APPS
        for model in apps.get_app_config(label).get_models()
    }


API_TOKEN = "test-api-token"


class JsonClient:
    """Django's test client speaking JSON as an API caller with ``token``; returns (status,
    parsed body). ``token=None`` sends no Authorization header."""

    def __init__(self, client: Client, token: str | None = API_TOKEN) -> None:
        self._client = client
        self._auth = {} if token is None else {"Authorization": f"Bearer {token}"}
        self.last_response: HttpResponse | None = None  # for its headers

    def post(
        self, path: str, data: Any = None, *, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        body = b"" if data is None else json.dumps(data).encode()
        return self.post_raw(path, body, content_type="application/json", headers=headers)

    def post_raw(
        self, path: str, body: bytes, *, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        response = self._client.post(
            path, body, content_type=content_type, headers={**self._auth, **(headers or {})}
        )
        self.last_response = response
        return response.status_code, response.json()

    def get(self, path: str) -> tuple[int, Any]:
        response = self._client.get(path, headers=self._auth)
        self.last_response = response
        return response.status_code, response.json()
