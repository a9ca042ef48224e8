"""The public surface of accounts_app: exactly the names and codes of the API contract."""

from __future__ import annotations

import accounts_app.api as api
import pytest
from django.apps import apps
from django.core.management import call_command


def test_accounts_api_exports_exactly_the_contract() -> None:
    assert sorted(api.__all__) == [
        "AccountNotFound",
        "AccountRef",
        "AccountsError",
        "InvalidAccountData",
        "InvalidTransition",
        "close_account",
        "get_account",
        "is_billable",
        "open_account",
        "reactivate_account",
        "suspend_account",
    ]
    assert all(hasattr(api, name) for name in api.__all__)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (api.AccountNotFound, "accounts.not_found"),
        (api.InvalidTransition, "accounts.invalid_transition"),
        (api.InvalidAccountData, "accounts.invalid_data"),
    ],
)
def test_accounts_error_codes_are_stable(error: type[api.AccountsError], code: str) -> None:
    assert issubclass(error, api.AccountsError)
    assert error.code == code
    assert error("message").code == code


def test_accounts_app_config() -> None:
    config = apps.get_app_config("accounts_app")

    assert type(config).__name__ == "AccountsConfig"
    assert config.default_auto_field == "django.db.models.BigAutoField"
    assert config.get_model("Account")._meta.pk.get_internal_type() == "BigAutoField"


@pytest.mark.django_db
def test_accounts_migrations_match_the_models() -> None:
    # raises SystemExit(1) when a model change has no migration
    call_command("makemigrations", "accounts_app", "--check", "--dry-run", verbosity=0)
