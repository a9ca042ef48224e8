"""Real rehearsals on a throwaway workspace: tiny-core, tiny-shop (1.0.0 -> 1.1.0), tiny-host.

The workspace is made once per session (git history with tiny-shop 1.0.0 released);
each scenario is a copy with one more commit that bumps tiny-shop to 1.1.0:

- good:       adds ``Item.sku`` and backfills it (the host's seed now has skus: the
              1.0.0 leg loads the seed as it was at 1.0.0) -> every step passes
- drop:       removes ``Item.note`` (seed rows hold notes) -> fails at row survival, names it
- constraint: adds CHECK (price > 0) (the seed has price 0) -> fails at migrate with the DB error
- view:       the drop, where the host's own migration made a view over ``Item.note``:
              SQLite refuses to drop the column (fails at migrate); PostgreSQL drops the
              view with the column (CASCADE), which row survival names

Every scenario runs on SQLite and on PostgreSQL (an ephemeral cluster started by
``--db postgres`` for the good upgrade; one shared cluster passed as ``--db URL`` for the
others). One wheel/venv cache serves all rehearsals, so each wheel is built once.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import subprocess
import textwrap
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from monorel.adapters import git, uv
from monorel.cli import main
from monorel.postgres import EphemeralPostgres

pytestmark = pytest.mark.skipif(shutil.which("uv") is None, reason="rehearsals need uv")

_CORE_MIGRATION = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Customer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
            ],
        ),
    ]
"""

_SHOP_MIGRATION = """
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("tiny_core", "0001_initial")]
    operations = [
        migrations.CreateModel(
            name="Item",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("price", models.IntegerField()),
                ("note", models.TextField(blank=True, default="")),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="tiny_core.customer",
                    ),
                ),
            ],
        ),
    ]
"""

_SHOP_MODELS = """
from django.db import models


class Item(models.Model):
    customer = models.ForeignKey("tiny_core.Customer", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    price = models.IntegerField()
    note = models.TextField(blank=True, default="")
"""

_SEED = [
    {"model": "tiny_core.customer", "pk": 1, "fields": {"name": "Ada"}},
    {"model": "tiny_core.customer", "pk": 2, "fields": {"name": "Grace"}},
    {
        "model": "tiny_shop.item",
        "pk": 1,
        "fields": {"customer": 1, "name": "pen", "price": 3, "note": "blue ink"},
    },
    {
        "model": "tiny_shop.item",
        "pk": 2,
        "fields": {"customer": 1, "name": "pad", "price": 0, "note": "free sample"},
    },
    {"model": "tiny_shop.item", "pk": 3, "fields": {"customer": 2, "name": "cup", "price": 7}},
]

_SEED_PATH = "apps/tiny-host/src/tiny_host/fixtures/seed.json"

_CONTRACT_TEST = """
import pytest

from tiny_core.models import Customer
from tiny_shop.models import Item


@pytest.mark.django_db
def test_an_item_keeps_its_customer():
    # given
    customer = Customer.objects.create(name="Ada")
    # when
    item = Item.objects.create(customer=customer, name="pen", price=3)
    # then
    assert Item.objects.get(pk=item.pk).customer_id == customer.pk
"""

_SETTINGS = """
import os

import dj_database_url

SECRET_KEY = "rehearsal-only"
INSTALLED_APPS = ["tiny_core", "tiny_shop"]
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
"""

# the 1.1.0 change of each scenario: (models.py, 0002 migration)
_SCENARIOS = {
    "good": (
        _SHOP_MODELS + '    sku = models.CharField(max_length=20, blank=True, default="")\n',
        """
from django.db import migrations, models


def backfill(apps, schema_editor):
    Item = apps.get_model("tiny_shop", "Item")
    for item in Item.objects.filter(sku=""):
        item.sku = f"SKU-{item.pk}"
        item.save(update_fields=["sku"])


class Migration(migrations.Migration):
    dependencies = [("tiny_shop", "0001_initial")]
    operations = [
        migrations.AddField("item", "sku", models.CharField(max_length=20, blank=True, default="")),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
""",
    ),
    "drop": (
        _SHOP_MODELS.replace('    note = models.TextField(blank=True, default="")\n', ""),
        """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tiny_shop", "0001_initial")]
    operations = [migrations.RemoveField("item", "note")]
""",
    ),
    "view": (
        _SHOP_MODELS.replace('    note = models.TextField(blank=True, default="")\n', ""),
        """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tiny_shop", "0001_initial")]
    operations = [migrations.RemoveField("item", "note")]
""",
    ),
    "constraint": (
        _SHOP_MODELS
        + "\n    class Meta:\n        constraints = [\n"
        + "            models.CheckConstraint(\n"
        + '                condition=models.Q(price__gt=0), name="price_positive"\n'
        + "            )\n"
        + "        ]\n",
        """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tiny_shop", "0001_initial")]
    operations = [
        migrations.AddConstraint(
            "item", models.CheckConstraint(condition=models.Q(price__gt=0), name="price_positive")
        ),
    ]
""",
    ),
}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def _library(root: Path, dist: str, deps: list[str]) -> Path:
    module = dist.replace("-", "_")
    directory = root / "packages" / dist
    dependencies = ", ".join(f'"{d}"' for d in ["Django>=5.2,<6", *deps])
    _write(
        directory / "pyproject.toml",
        f"""
        [build-system]
        requires = ["hatchling>=1.25"]
        build-backend = "hatchling.build"

        [project]
        name = "{dist}"
        version = "1.0.0"
        requires-python = ">=3.11"
        dependencies = [{dependencies}]

        [tool.hatch.build.targets.wheel]
        packages = ["src/{module}"]
        """,
    )
    package = directory / "src" / module
    _write(package / "__init__.py", "")
    _write(
        package / "apps.py",
        f"""
        from django.apps import AppConfig


        class Config(AppConfig):
            name = "{module}"
            default_auto_field = "django.db.models.BigAutoField"
        """,
    )
    _write(package / "migrations" / "__init__.py", "")
    return package


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture(scope="session")
def base_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tiny-core 1.0.0 + tiny-shop 1.0.0 released (tagged) + tiny-host with seed and contract."""
    root = tmp_path_factory.mktemp("rehearse-base") / "ws"
    _write(
        root / "pyproject.toml",
        """
        [project]
        name = "tiny-root"
        version = "0.0.0"
        requires-python = ">=3.11"

        [tool.uv]
        package = false

        [tool.uv.workspace]
        members = ["packages/*", "apps/*"]

        [tool.monorel.packages.tiny-host]
        role = "host"
        django-settings = "tiny_host.settings"
        seed = "src/tiny_host/fixtures/seed.json"
        contract-tests = "tests/contracts"
        """,
    )
    core = _library(root, "tiny-core", [])
    _write(
        core / "models.py",
        "from django.db import models\n\n\n"
        "class Customer(models.Model):\n"
        "    name = models.CharField(max_length=100)\n",
    )
    _write(core / "migrations" / "0001_initial.py", _CORE_MIGRATION)
    shop = _library(root, "tiny-shop", ["tiny-core>=1.0,<2"])
    _write(shop / "models.py", _SHOP_MODELS)
    _write(shop / "migrations" / "0001_initial.py", _SHOP_MIGRATION)
    host = root / "apps" / "tiny-host"
    _write(
        host / "pyproject.toml",
        """
        [project]
        name = "tiny-host"
        version = "0.1.0"
        requires-python = ">=3.11"
        dependencies = [
            "Django>=5.2,<6",
            "dj-database-url>=2.2",
            "psycopg[binary]>=3.2,<4",
            "tiny-core==1.0.0",
            "tiny-shop==1.0.0",
        ]
        """,
    )
    _write(host / "src" / "tiny_host" / "__init__.py", "")
    _write(host / "src" / "tiny_host" / "settings.py", _SETTINGS)
    _write(root / _SEED_PATH, json.dumps(_SEED, indent=1))
    _write(host / "tests" / "contracts" / "test_tinyhost_contract.py", _CONTRACT_TEST)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "1.0.0")
    _git(root, "tag", "tiny-shop-v1.0.0")
    _git(root, "tag", "tiny-core-v1.0.0")
    return root


@pytest.fixture(scope="session")
def rehearse_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One wheel and venv cache for every rehearsal of the session."""
    return tmp_path_factory.mktemp("rehearse-cache")


@pytest.fixture(scope="session")
def scenario(base_workspace: Path):
    """A copy of the base workspace with the scenario's tiny-shop 1.1.0 committed."""
    made: dict[str, Path] = {}

    def make(name: str) -> Path:
        if name not in made:
            root = base_workspace.parent.parent / name
            shutil.copytree(base_workspace, root)
            shop = root / "packages" / "tiny-shop"
            models, migration = _SCENARIOS[name]
            _write(shop / "src" / "tiny_shop" / "models.py", models)
            _write(shop / "src" / "tiny_shop" / "migrations" / "0002_change.py", migration)
            if name == "good":
                # the host's seed follows the new models; the 1.0.0 leg must load the old seed
                seed = [
                    {**e, "fields": {**e["fields"], "sku": f"S{e['pk']}"}}
                    if e["model"] == "tiny_shop.item"
                    else e
                    for e in _SEED
                ]
                _write(root / _SEED_PATH, json.dumps(seed, indent=1))
            if name == "view":
                _host_view(root / "apps" / "tiny-host" / "src" / "tiny_host")
            pyproject = shop / "pyproject.toml"
            pyproject.write_text(
                pyproject.read_text().replace('version = "1.0.0"', 'version = "1.1.0"')
            )
            _git(root, "add", "-A")
            _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", name)
            made[name] = root
        return made[name]

    return make


def _host_view(host: Path) -> None:
    """The host installs its own app, whose migration makes a view over tiny_shop_item.note."""
    settings = host / "settings.py"
    settings.write_text(
        settings.read_text().replace(
            'INSTALLED_APPS = ["tiny_core", "tiny_shop"]',
            'INSTALLED_APPS = ["tiny_core", "tiny_shop", "tiny_host"]',
        )
    )
    _write(host / "migrations" / "__init__.py", "")
    _write(
        host / "migrations" / "0001_item_notes_view.py",
        """
        from django.db import migrations


        class Migration(migrations.Migration):
            dependencies = [("tiny_shop", "0001_initial")]
            operations = [
                migrations.RunSQL(
                    "CREATE VIEW tiny_host_item_notes AS SELECT id, note FROM tiny_shop_item",
                    "DROP VIEW tiny_host_item_notes",
                )
            ]
        """,
    )


@pytest.fixture(scope="module")
def shared_postgres() -> Iterator[EphemeralPostgres]:
    with EphemeralPostgres() as cluster:
        yield cluster


def _rehearse(root: Path, cache: Path, db: str, capsys, *extra: str) -> tuple[int, str]:
    code = main(
        [
            "--root",
            str(root),
            "rehearse",
            "tiny-shop",
            "--db",
            db,
            "--cache-dir",
            str(cache),
            *extra,
        ]
    )
    out, err = capsys.readouterr()
    return code, out + err


def _row(output: str, version: str) -> list[str]:
    """The matrix row of ``version``: from, result, time, failed step, error."""
    line = next(line for line in output.splitlines() if line.startswith(version + " "))
    return re.split(r"\s{2,}", line.strip(), maxsplit=4)


def test_list_versions_prints_the_earlier_releases_as_json(scenario, capsys):
    # given a workspace where tiny-shop 1.0.0 is released and the code is 1.1.0
    root = scenario("good")
    # when
    code = main(
        ["--root", str(root), "rehearse", "tiny-shop", "--list-versions", "--format", "json"]
    )
    # then
    assert code == 0
    assert json.loads(capsys.readouterr().out) == ["1.0.0"]


def test_an_unknown_from_version_is_a_usage_error_naming_the_known_ones(scenario, capsys):
    # given
    root = scenario("good")
    # when
    code = main(["--root", str(root), "rehearse", "tiny-shop", "--from", "0.9.0"])
    # then
    assert code == 2
    err = capsys.readouterr().err
    assert "tiny-shop has no earlier release 0.9.0" in err
    assert "choose from: 1.0.0" in err


@pytest.fixture
def simple_index(base_workspace: Path, tmp_path: Path) -> Iterator[str]:
    """A PEP 503 index on 127.0.0.1 serving tiny-shop 1.0.0, built from its tag."""
    source = git.export_tree(base_workspace, "tiny-shop-v1.0.0", "packages/tiny-shop", tmp_path)
    wheel = uv.build_wheel(source, tmp_path / "files")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    page = tmp_path / "simple" / "tiny-shop" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        f'<html><body><a href="../../files/{wheel.name}#sha256={digest}">{wheel.name}</a>'
        "</body></html>"
    )
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_old_wheel_comes_from_the_index_when_it_has_it(
    scenario, rehearse_cache, simple_index, capsys
):
    # given an index that serves tiny-shop 1.0.0
    root = scenario("good")
    # when
    code, output = _rehearse(root, rehearse_cache, "sqlite", capsys, "--index", simple_index)
    # then the leg passed with the downloaded wheel, which is now cached under the index
    assert code == 0, output
    assert _row(output, "1.0.0")[:2] == ["1.0.0", "ok"]
    cached = sorted(
        p.name for p in (rehearse_cache / "wheels" / "tiny-shop").glob("1.0.0-index-*/*")
    )
    assert cached == ["tiny_shop-1.0.0-py3-none-any.whl"]


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_a_good_upgrade_passes_every_step(scenario, rehearse_cache, db, capsys, tmp_path):
    # given tiny-shop 1.1.0 adds a column and backfills it
    root = scenario("good")
    junit = tmp_path / "rehearse.xml"
    # when
    code, output = _rehearse(root, rehearse_cache, db, capsys, "--junit", str(junit))
    # then
    assert code == 0, output
    assert _row(output, "1.0.0")[:2] == ["1.0.0", "ok"]
    assert len(_row(output, "1.0.0")) == 3  # no failed step, no error
    assert "legs: 1 ok, 0 failed" in output
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("1", "0")
    case = suite.find("testcase")
    assert case is not None and case.get("name") == "tiny-shop 1.0.0 -> 1.1.0"
    assert case.find("failure") is None


def _postgres_db(db: str, cluster: EphemeralPostgres) -> str:
    return cluster.url if db == "postgres" else db


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_dropping_a_column_that_held_seed_data_fails_row_survival(
    scenario, rehearse_cache, shared_postgres, db, capsys, tmp_path
):
    # given tiny-shop 1.1.0 removes Item.note, which two seeded items filled
    root = scenario("drop")
    junit = tmp_path / "rehearse.xml"
    # when
    code, output = _rehearse(
        root, rehearse_cache, _postgres_db(db, shared_postgres), capsys, "--junit", str(junit)
    )
    # then
    assert code == 1, output
    row = _row(output, "1.0.0")
    assert row[:2] == ["1.0.0", "FAIL"]
    assert row[3:] == ["row survival", "tiny_shop_item.note dropped, 2 rows held data"]
    failure = ET.parse(junit).getroot().find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == "row survival: tiny_shop_item.note dropped, 2 rows held data"


@pytest.mark.parametrize(
    ("db", "error"),
    [
        ("sqlite", "IntegrityError: CHECK constraint failed: price_positive"),
        (
            "postgres",
            'CheckViolation: check constraint "price_positive" of relation "tiny_shop_item" '
            "is violated by some row (raised as django.db.utils.IntegrityError)",
        ),
    ],
)
def test_seed_data_violating_a_new_constraint_fails_at_migrate(
    scenario, rehearse_cache, shared_postgres, db, error, capsys
):
    # given tiny-shop 1.1.0 adds CHECK (price > 0) and the seed has an item priced 0
    root = scenario("constraint")
    # when
    code, output = _rehearse(root, rehearse_cache, _postgres_db(db, shared_postgres), capsys)
    # then
    assert code == 1, output
    row = _row(output, "1.0.0")
    assert row[:2] == ["1.0.0", "FAIL"]
    assert row[3:] == ["migrate", error]


@pytest.mark.parametrize(
    ("db", "step", "error"),
    [
        (
            "sqlite",
            "migrate",
            "OperationalError: error in view tiny_host_item_notes after drop column: "
            "no such column: note",
        ),
        (
            "postgres",
            "row survival",
            "tiny_shop_item.note dropped, 2 rows held data; view tiny_host_item_notes dropped "
            "(a column or table it used was dropped with CASCADE)",
        ),
    ],
)
def test_dropping_a_column_a_host_view_uses_is_caught_on_each_database(
    scenario, rehearse_cache, shared_postgres, db, step, error, capsys
):
    # given tiny-shop 1.1.0 drops Item.note, which a view of the host's selects
    root = scenario("view")
    # when
    code, output = _rehearse(root, rehearse_cache, _postgres_db(db, shared_postgres), capsys)
    # then
    assert code == 1, output
    row = _row(output, "1.0.0")
    assert row[:2] == ["1.0.0", "FAIL"]
    assert row[3:] == [step, error]
