"""The PostgreSQL server the migration verdict runs SQL on: given, or one throwaway cluster.

``MONOREL_SEMVER_DATABASE`` (``postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE``) names an
existing server; otherwise the first verdict of a command that has new migrations starts
one ``monorel.postgres.EphemeralPostgres`` and every later verdict of the same command
(``monorel plan`` judges each changed package) reuses it; it is stopped, by its pid, when
the process exits. Nothing is ever committed on either: each describe job works in a
schema of its own inside a transaction that is rolled back.
"""

from __future__ import annotations

import atexit
import os
from urllib.parse import unquote, urlsplit

from monorel.adapters import django_
from monorel.errors import PostgresUnavailable, ToolError
from monorel.postgres import EphemeralPostgres

ENV = "MONOREL_SEMVER_DATABASE"
_FIX = (
    "install the PostgreSQL server binaries (initdb, pg_ctl on PATH), or set "
    f"{ENV}=postgres://USER@HOST:PORT/DATABASE to an existing server (nothing is written "
    "there: the verdict's transaction is rolled back)"
)
_shared: EphemeralPostgres | None = None


def for_verdict(reason: str) -> django_.Database:
    """Where to run the SQL of new migrations; ``reason`` says why, for the error."""
    url = os.environ.get(ENV, "").strip()
    if url:
        return parse_url(url)
    global _shared
    if _shared is None:
        cluster = EphemeralPostgres()
        try:
            cluster.start()
        except ToolError as exc:
            raise PostgresUnavailable(
                f"{reason} needs PostgreSQL to see the SQL they run, and no server could be "
                f"started: {exc.message.splitlines()[0]}",
                fix=_FIX,
            ) from exc
        atexit.register(cluster.stop)
        _shared = cluster
    return django_.Database(host="127.0.0.1", port=_shared.port, user="postgres", name="postgres")


def stop_shared() -> None:
    """Stop the throwaway cluster now, if one was started (also done at exit)."""
    global _shared
    if _shared is not None:
        _shared.stop()
        _shared = None


def parse_url(url: str) -> django_.Database:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or not parts.hostname:
        raise PostgresUnavailable(
            f"{ENV}={url!r} is not a PostgreSQL URL", fix="use postgres://USER@HOST:PORT/DATABASE"
        )
    try:
        port = parts.port or 5432
    except ValueError as exc:
        raise PostgresUnavailable(f"{ENV}: bad port in {url!r}", fix=_FIX) from exc
    return django_.Database(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        name=parts.path.lstrip("/") or "postgres",
    )
