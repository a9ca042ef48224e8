"""Settings from the environment, the project's wiring, and a clean migration state."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from host.envconfig import EnvError, data_dir, database_config, env_bool, env_int, env_list

HOST_DIR = Path(__file__).resolve().parents[1]  # apps/host


def test_host_settings_default_database_is_sqlite_in_apps_host() -> None:
    config = database_config({})

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(HOST_DIR / "db.sqlite3")
    assert config["OPTIONS"] == {"transaction_mode": "IMMEDIATE"}
    assert config["TEST"] == {
        "NAME": str(Path(tempfile.gettempdir()) / f"host-tests-{os.getpid()}.sqlite3")
    }


def test_host_settings_host_data_dir_moves_the_sqlite_file(tmp_path: Path) -> None:
    config = database_config({"HOST_DATA_DIR": str(tmp_path)})

    assert config["NAME"] == str(tmp_path / "db.sqlite3")
    assert data_dir({"HOST_DATA_DIR": str(tmp_path)}) == tmp_path


def test_host_settings_postgres_url() -> None:
    config = database_config(
        {
            "DATABASE_URL": "postgres://app:s%40cret@db.internal:6543/billing",
            "DB_CONN_MAX_AGE": "60",
        }
    )

    assert {k: config[k] for k in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")} == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "billing",
        "USER": "app",
        "PASSWORD": "s@cret",
        "HOST": "db.internal",
        "PORT": 6543,
    }
    assert config["CONN_MAX_AGE"] == 60
    assert "transaction_mode" not in config.get("OPTIONS", {})
    assert "TEST" not in config


def test_host_settings_sqlite_url_keeps_immediate_transactions(tmp_path: Path) -> None:
    config = database_config({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})

    assert (config["NAME"], config["OPTIONS"]) == (
        f"{tmp_path}/x.sqlite3",
        {"transaction_mode": "IMMEDIATE"},
    )


def test_host_settings_unknown_database_scheme() -> None:
    with pytest.raises(EnvError, match="DATABASE_URL is not usable"):
        database_config({"DATABASE_URL": "nosuchdb://x/y"})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("", False),
    ],
)
def test_host_settings_env_bool(raw: str, expected: bool) -> None:
    assert env_bool({"X": raw}, "X", default=not expected) is expected


def test_host_settings_env_bool_default_and_invalid() -> None:
    assert env_bool({}, "X", default=True) is True
    with pytest.raises(EnvError, match="X='maybe' is not a boolean"):
        env_bool({"X": "maybe"}, "X", default=True)


def test_host_settings_env_list_and_int() -> None:
    assert env_list({"H": " a.example, b.example ,,"}, "H", default=["x"]) == [
        "a.example",
        "b.example",
    ]
    assert env_list({}, "H", default=["x"]) == ["x"]
    assert env_int({"N": "42"}, "N", default=1) == 42
    assert env_int({}, "N", default=1) == 1
    with pytest.raises(EnvError, match="N='4x' is not an integer"):
        env_int({"N": "4x"}, "N", default=1)


def test_host_settings_wiring() -> None:
    assert settings.INSTALLED_APPS[-4:] == [
        "accounts_app.apps.AccountsConfig",
        "billing_app.apps.BillingConfig",
        "ninja",
        "host",
    ]
    assert settings.BILLING_PAYMENT_GATEWAY == "host.payments.FakeGateway"
    assert settings.BILLING_WEBHOOK_SINK == "host.webhooks.queue_outbound_webhook"
    assert settings.HOST_WEBHOOK_TOLERANCE == 300


def test_host_settings_session_database_matches_the_requested_backend(
    request: pytest.FixtureRequest,
) -> None:
    # `pytest --postgres` (monorel's plugin) must reach the settings before Django loads them
    wants_postgres = request.config.getoption("postgres", default=False) or bool(
        os.environ.get("TEST_DATABASE_URL")
    )
    assert connection.vendor == ("postgresql" if wants_postgres else "sqlite")


def test_host_settings_system_checks_pass() -> None:
    call_command("check", fail_level="WARNING", stdout=StringIO())


@pytest.mark.django_db
def test_host_settings_migrations_are_complete() -> None:
    # makemigrations --check exits non-zero (SystemExit) when a model change has no migration
    out = StringIO()
    call_command("makemigrations", check=True, dry_run=True, stdout=out)
    assert out.getvalue() == "No changes detected\n"


def test_host_settings_importable_for_django_admin(tmp_path: Path) -> None:
    # `python -m django ... --settings host.settings` works from anywhere (host is installed)
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["HOST_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--settings", "host.settings"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (result.returncode, result.stdout) == (
        0,
        "System check identified no issues (0 silenced).\n",
    ), result.stderr


def _deploy_errors() -> list[str]:
    from django.core import checks

    return [
        e.id for e in checks.run_checks(include_deployment_checks=True) if e.id.startswith("host.")
    ]


def test_host_settings_deploy_check_refuses_the_dev_only_secrets(settings) -> None:
    # given the defaults the demo runs with
    settings.HOST_API_TOKENS = ["dev-only-api-token"]
    settings.HOST_WEBHOOK_SECRET = "dev-only-webhook-secret"
    settings.HOST_OUTBOUND_WEBHOOK_URL = ""
    settings.HOST_OUTBOUND_WEBHOOK_SECRET = "dev-only-outbound-webhook-secret"
    # when / then `check --deploy` names both (no outbound URL: its secret signs nothing)
    assert _deploy_errors() == ["host.E001", "host.E002"]
    # and no tokens at all is refused too, and the dev secret once webhooks go somewhere
    settings.HOST_API_TOKENS = []
    settings.HOST_OUTBOUND_WEBHOOK_URL = "https://receiver.example/hooks"
    assert _deploy_errors() == ["host.E001", "host.E002", "host.E003"]


def test_host_settings_deploy_check_passes_configured_secrets(settings) -> None:
    # given tokens and a webhook secret of the deployment's own
    settings.HOST_API_TOKENS = ["a-long-random-token", "the-previous-one"]
    settings.HOST_WEBHOOK_SECRET = "a-long-random-secret"
    settings.HOST_OUTBOUND_WEBHOOK_URL = "https://receiver.example/hooks"
    settings.HOST_OUTBOUND_WEBHOOK_SECRET = "another-long-random-secret"
    # when / then
    assert _deploy_errors() == []


def _errors() -> list[str]:
    from django.core import checks

    return [e.id for e in checks.run_checks() if e.id.startswith("host.")]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("HOST_API_MAX_BODY_BYTES", 0, ["host.E004"]),
        ("HOST_API_MAX_DEPTH", "32", ["host.E004"]),
        ("HOST_API_MAX_DEPTH", True, ["host.E004"]),
        ("HOST_OUTBOUND_WEBHOOK_TIMEOUT", 0, ["host.E005"]),
        ("HOST_OUTBOUND_WEBHOOK_TIMEOUT", -1.5, ["host.E005"]),
        ("HOST_OUTBOUND_WEBHOOK_TIMEOUT", 0.5, []),
        ("HOST_API_MAX_BODY_BYTES", 1024, []),
    ],
)
def test_host_settings_checks_refuse_limits_that_bound_nothing(
    settings, name: str, value: object, expected: list[str]
) -> None:
    # given one limit set to the value
    setattr(settings, name, value)

    # when / then
    assert _errors() == expected
