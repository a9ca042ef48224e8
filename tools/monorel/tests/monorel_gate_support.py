"""Throwaway workspaces for the release gate: two libraries with suites, a host with its own
suite, contract tests and a seed, and an examples/consumer a stranger installs with pip.

    people-app (Person; 1.0.0 tagged, then 1.1.0 adds Person.nickname with migration 0002)
      <- ledger-app 1.0.0 (imports people_app.api)
      <- shop (host, from source: pins both, dj-database-url settings, contract tests)

Every gate workspace of a session shares one state dir (``[tool.monorel] state-dir`` is
absolute): the consumer's wheelhouse, the suites' base venv and the rehearsal caches are
made once. Each test gets its own dev (volatile) and stable (non-volatile) index on the
session's devpi-server, owned by a user of its own whose password is only in the URLs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from monorel import publishing
from monorel.adapters import devpi
from monorel_release_support import SharedDevpi
from monorel_workspaces import (
    MemberSpec,
    commit_all,
    git,
    migration_source,
    write,
    write_workspace,
)

DJANGO = "Django>=5.2,<6"

_PEOPLE_API = '''
"""Public API of people_app."""

__all__ = ["display_name"]


def display_name(name: str) -> str:
    return name.title()
'''

_PEOPLE_TEST = """
import pytest
from people_app.api import display_name
from people_app.models import Person


def test_display_name_titles_each_word():
    assert display_name("ada lovelace") == "Ada Lovelace"


@pytest.mark.django_db
def test_a_person_is_stored():
    Person.objects.create(name="Ada")
    assert Person.objects.count() == 1
"""

_LEDGER_TEST = """
from ledger_app.api import entry_label


def test_entry_label_names_the_person_and_the_amount():
    assert entry_label("ada", 3) == "Ada: 3"
"""

_SHOP_SETTINGS = """
import os

import dj_database_url

SECRET_KEY = "gate-tests-only"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or "sqlite://:memory:")}
INSTALLED_APPS = ["django.contrib.contenttypes", "people_app", "ledger_app", "shop"]
"""

_SHOP_TEST = """
from shop.views import entry_label


def test_the_shop_labels_entries_through_the_ledger():
    assert entry_label("grace hopper", 7) == "Grace Hopper: 7"
"""

_CONTRACTS_INI = """
[pytest]
DJANGO_SETTINGS_MODULE = contract_settings
pythonpath = .
testpaths = .
addopts = -p no:cacheprovider
"""

_CONTRACT_SETTINGS = """
SECRET_KEY = "contracts-only"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
INSTALLED_APPS = ["django.contrib.contenttypes", "people_app", "ledger_app"]
"""

_CONTRACT_TEST = """
import pytest
from ledger_app.api import entry_label
from people_app.api import display_name


def test_people_display_names():
    assert display_name("alan turing") == "Alan Turing"


@pytest.mark.django_db
def test_ledger_labels_entries():
    assert entry_label("alan", 1) == "Alan: 1"
"""

_CONSUMER = {
    "requirements.txt": "people-app==${PEOPLE_APP_VERSION}\nledger-app==${LEDGER_APP_VERSION}\n",
    "requirements-test.txt": "pytest>=8.3\npytest-django>=4.9\n",
    "manage.py": """
        import os
        import sys

        if __name__ == "__main__":
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consumer_site.settings")
            from django.core.management import execute_from_command_line

            execute_from_command_line(sys.argv)
        """,
    "consumer_site/__init__.py": "",
    "consumer_site/settings.py": """
        from pathlib import Path

        SECRET_KEY = "consumer-only"
        USE_TZ = True
        DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": Path(__file__).resolve().parent.parent / "db.sqlite3",
            }
        }
        INSTALLED_APPS = ["django.contrib.contenttypes", "people_app", "ledger_app"]
        """,
}

_PERSON = {"name": "models.CharField(max_length=50)"}
_NICKNAME = 'models.CharField(max_length=50, blank=True, default="")'


def gate_members(
    *, people_test: str = _PEOPLE_TEST, ledger_test: str = _LEDGER_TEST, shop_test: str = _SHOP_TEST
) -> list[MemberSpec]:
    """people-app 1.0.0, ledger-app 1.0.0 and the shop host, as first released."""
    people = MemberSpec(
        "people-app",
        dependencies=[DJANGO],
        models={"Person": dict(_PERSON)},
        modules={"api.py": _PEOPLE_API},
        files={"tests/test_people.py": people_test},
    )
    ledger = MemberSpec(
        "ledger-app",
        dependencies=["people-app>=1.0,<2", DJANGO],
        modules={
            "api.py": '"""Public API of ledger_app."""\n\nfrom ledger_app.services import '
            'entry_label\n\n__all__ = ["entry_label"]\n',
            "services.py": "from people_app.api import display_name\n\n\n"
            "def entry_label(name: str, amount: int) -> str:\n"
            '    return f"{display_name(name)}: {amount}"\n',
        },
        files={"tests/test_ledger.py": ledger_test},
    )
    shop = MemberSpec(
        "shop",
        version="0.1.0",
        role="host",
        directory="apps",
        dependencies=["people-app==1.0.0", "ledger-app==1.0.0", DJANGO, "dj-database-url>=2.2"],
        modules={
            "views.py": "from ledger_app.api import entry_label\n\n__all__ = ['entry_label']\n",
            "fixtures/seed.json": json.dumps(
                [{"model": "people_app.person", "pk": 1, "fields": {"name": "Ada"}}]
            ),
        },
        settings=_SHOP_SETTINGS,
        files={
            "tests/test_shop.py": shop_test,
            "tests/contracts/contracts-pytest.ini": _CONTRACTS_INI,
            "tests/contracts/contract_settings.py": _CONTRACT_SETTINGS,
            "tests/contracts/test_contracts.py": _CONTRACT_TEST,
        },
        monorel={"contract-tests": "tests/contracts", "seed": "src/shop/fixtures/seed.json"},
    )
    return [people, ledger, shop]


def write_gate_workspace(root: Path, state_dir: Path, **tests: str) -> Path:
    """The workspace with people-app 1.0.0 tagged, then people-app 1.1.0 (a new nullable
    field, migration 0002) committed on top: a real upgrade for `monorel rehearse`."""
    members = gate_members(**tests)
    write_workspace(
        root, members, monorel_config=f'org = "acme"\nstate-dir = "{state_dir}"\n', commit=None
    )
    for rel, text in _CONSUMER.items():
        write(root / "examples" / "consumer" / rel, text)
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "people-app 1.0.0, ledger-app 1.0.0")
    git(root, "tag", "-a", "people-app-v1.0.0", "-m", "people-app 1.0.0")
    git(root, "tag", "-a", "ledger-app-v1.0.0", "-m", "ledger-app 1.0.0")
    people = root / "packages" / "people-app"
    pyproject = people / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "1.0.0"', 'version = "1.1.0"'))
    shop = root / "apps" / "shop" / "pyproject.toml"
    shop.write_text(shop.read_text().replace("people-app==1.0.0", "people-app==1.1.0"))
    models = people / "src" / "people_app" / "models.py"
    models.write_text(models.read_text() + f"    nickname = {_NICKNAME}\n")
    write(
        people / "src" / "people_app" / "migrations" / "0002_person_nickname.py",
        migration_source(
            f'migrations.AddField("person", "nickname", {_NICKNAME})',
            dependencies=[("people_app", "0001_initial")],
        ),
    )
    commit_all(root, "people-app 1.1.0: Person.nickname")
    git(root, "tag", "-a", "people-app-v1.1.0", "-m", "people-app 1.1.0")
    return root


@dataclass(frozen=True)
class GateIndexes:
    """A user of its own on the shared devpi, with a dev and a stable index."""

    dev: publishing.Index
    stable: publishing.Index
    user: str
    password: str

    def url(self, index: publishing.Index) -> str:
        """The index URL with this user's credentials in it."""
        scheme, rest = index.url.split("://", 1)
        return f"{scheme}://{self.user}:{self.password}@{rest}"

    @property
    def credentials(self) -> publishing.Credentials:
        return publishing.basic_credentials("tests", self.user, self.password)


def gate_indexes(shared: SharedDevpi, user: str) -> GateIndexes:
    """``<user>/dev`` (volatile) and ``<user>/stable`` (non-volatile) on the shared devpi."""
    password = f"url-secret-{user}-Zq81"
    admin = devpi.BasicAuth("root", _root_password(shared))
    devpi.ensure_user(shared.url, admin=admin, user=user, password=password)
    # the server lets only root and the org modify: root makes the user's indexes
    devpi.ensure_index(shared.url, auth=admin, index=f"{user}/dev", volatile=True)
    devpi.ensure_index(shared.url, auth=admin, index=f"{user}/stable", volatile=False)
    return GateIndexes(
        dev=publishing.Index(f"{shared.url}/{user}/dev/"),
        stable=publishing.Index(f"{shared.url}/{user}/stable/"),
        user=user,
        password=password,
    )


def _root_password(shared: SharedDevpi) -> str:
    return json.loads(shared.server.credentials_file.read_text())["root"]
