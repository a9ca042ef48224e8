"""Run by a rehearsal base venv's python right after it is made: import what every leg's
processes import (Django's setup, migrate, the test runner, pytest and pytest-django), so
their bytecode is written once, by one process.

The legs of a cold matrix start together: without this, each of their first processes
(both sides of two legs and the fresh install: five on two cores) compiles the same Django
modules from source at the same moment. Imports nothing from monorel; every failure is
ignored (it only means a leg compiles that module itself, as before).
"""

from __future__ import annotations

import contextlib
import importlib

_MODULES = (
    "django.core.management.commands.migrate",
    "django.core.management.commands.makemigrations",
    "django.core.management.commands.loaddata",
    "django.db.migrations.autodetector",
    "django.db.migrations.executor",
    "django.db.backends.sqlite3.base",
    "django.db.backends.postgresql.base",
    "django.test",
    "django.test.runner",
    "pytest",
    "pytest_django.plugin",
    "_pytest.junitxml",
)


def main() -> None:
    try:
        import django
        from django.conf import settings
    except ImportError:
        return
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
    )
    with contextlib.suppress(Exception):
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    for name in _MODULES:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


if __name__ == "__main__":
    main()
