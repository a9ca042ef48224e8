"""Read the host's configuration from environment variables (used only by ``host.settings``).

Pure functions over a mapping, so they are tested without touching ``os.environ``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dj_database_url

# what the host runs with when nothing is configured; `check --deploy` refuses them
DEV_API_TOKEN = "dev-only-api-token"
DEV_WEBHOOK_SECRET = "dev-only-webhook-secret"
DEV_OUTBOUND_SECRET = "dev-only-outbound-webhook-secret"

# what a request to the JSON API may carry (host.http): the defaults of
# HOST_API_MAX_BODY_BYTES and HOST_API_MAX_DEPTH
DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_MAX_DEPTH = 32

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

# apps/host/ in a source checkout (src/host/envconfig.py -> parents[2])
_SOURCE_APP_DIR = Path(__file__).resolve().parents[2]


class EnvError(ValueError):
    """An environment variable has a value the host cannot use."""


def env_bool(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise EnvError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_list(environ: Mapping[str, str], name: str, *, default: list[str]) -> list[str]:
    raw = environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(environ: Mapping[str, str], name: str, *, default: int) -> int:
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise EnvError(f"{name}={raw!r} is not an integer") from None


def data_dir(environ: Mapping[str, str]) -> Path:
    """Where the default SQLite file lives: ``$HOST_DATA_DIR``, else ``apps/host/``.

    Outside a source checkout (host installed as a wheel) the fallback is the working
    directory, never site-packages.
    """
    configured = environ.get("HOST_DATA_DIR", "").strip()
    if configured:
        return Path(configured)
    if (_SOURCE_APP_DIR / "manage.py").is_file():
        return _SOURCE_APP_DIR
    return Path.cwd()


def database_config(environ: Mapping[str, str]) -> dict[str, Any]:
    """``DATABASES["default"]`` from ``$DATABASE_URL``; a SQLite file when it is unset.

    ``postgres://`` URLs use Django's PostgreSQL backend, which picks psycopg 3.
    SQLite gets ``BEGIN IMMEDIATE`` transactions: a writer takes the write lock when its
    transaction starts, so concurrent writers wait (busy timeout) instead of failing
    with "database is locked" when they upgrade a read lock mid-transaction.
    """
    url = environ.get("DATABASE_URL", "").strip()
    if not url:
        url = f"sqlite:///{data_dir(environ) / 'db.sqlite3'}"
    try:
        config: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=env_int(environ, "DB_CONN_MAX_AGE", default=0))
        )
    except ValueError as exc:  # unknown scheme or malformed URL
        raise EnvError(f"DATABASE_URL is not usable: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config.setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
        # Django's default SQLite test database is shared-cache memory, where a second writer
        # fails at once with "database table is locked" instead of waiting; a file (one per
        # process, so concurrent runs do not clash) makes tests see real locking
        config["TEST"] = {
            "NAME": str(Path(tempfile.gettempdir()) / f"host-tests-{os.getpid()}.sqlite3")
        }
    return config
