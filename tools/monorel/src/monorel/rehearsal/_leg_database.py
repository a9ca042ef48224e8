"""pytest plugin for the contract tests of a rehearsal leg; runs INSIDE a rehearsal venv.

    pytest -p _leg_database ...

pytest-django normally creates a test database (migrated from scratch) next to the
configured one. Here the tests must see the leg's upgraded database as it is: its schema
after the upgrade and the rows that survived it. pytest-django's documented way is to
override ``django_db_setup`` with a fixture that does not create one; a fixture of a
``-p`` plugin would lose to pytest-django's own (plugins loaded later win), so this
plugin registers the override in ``pytest_configure``, after pytest-django.
Each test still runs in a transaction that is rolled back (``django_db``), so the tests
leave the database as they found it (tests with ``transaction=True`` flush it instead).

``--monorel-wait``: after collecting, read lines from stdin before running the tests: run
each as a command of the process that runs pytest (``RUN_COMMAND``, set by ``_steps.py``)
with database access allowed, until ``go`` runs the tests (the end of input ends the
session). So a side of a leg starts pytest and collects its tests while the other side
still works: the new side then upgrades the database (command ``new``) and runs the tests
on ``go``; the old side only waits for ``go``. ``WAIT`` says when waiting began and ended.
"""

from __future__ import annotations

import contextlib
import sys
import time
import types
from collections.abc import Callable
from typing import Any

import pytest

WAIT: dict[str, float] = {}
RUN_COMMAND: list[Callable[[str], None]] = []


@pytest.fixture(scope="session")
def django_db_setup() -> None:
    """The configured database (the leg's), as it is: no test database, no migrations."""


def pytest_configure(config: pytest.Config) -> None:
    override = types.ModuleType("monorel_leg_database_override")
    override.django_db_setup = django_db_setup  # type: ignore[attr-defined]
    config.pluginmanager.register(override, "monorel-leg-database")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--monorel-wait",
        action="store_true",
        help="after collecting, wait for a line 'go' on stdin before running the tests",
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    if not session.config.getoption("monorel_wait"):
        return
    capture = session.config.pluginmanager.getplugin("capturemanager")
    WAIT["from"] = time.perf_counter()
    # pytest points stdin at /dev/null while it captures: suspend that, as its pdb does
    capture.suspend_global_capture(in_=True)
    try:
        while (command := sys.stdin.readline().strip()) != "go":
            if not command or not RUN_COMMAND:
                pytest.exit("the upgrade did not finish: the contract tests were not run", 3)
            with _database_allowed(session.config):
                RUN_COMMAND[0](command)
    finally:
        capture.resume_global_capture()
    WAIT["until"] = time.perf_counter()


def _database_allowed(config: pytest.Config) -> Any:
    """pytest-django's blocker, unblocked (it blocks database access outside tests)."""
    from pytest_django import plugin

    key = getattr(plugin, "blocking_manager_key", None)
    if key is not None and key in config.stash:
        return config.stash[key].unblock()
    legacy = getattr(plugin, "_blocking_manager", None)  # pytest-django before 4.8
    return legacy.unblock() if legacy is not None else contextlib.nullcontext()
