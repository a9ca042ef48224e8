"""Standalone Django settings for the contract tests: only the two domain packages.

For running the contracts against installed wheels in a plain virtualenv, where the host
(and dj-database-url) are not installed. Needs Django, pytest, pytest-django, the wheels,
and for PostgreSQL psycopg. ``DATABASE_URL`` (postgres://user:pass@host:port/name) selects
PostgreSQL; anything else or unset means an in-memory SQLite database.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit


def _database(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "postgres",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


SECRET_KEY = "contract-tests-only"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "accounts_app.apps.AccountsConfig",
    "billing_app.apps.BillingConfig",
]
DATABASES = {"default": _database(os.environ.get("DATABASE_URL", ""))}
# the contracts' own fakes; conftest.py sets the same for runs under other settings
BILLING_PAYMENT_GATEWAY = "contract_fakes.ContractGateway"
BILLING_WEBHOOK_SINK = "contract_fakes.record_webhook"
