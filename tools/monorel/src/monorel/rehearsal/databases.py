"""Where each leg's database lives: a SQLite file, an ephemeral cluster, or an existing server.

Each provider hands a leg a fresh, empty database as a ``DATABASE_URL`` and removes it
afterwards. Names are unique per leg so legs can run in parallel on one server.
"""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from monorel.adapters._process import run
from monorel.errors import UsageError
from monorel.postgres import EphemeralPostgres

_POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")


class Databases(Protocol):
    kind: str  # "sqlite" | "postgres", for the report

    def create(self, label: str, work_dir: Path) -> str:
        """A new empty database for one leg; its URL."""
        ...

    def drop(self, url: str) -> None: ...

    def close(self) -> None: ...


class SqliteFiles:
    """One SQLite file per leg, in the leg's work directory."""

    kind = "sqlite"

    def create(self, label: str, work_dir: Path) -> str:
        path = work_dir / "db.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        Path(urlsplit(url).path).unlink(missing_ok=True)

    def close(self) -> None:
        pass


class EphemeralServer:
    """A throwaway cluster started once per rehearsal; one database per leg."""

    kind = "postgres"

    def __init__(self, base_dir: Path | None = None) -> None:
        self._cluster = EphemeralPostgres(base_dir=base_dir).start()

    def create(self, label: str, work_dir: Path) -> str:
        return self._cluster.create_database(_database_name(label))

    def drop(self, url: str) -> None:
        self._cluster.drop_database(urlsplit(url).path.lstrip("/"))

    def close(self) -> None:
        self._cluster.stop()


class ExistingServer:
    """A server we do not own (CI's ``postgres:16`` service): create and drop our databases only."""

    kind = "postgres"

    def __init__(self, url: str) -> None:
        if shutil.which("psql") is None:
            raise UsageError(
                "--db URL needs `psql` to create and drop the rehearsal databases",
                fix="install the PostgreSQL client (e.g. apt-get install postgresql-client)",
            )
        self._url = url

    def create(self, label: str, work_dir: Path) -> str:
        name = _database_name(label)
        self._psql(f'CREATE DATABASE "{name}"')
        return _with_database(self._url, name)

    def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        self._psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        pass

    def _psql(self, sql: str) -> None:
        run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self._url, "-c", sql],
            fix="check the --db URL: its user must be allowed to CREATE DATABASE",
        )


def open_databases(spec: str, *, base_dir: Path | None = None) -> Databases:
    """``sqlite`` | ``postgres`` | a ``postgres://`` URL of an existing server."""
    if spec == "sqlite":
        return SqliteFiles()
    if spec == "postgres":
        return EphemeralServer(base_dir)
    if urlsplit(spec).scheme in _POSTGRES_SCHEMES:
        return ExistingServer(spec)
    raise UsageError(
        f"--db {spec!r} is not sqlite, postgres or a postgres:// URL",
        fix="use --db sqlite (default), --db postgres (ephemeral cluster) "
        "or --db postgres://USER@HOST:PORT/DB (existing server)",
    )


def _database_name(label: str) -> str:
    # unique per leg and run: parallel legs and concurrent rehearsals share one server
    slug = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:30]
    return f"monorel_rehearse_{slug}_{secrets.token_hex(4)}"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
