"""pytest plugin: ``--postgres`` runs the Django test suite on an ephemeral PostgreSQL cluster.

Settings modules in this workspace read ``DATABASE_URL``. This plugin decides that
variable for the whole session *before* pytest-django loads the settings, which it does
in its own ``pytest_load_initial_conftests``; ours is ``tryfirst`` so it runs earlier.

- ``TEST_DATABASE_URL`` set: copied into ``DATABASE_URL`` (an existing server, e.g. a CI
  service). It wins over ``--postgres``: no cluster is started.
- ``--postgres``: one ``EphemeralPostgres`` for the whole session; stopped at unconfigure.
  When it cannot start (no ``initdb`` on PATH, a failing ``pg_ctl``), the session ends
  before collecting anything with ``error[MR070]`` and its ``fix:`` (pytest's usage error,
  exit code 4), not a traceback.
- neither: ``DATABASE_URL`` is left alone (settings default to SQLite).

Django's test runner creates ``test_<name>`` next to the configured database, so the URL
points at the maintenance database ``postgres``.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from monorel.errors import MonorelError, TestDatabaseUnavailable
from monorel.postgres import EphemeralPostgres

_ENV_TARGET = "DATABASE_URL"
_ENV_GIVEN = "TEST_DATABASE_URL"


@dataclass(frozen=True)
class DatabaseChoice:
    """What the session runs on: a given URL, a new ephemeral cluster, or the settings' default."""

    url: str | None
    ephemeral: bool


def choose_database(*, postgres_flag: bool, environ: Mapping[str, str]) -> DatabaseChoice:
    given = environ.get(_ENV_GIVEN, "").strip()
    if given:
        return DatabaseChoice(url=given, ephemeral=False)
    return DatabaseChoice(url=None, ephemeral=postgres_flag)


# on the Config, not module globals: an in-process nested session (pytester) must not
# stop or restore the outer session's state
_cluster_key = pytest.StashKey[EphemeralPostgres]()
_previous_key = pytest.StashKey["str | None"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--postgres",
        action="store_true",
        default=False,
        help="run the Django tests on a throwaway PostgreSQL cluster (initdb/pg_ctl on PATH); "
        f"${_ENV_GIVEN} instead points the suite at an existing database server",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    choice = choose_database(
        postgres_flag=bool(getattr(early_config.known_args_namespace, "postgres", False)),
        environ=os.environ,
    )
    if choice.url is None and not choice.ephemeral:
        return
    early_config.stash[_previous_key] = os.environ.get(_ENV_TARGET)
    if choice.ephemeral:
        cluster = _start_cluster()
        # pytest_unconfigure is not called when start-up fails later (e.g. settings do
        # not import); stop() is idempotent, so atexit is a safe second net
        atexit.register(cluster.stop)
        early_config.stash[_cluster_key] = cluster
        os.environ[_ENV_TARGET] = cluster.url
    else:
        assert choice.url is not None
        os.environ[_ENV_TARGET] = choice.url


def _start_cluster() -> EphemeralPostgres:
    try:
        return EphemeralPostgres().start()
    except MonorelError as exc:
        error = TestDatabaseUnavailable(
            f"pytest --postgres cannot start a throwaway PostgreSQL cluster: {exc.message}",
            fix=f"{exc.fix}; or run the suite on SQLite (without --postgres), or point it at "
            f"a running server with {_ENV_GIVEN}=postgres://USER@HOST:PORT/postgres",
        )
        raise pytest.UsageError(error.render()) from None


def pytest_report_header(config: pytest.Config) -> str | None:
    cluster = config.stash.get(_cluster_key, None)
    if cluster is not None:
        return f"monorel: ephemeral PostgreSQL on 127.0.0.1:{cluster.port} (pid {cluster.pid})"
    if _ENV_GIVEN in os.environ:
        return f"monorel: database from ${_ENV_GIVEN}"
    return None


def pytest_unconfigure(config: pytest.Config) -> None:
    if _previous_key in config.stash:
        previous = config.stash[_previous_key]
        del config.stash[_previous_key]
        if previous is None:
            os.environ.pop(_ENV_TARGET, None)
        else:
            os.environ[_ENV_TARGET] = previous
    cluster = config.stash.get(_cluster_key, None)
    if cluster is not None:
        del config.stash[_cluster_key]
        cluster.stop()
