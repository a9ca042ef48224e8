"""Real rehearsals on a throwaway workspace: tiny-core, tiny-shop (1.0.0 -> 1.1.0), tiny-host.

The workspace is made once per session (git history with tiny-shop 1.0.0 released);
each scenario is a copy with one more commit that moves tiny-shop to 1.1.0. Item has a
note the seed fills, a memo and a status the seed never sets (the generated rows do):

- good:        adds ``Item.sku`` and backfills it -> every step passes
- unfilled:    drops ``Item.memo`` (NULL in every seed row) -> data survival names it
- deletes:     a RunPython deletes the items of one status -> data survival counts them
- truncates:   ``Item.note`` TextField -> CharField(max_length=20) -> data survival
- forgets:     the released 0001 is edited to add a view and a trigger -> schema names both
- squash:      0001 + an unreleased 0002 (sku) squashed, originals deleted -> schema
- old-minor:   drops ``Item.note`` (declared), the old code still selects it -> old code fails
- old-major:   the same as a declared breaking change -> reported as expected, passes
- renames:     Item -> Article, name -> title, a declared breaking change: the schema
               equals a fresh install's although PostgreSQL kept the old generated names,
               the data is found under the new names, only the old code fails (expected)
- constraint:  adds CHECK (price > 0) (the seed has price 0) -> fails at migrate
- view:        drops ``Item.note``, which a view of the host selects: SQLite refuses
               (migrate), PostgreSQL drops the view with the column (data survival)

Every scenario runs on SQLite and on PostgreSQL (the good upgrade with an ephemeral
cluster of its own, ``--db postgres``; the others on one shared cluster passed as
``--db URL``). One wheel/venv cache serves all rehearsals, so each wheel is built once.
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
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from monorel.adapters import git, uv
from monorel.cli import main
from monorel.postgres import EphemeralPostgres

pytestmark = pytest.mark.skipif(shutil.which("uv") is None, reason="rehearsals need uv")

_ITEM_FIELDS_0001 = """
                ("name", models.CharField(max_length=100)),
                ("price", models.IntegerField()),
                ("note", models.TextField(blank=True, default="")),
                ("memo", models.TextField(blank=True, null=True)),
                (
                    "status",
                    models.CharField(
                        choices=[("new", "New"), ("sold", "Sold"), ("gone", "Gone")],
                        default="new",
                        max_length=4,
                    ),
                ),
"""

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

_SHOP_MIGRATION = (
    """
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
                ),"""
    + _ITEM_FIELDS_0001
    + """                (
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
)

_SHOP_MODELS = """
from django.db import models


class Item(models.Model):
    customer = models.ForeignKey("tiny_core.Customer", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    price = models.IntegerField()
    note = models.TextField(blank=True, default="")
    memo = models.TextField(blank=True, null=True)
    status = models.CharField(
        max_length=4,
        choices=[("new", "New"), ("sold", "Sold"), ("gone", "Gone")],
        default="new",
    )
"""

_NOTE_FIELD = '    note = models.TextField(blank=True, default="")\n'

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
_CONTRACT_PATH = "apps/tiny-host/tests/contracts/test_tinyhost_contract.py"

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


@pytest.mark.django_db
def test_items_are_listed_by_name():
    # given the items the upgraded database already holds, and one more
    customer = Customer.objects.create(name="Ada")
    Item.objects.create(customer=customer, name="zzz-last", price=1)
    # when
    names = list(Item.objects.order_by("name").values_list("name", flat=True))
    # then
    assert names[-1] == "zzz-last"
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

_DROP_NOTE = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tiny_shop", "0001_initial")]
    operations = [migrations.RemoveField("item", "note")]
"""

_ADD_SKU = """
from django.db import migrations, models


def backfill(apps, schema_editor):
    Item = apps.get_model("tiny_shop", "Item")
    for item in Item.objects.filter(sku__isnull=True):
        item.sku = f"SKU-{item.pk}"
        item.save(update_fields=["sku"])


class Migration(migrations.Migration):
    dependencies = [("tiny_shop", "0001_initial")]
    operations = [
        # nullable: the old code, still running while this migrates, inserts items without it
        migrations.AddField("item", "sku", models.CharField(max_length=20, null=True, blank=True)),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
"""

_SQUASHED = _SHOP_MIGRATION.replace(
    "    initial = True\n",
    "    initial = True\n"
    '    replaces = [("tiny_shop", "0001_initial"), ("tiny_shop", "0002_change")]\n',
).replace(
    '                ("price", models.IntegerField()),\n',
    '                ("price", models.IntegerField()),\n'
    '                ("sku", models.CharField(blank=True, default="", max_length=20)),\n',
)

_FORGOTTEN = """
def create_view_and_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(
        "CREATE VIEW tiny_shop_item_prices AS SELECT id, name, price FROM tiny_shop_item"
    )
    if vendor == "postgresql":
        schema_editor.execute(
            "CREATE FUNCTION tiny_shop_touch() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN NEW.note := NEW.note; RETURN NEW; END $$"
        )
        schema_editor.execute(
            "CREATE TRIGGER tiny_shop_item_touch BEFORE UPDATE ON tiny_shop_item "
            "FOR EACH ROW EXECUTE FUNCTION tiny_shop_touch()"
        )
    else:
        schema_editor.execute(
            "CREATE TRIGGER tiny_shop_item_touch AFTER UPDATE ON tiny_shop_item "
            "BEGIN SELECT 1; END"
        )
"""


_FORGETFUL_0001 = _SHOP_MIGRATION.replace(
    "\n\nclass Migration", "\n" + _FORGOTTEN + "\n\nclass Migration"
)[: -len("    ]\n")] + (
    "        migrations.RunPython(create_view_and_trigger, migrations.RunPython.noop),\n    ]\n"
)


@dataclass
class Scenario:
    """tiny-shop 1.1.0: its models, its files (relative to the package), what it deletes."""

    models: str = _SHOP_MODELS
    files: dict[str, str] = field(default_factory=dict)
    removed: tuple[str, ...] = ()
    fragments: dict[str, str] = field(default_factory=dict)  # changelog.d name -> text
    contract: str | None = None  # the host's contract tests as of 1.1.0 (None: unchanged)
    seed_sku: bool = False  # the host's seed follows new models with a sku
    host_view: bool = False
    host_settings: str | None = None  # the host's settings.py (None: unchanged)


_SCENARIOS = {
    "good": Scenario(
        models=_SHOP_MODELS + "    sku = models.CharField(max_length=20, null=True, blank=True)\n",
        files={"migrations/0002_change.py": _ADD_SKU},
        seed_sku=True,
    ),
    "unfilled": Scenario(
        models=_SHOP_MODELS.replace("    memo = models.TextField(blank=True, null=True)\n", ""),
        files={
            "migrations/0002_change.py": _DROP_NOTE.replace('"note"', '"memo"'),
        },
    ),
    "deletes": Scenario(
        files={
            "migrations/0002_change.py": """
from django.db import migrations


def forget_gone_items(apps, schema_editor):
    apps.get_model("tiny_shop", "Item").objects.filter(status="gone").delete()


class Migration(migrations.Migration):
    dependencies = [("tiny_shop", "0001_initial")]
    operations = [migrations.RunPython(forget_gone_items, migrations.RunPython.noop)]
""",
        },
    ),
    "truncates": Scenario(
        models=_SHOP_MODELS.replace(
            _NOTE_FIELD, '    note = models.CharField(max_length=20, blank=True, default="")\n'
        ),
        files={
            "migrations/0002_change.py": """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tiny_shop", "0001_initial")]
    operations = [
        migrations.AlterField(
            "item", "note", models.CharField(max_length=20, blank=True, default="")
        ),
    ]
""",
        },
    ),
    "forgets": Scenario(
        # the released 0001 edited in place: a fresh install runs it, an upgrade does not
        files={"migrations/0001_initial.py": _FORGETFUL_0001},
    ),
    "squash": Scenario(
        models=_SHOP_MODELS + '    sku = models.CharField(max_length=20, blank=True, default="")\n',
        files={"migrations/0001_squashed_0002_change.py": _SQUASHED},
        removed=("migrations/0001_initial.py",),
    ),
    "old-minor": Scenario(
        models=_SHOP_MODELS.replace(_NOTE_FIELD, ""),
        files={"migrations/0002_change.py": _DROP_NOTE},
        fragments={
            "+note.migration.md": "Items lose their note.\n\nDrops: tiny_shop_item.note\n",
        },
    ),
    "old-major": Scenario(
        models=_SHOP_MODELS.replace(_NOTE_FIELD, ""),
        files={"migrations/0002_change.py": _DROP_NOTE},
        fragments={
            "+note.breaking.md": "Items lose their note.\n\nDrops: tiny_shop_item.note\n",
        },
    ),
    "renames": Scenario(
        models=_SHOP_MODELS.replace("class Item(", "class Article(").replace(
            "    name = models.CharField(", "    title = models.CharField("
        ),
        files={
            "migrations/0002_change.py": """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tiny_shop", "0001_initial")]
    operations = [
        migrations.RenameModel("Item", "Article"),
        migrations.RenameField("article", "name", "title"),
    ]
""",
        },
        fragments={"+article.breaking.md": "Items are articles, and their name a title.\n"},
        contract=_CONTRACT_TEST.replace("Item", "Article")
        .replace('name="pen"', 'title="pen"')
        .replace('name="zzz-last"', 'title="zzz-last"')
        .replace('"name"', '"title"'),
    ),
    "constraint": Scenario(
        models=_SHOP_MODELS
        + "\n    class Meta:\n        constraints = [\n"
        + "            models.CheckConstraint(\n"
        + '                condition=models.Q(price__gt=0), name="price_positive"\n'
        + "            )\n"
        + "        ]\n",
        files={
            "migrations/0002_change.py": """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tiny_shop", "0001_initial")]
    operations = [
        migrations.AddConstraint(
            "item", models.CheckConstraint(condition=models.Q(price__gt=0), name="price_positive")
        ),
    ]
""",
        },
    ),
    # the good upgrade, but the host's settings ignore DATABASE_URL (an in-memory SQLite)
    "hard-coded-db": Scenario(
        models=_SHOP_MODELS + "    sku = models.CharField(max_length=20, null=True, blank=True)\n",
        files={"migrations/0002_change.py": _ADD_SKU},
        seed_sku=True,
        host_settings=_SETTINGS.replace(
            'dj_database_url.parse(os.environ["DATABASE_URL"])',
            '{"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}',
        ),
    ),
    "view": Scenario(
        models=_SHOP_MODELS.replace(_NOTE_FIELD, ""),
        files={"migrations/0002_change.py": _DROP_NOTE},
        host_view=True,
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

        [tool.towncrier]
        directory = "changelog.d"
        filename = "CHANGELOG.md"

        [[tool.towncrier.type]]
        directory = "breaking"
        name = "Breaking changes"

        [[tool.towncrier.type]]
        directory = "migration"
        name = "Migrations"

        [[tool.towncrier.type]]
        directory = "feature"
        name = "Features"
        """,
    )
    _write(directory / "changelog.d" / ".gitkeep", "")
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


def _commit(root: Path, message: str) -> None:
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message)


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
    _write(root / _CONTRACT_PATH, _CONTRACT_TEST)
    _git(root, "init", "-q", "-b", "main")
    _commit(root, "1.0.0")
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
            spec = _SCENARIOS[name]
            root = base_workspace.parent.parent / name
            shutil.copytree(base_workspace, root)
            shop = root / "packages" / "tiny-shop"
            package = shop / "src" / "tiny_shop"
            _write(package / "models.py", spec.models)
            for rel, text in spec.files.items():
                _write(package / rel, text)
            for rel in spec.removed:
                (package / rel).unlink()
            for fragment, text in spec.fragments.items():
                _write(shop / "changelog.d" / fragment, text)
            if spec.seed_sku:
                # the host's seed follows the new models; the 1.0.0 leg must load the old seed
                seed = [
                    {**e, "fields": {**e["fields"], "sku": f"S{e['pk']}"}}
                    if e["model"] == "tiny_shop.item"
                    else e
                    for e in _SEED
                ]
                _write(root / _SEED_PATH, json.dumps(seed, indent=1))
            if spec.contract is not None:
                _write(root / _CONTRACT_PATH, spec.contract)
            if spec.host_view:
                _host_view(root / "apps" / "tiny-host" / "src" / "tiny_host")
            if spec.host_settings is not None:
                _write(
                    root / "apps" / "tiny-host" / "src" / "tiny_host" / "settings.py",
                    spec.host_settings,
                )
            pyproject = shop / "pyproject.toml"
            pyproject.write_text(
                pyproject.read_text().replace('version = "1.0.0"', 'version = "1.1.0"')
            )
            _commit(root, name)
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
    """The matrix row of ``version``: from, result, time, step, error."""
    line = next(line for line in output.splitlines() if line.startswith(version + " "))
    return re.split(r"\s{2,}", line.strip(), maxsplit=4)


def _db(db: str, cluster: EphemeralPostgres) -> str:
    return cluster.url if db == "postgres" else db


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


_ALL_STEPS = [
    "install old",
    "install new",
    "migrate old",
    "load seed",
    "generate rows",
    "snapshot",
    "migrate",
    "plan empty",
    "makemigrations",
    "schema",
    "data survival",
    "contract tests",
    "old code",
]
_SUITE = "monorel.rehearse.tiny-shop"


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_a_good_upgrade_passes_every_step(scenario, rehearse_cache, db, capsys, tmp_path):
    # given tiny-shop 1.1.0 adds a column and backfills it
    root = scenario("good")
    junit = tmp_path / "rehearse.xml"
    # when
    code, output = _rehearse(root, rehearse_cache, db, capsys, "--junit", str(junit), "--timings")
    # then every step ran and passed, the four proofs last
    assert code == 0, output
    assert _row(output, "1.0.0")[:2] == ["1.0.0", "ok"]
    assert len(_row(output, "1.0.0")) == 3  # no failed step, no error
    assert "legs: 1 ok, 0 failed" in output
    timings = next(line for line in output.splitlines() if line.startswith("  1.0.0: "))
    assert [re.sub(r" [\d.]+s$", "", s) for s in timings[9:].split(", ")] == _ALL_STEPS
    # and the JUnit file has the leg and one case per contract test of each code, timed
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("5", "0", "0")
    cases = [(c.get("classname"), c.get("name")) for c in suite.iter("testcase")]
    contracts = "tests.contracts.test_tinyhost_contract::"
    assert cases == [
        (_SUITE, "tiny-shop 1.0.0 -> 1.1.0"),
        (f"{_SUITE}.1.0.0.contract-tests", contracts + "test_an_item_keeps_its_customer"),
        (f"{_SUITE}.1.0.0.contract-tests", contracts + "test_items_are_listed_by_name"),
        (f"{_SUITE}.1.0.0.old-code", contracts + "test_an_item_keeps_its_customer"),
        (f"{_SUITE}.1.0.0.old-code", contracts + "test_items_are_listed_by_name"),
    ]
    durations = [float(c.get("time", "-1")) for c in suite.iter("testcase")]
    assert all(d > 0 for d in durations)
    assert len(set(durations[1:])) > 1  # each test its own time, not one run copied
    assert all(c.find("failure") is None for c in suite.iter("testcase"))


_FAILURES = {
    "unfilled": {
        "sqlite": ("data survival", "tiny_shop_item.memo dropped, 17 rows held data"),
        "postgres": ("data survival", "tiny_shop_item.memo dropped, 17 rows held data"),
    },
    "deletes": {
        "sqlite": ("data survival", "tiny_shop_item: 1 of 27 rows missing (pk 14)"),
        "postgres": ("data survival", "tiny_shop_item: 1 of 27 rows missing (pk 14)"),
    },
    "truncates": {
        "sqlite": (
            "data survival",
            "tiny_shop_item.note: 1 row holds a value longer than its max_length 20 (pk 8)",
        ),
        "postgres": (
            "data survival",
            "tiny_shop_item.note changed in 1 row (pk 8)",
        ),
    },
    "forgets": {
        "sqlite": (
            "schema",
            "view tiny_shop_item_prices exists after a fresh install, missing after upgrading "
            "from 1.0.0; trigger tiny_shop_item_touch on tiny_shop_item exists after a fresh "
            "install, missing after upgrading from 1.0.0",
        ),
        "postgres": (
            "schema",
            "view tiny_shop_item_prices exists after a fresh install, missing after upgrading "
            "from 1.0.0; trigger tiny_shop_item_touch on tiny_shop_item exists after a fresh "
            "install, missing after upgrading from 1.0.0; function tiny_shop_touch() exists "
            "after a fresh install, missing after upgrading from 1.0.0",
        ),
    },
    "squash": {
        "sqlite": (
            "schema",
            "tiny_shop_item.sku exists after a fresh install, missing after upgrading from 1.0.0",
        ),
        "postgres": (
            "schema",
            "tiny_shop_item.sku exists after a fresh install, missing after upgrading from 1.0.0",
        ),
    },
    "old-minor": {
        "sqlite": (
            "old code",
            "2 of 2 failed: test_an_item_keeps_its_customer (OperationalError: table "
            "tiny_shop_item has no column named note); test_items_are_listed_by_name "
            "(OperationalError: table tiny_shop_item has no column named note)",
        ),
        "postgres": (
            "old code",
            '2 of 2 failed: test_an_item_keeps_its_customer (ProgrammingError: column "note" '
            'of relation "tiny_shop_item" does not exist); test_items_are_listed_by_name '
            '(ProgrammingError: column "note" of relation "tiny_shop_item" does not exist)',
        ),
    },
    "constraint": {
        "sqlite": ("migrate", "IntegrityError: CHECK constraint failed: price_positive"),
        "postgres": (
            "migrate",
            'CheckViolation: check constraint "price_positive" of relation "tiny_shop_item" '
            "is violated by some row (raised as django.db.utils.IntegrityError)",
        ),
    },
    "view": {
        "sqlite": (
            "migrate",
            "OperationalError: error in view tiny_host_item_notes after drop column: "
            "no such column: note",
        ),
        "postgres": (
            "data survival",
            "tiny_shop_item.note dropped, 19 rows held data; view tiny_host_item_notes "
            "dropped (a column or table it used was dropped with CASCADE)",
        ),
    },
}


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
@pytest.mark.parametrize("name", sorted(_FAILURES))
def test_each_broken_upgrade_fails_at_its_step_naming_the_object(
    scenario, rehearse_cache, shared_postgres, name, db, capsys, tmp_path
):
    # given tiny-shop 1.1.0 breaks the upgrade as the scenario says
    root = scenario(name)
    junit = tmp_path / "rehearse.xml"
    # when
    code, output = _rehearse(
        root, rehearse_cache, _db(db, shared_postgres), capsys, "--junit", str(junit)
    )
    # then the leg fails at that step, and the error names the object
    step, error = _FAILURES[name][db]
    assert code == 1, output
    row = _row(output, "1.0.0")
    assert row[:2] == ["1.0.0", "FAIL"]
    assert row[3:] == [step, error]
    failure = ET.parse(junit).getroot().find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == f"{step}: {error}"


def test_host_settings_that_ignore_the_leg_database_fail_the_leg_naming_them(
    scenario, rehearse_cache, capsys
):
    # given the host's settings hard-code an in-memory SQLite instead of reading DATABASE_URL
    root = scenario("hard-coded-db")
    # when
    code, output = _rehearse(root, rehearse_cache, "sqlite", capsys)
    # then the leg fails at its first migrate, before anything is judged on another database
    assert code == 1, output
    row = _row(output, "1.0.0")
    assert row[:2] == ["1.0.0", "FAIL"]
    assert row[3] == "migrate old"
    assert row[4].startswith(
        "the settings tiny_host.settings ignore DATABASE_URL: the rehearsal's database is /"
    )
    assert row[4].endswith(
        ", theirs is :memory:; fix: read DATABASES from DATABASE_URL in the host's settings "
        "(e.g. dj-database-url)"
    )


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_old_code_failing_on_the_schema_of_a_declared_major_is_expected(
    scenario, rehearse_cache, shared_postgres, db, capsys, tmp_path
):
    # given tiny-shop drops Item.note in a declared breaking change; the old code selects it
    root = scenario("old-major")
    junit = tmp_path / "rehearse.xml"
    # when
    code, output = _rehearse(
        root, rehearse_cache, _db(db, shared_postgres), capsys, "--junit", str(junit)
    )
    # then the leg passes, and says the old code failed as expected
    assert code == 0, output
    row = _row(output, "1.0.0")
    assert row[:4] == ["1.0.0", "ok", row[2], "old code"]
    assert row[4].startswith("expected for a major release: ")
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("skipped")) == ("0", "2")


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_renamed_tables_and_columns_keep_their_schema_and_their_data(
    scenario, rehearse_cache, shared_postgres, db, capsys
):
    # given tiny-shop renames Item to Article and name to title, as a breaking change
    root = scenario("renames")
    # when
    code, output = _rehearse(root, rehearse_cache, _db(db, shared_postgres), capsys, "--timings")
    # then schema, data survival and the new contract tests pass: only the old code fails
    assert code == 0, output
    row = _row(output, "1.0.0")
    assert row[:2] == ["1.0.0", "ok"]
    assert row[3] == "old code"
    assert row[4].startswith("expected for a major release: 2 of 2 failed: ")
    timings = next(line for line in output.splitlines() if line.startswith("  1.0.0: "))
    assert [re.sub(r" [\d.]+s$", "", s) for s in timings[9:].split(", ")] == _ALL_STEPS
