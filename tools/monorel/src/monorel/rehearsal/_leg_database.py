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
"""

from __future__ import annotations

import types

import pytest


@pytest.fixture(scope="session")
def django_db_setup() -> None:
    """The configured database (the leg's), as it is: no test database, no migrations."""


def pytest_configure(config: pytest.Config) -> None:
    override = types.ModuleType("monorel_leg_database_override")
    override.django_db_setup = django_db_setup  # type: ignore[attr-defined]
    config.pluginmanager.register(override, "monorel-leg-database")
