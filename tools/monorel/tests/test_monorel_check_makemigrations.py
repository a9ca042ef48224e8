"""MR-MAKEMIGRATIONS: makemigrations --check per member, under its own settings.

These tests start Django in child processes (one run forks a child per member).
"""

from __future__ import annotations

from pathlib import Path

from monorel_check_support import finding, run_check


def test_a_model_change_without_migration_is_reported_once(ws: Path) -> None:
    # given people's Person gains a field and no migration (the host installs people too)
    models = ws / "packages/people-app/src/people_app/models.py"
    models.write_text(models.read_text() + '    email = models.EmailField(default="")\n')
    # when
    run = run_check(ws, "--rule", "makemigrations")
    # then it is reported under people's own settings, not again under the host's
    assert run.code == 1
    assert run.findings == [
        finding(
            "MR-MAKEMIGRATIONS",
            "packages/people-app/src/people_app/migrations",
            None,
            "models of app 'people_app' changed without a migration under "
            "people_app_test_settings: Add field email to person",
            "run `DJANGO_SETTINGS_MODULE=people_app_test_settings python -m django "
            "makemigrations people_app` and commit the new migration",
        )
    ]
    # and nothing was written into the workspace
    assert sorted(p.name for p in models.parent.joinpath("migrations").iterdir()) == [
        "0001_initial.py",
        "__init__.py",
    ]


def test_settings_that_cannot_check_a_member_are_reported(ws: Path) -> None:
    # given people's settings not installing people_app, ledger naming no settings,
    # and the host's settings failing to import
    people_settings = ws / "packages/people-app/tests/people_app_test_settings.py"
    people_settings.write_text(people_settings.read_text().replace('    "people_app",\n', ""))
    ledger = ws / "packages/ledger-app/pyproject.toml"
    ledger.write_text(
        ledger.read_text().replace('DJANGO_SETTINGS_MODULE = "ledger_app_test_settings"\n', "")
    )
    host_settings = ws / "apps/shop/src/shop/settings.py"
    host_settings.write_text("import not_installed_anywhere\n" + host_settings.read_text())
    # when
    run = run_check(ws, "--rule", "makemigrations")
    # then
    assert run.findings == [
        finding(
            "MR-MAKEMIGRATIONS",
            "apps/shop/pyproject.toml",
            1,
            "makemigrations --check under shop.settings failed (exit 1): "
            "ModuleNotFoundError: No module named 'not_installed_anywhere'",
            "run `DJANGO_SETTINGS_MODULE=shop.settings python -m django makemigrations "
            "--check --dry-run` to see the error",
        ),
        finding(
            "MR-MAKEMIGRATIONS",
            "packages/ledger-app/pyproject.toml",
            1,
            "ledger-app defines Django apps (ledger_app) but no settings to check their "
            "migrations with",
            "set DJANGO_SETTINGS_MODULE in its [tool.pytest.ini_options], or django-settings "
            "in [tool.monorel.packages.ledger-app]",
        ),
        finding(
            "MR-MAKEMIGRATIONS",
            "packages/people-app/pyproject.toml",
            1,
            "app 'people_app' of people-app is not installed by its settings "
            "people_app_test_settings, so its migrations cannot be checked",
            'add "people_app" to INSTALLED_APPS of people_app_test_settings',
        ),
    ]
