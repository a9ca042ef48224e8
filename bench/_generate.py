"""Generate a throwaway uv workspace of N Django packages (20 modules each) plus a host.

Shaped like this repo, at scale:

- ``packages/pkg-NNN`` (import ``pkg_NNN``): src layout, hatchling, version 1.0.0, its own
  test settings, towncrier config, released (tag ``pkg-NNN-v1.0.0``);
- every tenth package (at least two) is a *core* package without workspace dependencies;
  every other package belongs to one core (its ``Item`` has a ForeignKey to the core's
  ``Item``; its 0001 migration depends on the core's) and declares up to two earlier
  packages of the same core, whose ``api`` its services import. So each package's test
  settings install only declared apps, and ``monorel check`` finds nothing;
- 20 modules per package: ``__init__``, apps, models, api, admin, checks, conf, private
  services/selectors/errors/refs, six helpers importing each other and the stdlib, and
  ``migrations/`` (``__init__``, 0001 CreateModel x2, 0002 AddField);
- ``apps/host``: a host app that installs every package and pins each ``==1.0.0``.

One git commit holds it all, with a release tag per package.
"""

from __future__ import annotations

import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

MODULES_PER_PACKAGE = 20


@dataclass(frozen=True)
class Package:
    index: int
    core: int  # index of its core package (itself for a core)
    deps: tuple[int, ...]  # declared workspace dependencies (indexes)

    @property
    def dist(self) -> str:
        return f"pkg-{self.index:03d}"

    @property
    def module(self) -> str:
        return f"pkg_{self.index:03d}"

    @property
    def is_core(self) -> bool:
        return self.core == self.index


def plan(count: int) -> list[Package]:
    cores = max(2, count // 10)
    packages: list[Package] = []
    by_core: dict[int, list[int]] = {}
    for i in range(count):
        if i < cores:
            packages.append(Package(i, i, ()))
            by_core[i] = []
            continue
        core = i % cores
        peers = by_core[core][-2:]  # the two latest packages of the same core
        packages.append(Package(i, core, (core, *peers)))
        by_core[core].append(i)
    return packages


def generate(root: Path, count: int) -> list[Package]:
    """Write the workspace under ``root`` (created) and commit it with release tags."""
    packages = plan(count)
    root.mkdir(parents=True)
    _write(root / "pyproject.toml", _ROOT_PYPROJECT)
    _write(root / ".gitignore", ".monorel/\n.tach/\n__pycache__/\n*.pyc\n")
    for package in packages:
        _package(root, package, packages)
    _host(root, packages)
    _write(root / ".importlinter", import_linter_config(packages))
    _write(root / "tach.toml", tach_config(packages))
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "generated workspace"], cwd=root, check=True)
    for package in packages:
        subprocess.run([*git, "tag", f"{package.dist}-v1.0.0"], cwd=root, check=True)
    return packages


def source_dirs(root: Path, packages: list[Package]) -> list[Path]:
    return [root / "packages" / p.dist / "src" for p in packages] + [root / "apps/host/src"]


def private_modules(package: Package) -> list[str]:
    """Every top-level module of the package except its public ``api``."""
    return [f"{package.module}.{name}" for name in _MODULE_NAMES if name != "api"]


def import_linter_config(packages: list[Package]) -> str:
    """Contracts equivalent to MR-IMPORT on this tree, one ``forbidden`` contract per member.

    A member may import a workspace package only if it declares it, and then only its
    ``api``: undeclared packages are forbidden whole, declared ones all but ``api``.
    Only direct imports count (``allow_indirect_imports``), as in MR-IMPORT.
    """
    names = [p.module for p in packages]
    lines = ["[importlinter]", "root_packages =", *(f"    {n}" for n in [*names, "host"])]
    by_index = {p.index: p for p in packages}
    members = [(p.module, set(p.deps)) for p in packages]
    members.append(("host", {p.index for p in packages}))
    for module, deps in members:
        forbidden = ["host"] if module != "host" else []
        for other in packages:
            if other.module == module:
                continue
            if other.index in deps:
                forbidden += private_modules(by_index[other.index])
            else:
                forbidden.append(other.module)
        lines += [
            "",
            f"[importlinter:contract:{module}]",
            f"name = {module} imports only declared packages, through their api",
            "type = forbidden",
            f"source_modules = {module}",
            "forbidden_modules =",
            *(f"    {f}" for f in forbidden),
            "allow_indirect_imports = True",
        ]
    return "\n".join(lines) + "\n"


def tach_config(packages: list[Package]) -> str:
    """tach's ``tach.toml`` equivalent to MR-IMPORT on this tree: one module per member,
    depending on exactly its declared packages (the host on all), each exposing only its
    ``api`` as the interface. Tests are not modules (as for lint-imports)."""
    roots = [f"packages/{p.dist}/src" for p in packages] + ["apps/host/src"]
    lines = [
        "exclude = []",
        "source_roots = [",
        *(f'    "{root}",' for root in roots),
        "]",
        "exact = false",
        "forbid_circular_dependencies = false",
    ]
    by_index = {p.index: p for p in packages}
    members = [(p.module, [by_index[d].module for d in p.deps]) for p in packages]
    members.append(("host", [p.module for p in packages]))
    for module, deps in members:
        lines += ["", "[[modules]]", f'path = "{module}"', "depends_on = ["]
        lines += [f'    "{dep}",' for dep in deps]
        lines.append("]")
    lines += ["", "[[interfaces]]", 'expose = ["api.*"]', "from = ["]
    lines += [f'    "{p.module}",' for p in packages]
    lines.append("]")
    return "\n".join(lines) + "\n"


# -- files ----------------------------------------------------------------------------------

_MODULE_NAMES = [
    "apps",
    "models",
    "api",
    "admin",
    "checks",
    "conf",
    "_services",
    "_selectors",
    "_errors",
    "_refs",
    *(f"_helper_{n}" for n in range(1, 7)),
    "migrations",
]

_ROOT_PYPROJECT = """\
[project]
name = "generated-workspace"
version = "0.0.0"
requires-python = ">=3.11"
dependencies = []

[tool.uv]
package = false

[tool.uv.workspace]
members = ["packages/*", "apps/*"]

[tool.monorel]
org = "acme"
public-modules = ["api"]

[tool.monorel.packages.host]
role = "host"
django-settings = "host.settings"
"""

_TOWNCRIER = """
[tool.towncrier]
filename = "CHANGELOG.md"
directory = "changelog.d"
title_format = "## {version} ({project_date})"
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _package(root: Path, package: Package, packages: list[Package]) -> None:
    by_index = {p.index: p for p in packages}
    deps = [by_index[d] for d in package.deps]
    base = root / "packages" / package.dist
    src = base / "src" / package.module
    requirements = ['    "Django>=5.2,<6",', *(f'    "{d.dist}>=1.0.0,<2",' for d in deps)]
    sources = "".join(f"{d.dist} = {{ workspace = true }}\n" for d in deps)
    _write(
        base / "pyproject.toml",
        textwrap.dedent(
            f"""\
            [build-system]
            requires = ["hatchling>=1.25"]
            build-backend = "hatchling.build"

            [project]
            name = "{package.dist}"
            version = "1.0.0"
            requires-python = ">=3.11"
            dependencies = [
            {{requirements}}
            ]

            [tool.hatch.build.targets.wheel]
            packages = ["src/{package.module}"]

            [tool.pytest.ini_options]
            DJANGO_SETTINGS_MODULE = "{package.module}_test_settings"
            pythonpath = ["tests"]
            """
        ).replace("{requirements}", "\n".join(requirements))
        + (f"\n[tool.uv.sources]\n{sources}" if sources else "")
        + _TOWNCRIER,
    )
    _write(base / "CHANGELOG.md", f"# {package.dist}\n\n<!-- towncrier release notes start -->\n")
    _write(base / "changelog.d" / ".gitkeep", "")
    installed = [by_index[package.core], *[d for d in deps if d.index != package.core]]
    if package.is_core:
        installed = []
    apps = "".join(f'    "{p.module}",\n' for p in [*installed, package])
    _write(
        base / "tests" / f"{package.module}_test_settings.py",
        f'SECRET_KEY = "generated"\nUSE_TZ = True\nINSTALLED_APPS = [\n'
        f'    "django.contrib.contenttypes",\n{apps}]\n'
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}\n',
    )
    m = package.module
    core = by_index[package.core]
    _write(src / "__init__.py", f'"""{package.dist}: a generated domain package."""\n')
    _write(
        src / "apps.py",
        "from django.apps import AppConfig\n\n\n"
        f'class Config(AppConfig):\n    name = "{m}"\n    label = "{m}"\n'
        '    default_auto_field = "django.db.models.BigAutoField"\n\n'
        "    def ready(self) -> None:\n"
        f"        from {m} import checks  # noqa: F401 - registers the system checks\n",
    )
    core_fk = (
        ""
        if package.is_core
        else f'    core_item = models.ForeignKey("{core.module}.Item", '
        'on_delete=models.PROTECT, related_name="+")\n'
    )
    _write(
        src / "models.py",
        "from django.db import models\n\n\n"
        "class Item(models.Model):\n"
        "    name = models.CharField(max_length=100)\n"
        "    external_id = models.BigIntegerField(default=0)\n"
        f"{core_fk}\n"
        "    def __str__(self) -> str:\n        return self.name\n\n\n"
        "class Entry(models.Model):\n"
        '    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="entries")\n'
        "    amount = models.DecimalField(max_digits=12, decimal_places=2)\n"
        '    note = models.TextField(blank=True, default="")\n',
    )
    dep_imports = "".join(
        f"from {d.module}.api import item_name as {d.module}_name\n" for d in deps
    )
    dep_calls = " + ".join([*(f"{d.module}_name(item_id)" for d in deps), '""'])
    _write(
        src / "_services.py",
        "from decimal import Decimal\n\n"
        "from django.db import transaction\n\n"
        f"from {m}._errors import NotFound\n"
        f"from {m}._refs import ItemRef\n"
        f"from {m}.models import Entry, Item\n"
        f"{dep_imports}\n\n"
        "def create_item(*, name: str, core_item_id: int | None = None) -> ItemRef:\n"
        "    with transaction.atomic():\n"
        "        item = Item.objects.create(name=name)\n"
        "    return ItemRef(id=item.pk, name=item.name)\n\n\n"
        "def add_entry(*, item_id: int, amount: Decimal) -> None:\n"
        "    with transaction.atomic():\n"
        "        try:\n"
        "            item = Item.objects.select_for_update().get(pk=item_id)\n"
        "        except Item.DoesNotExist:\n"
        "            raise NotFound(item_id) from None\n"
        "        Entry.objects.create(item=item, amount=amount)\n\n\n"
        "def related_names(item_id: int) -> str:\n"
        f"    return {dep_calls}\n",
    )
    _write(
        src / "_selectors.py",
        f"from {m}._errors import NotFound\nfrom {m}.models import Item\n\n\n"
        "def item_name(item_id: int) -> str:\n"
        "    item = Item.objects.filter(pk=item_id).first()\n"
        "    if item is None:\n        raise NotFound(item_id)\n    return item.name\n",
    )
    _write(
        src / "_errors.py",
        f'class {_camel(m)}Error(Exception):\n    code = "{m}.error"\n\n\n'
        f'class NotFound({_camel(m)}Error):\n    code = "{m}.not_found"\n',
    )
    _write(
        src / "_refs.py",
        "from dataclasses import dataclass\n\n\n"
        "@dataclass(frozen=True)\nclass ItemRef:\n    id: int\n    name: str\n",
    )
    _write(
        src / "api.py",
        f"from {m}._errors import NotFound\nfrom {m}._refs import ItemRef\n"
        f"from {m}._selectors import item_name\n"
        f"from {m}._services import add_entry, create_item\n\n"
        '__all__ = ["ItemRef", "NotFound", "add_entry", "create_item", "item_name"]\n',
    )
    _write(
        src / "admin.py",
        f"from django.contrib import admin\n\nfrom {m}.models import Item\n\n\n"
        'class ItemAdmin(admin.ModelAdmin):\n    list_display = ["id", "name"]\n',
    )
    _write(
        src / "checks.py",
        "from django.core import checks\n\n"
        f"from {m}.conf import settings_value\n\n\n"
        "@checks.register()\n"
        "def check_settings(app_configs, **kwargs):\n"
        "    if settings_value() < 0:\n"
        f'        return [checks.Error("negative", id="{m}.E001")]\n'
        "    return []\n",
    )
    _write(
        src / "conf.py",
        "from django.conf import settings\n\n\n"
        "def settings_value() -> int:\n"
        f'    return getattr(settings, "{m.upper()}_LIMIT", 10)\n',
    )
    for n in range(1, 7):
        previous = f"from {m}._helper_{n - 1} import helper_{n - 1}\n" if n > 1 else ""
        _write(
            src / f"_helper_{n}.py",
            f"import json\nimport re\n\n{previous}"
            f"from {m}._refs import ItemRef\n\n\n"
            f"def helper_{n}(ref: ItemRef) -> str:\n"
            f"    ok = bool(re.match('x', ref.name))\n"
            f"    return json.dumps({{'id': ref.id, 'n': {n}, 'ok': ok}})\n",
        )
    _write(src / "migrations" / "__init__.py", "")
    core_field = (
        ""
        if package.is_core
        else textwrap.indent(
            "(\n"
            '    "core_item",\n'
            "    models.ForeignKey(\n"
            "        on_delete=django.db.models.deletion.PROTECT,\n"
            '        related_name="+",\n'
            f'        to="{core.module}.item",\n'
            "    ),\n"
            "),\n",
            " " * 16,
        )
    )
    dependency = "" if package.is_core else f'("{core.module}", "0001_initial")'
    _write(
        src / "migrations" / "0001_initial.py",
        _MIGRATION_0001.format(core_field=core_field, dependency=dependency, module=m),
    )
    _write(src / "migrations" / "0002_entry_note.py", _MIGRATION_0002.format(module=m))


_ID = """(
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),"""

_MIGRATION_0001 = (
    """import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [{dependency}]

    operations = [
        migrations.CreateModel(
            name="Item",
            fields=[
                """
    + _ID
    + """
                ("name", models.CharField(max_length=100)),
                ("external_id", models.BigIntegerField(default=0)),
{core_field}            ],
        ),
        migrations.CreateModel(
            name="Entry",
            fields=[
                """
    + _ID
    + """
                ("amount", models.DecimalField(decimal_places=2, max_digits=12)),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="entries",
                        to="{module}.item",
                    ),
                ),
            ],
        ),
    ]
"""
)

_MIGRATION_0002 = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("{module}", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="note",
            field=models.TextField(blank=True, default=""),
        ),
    ]
"""


def _camel(module: str) -> str:
    return "".join(part.capitalize() for part in module.split("_"))


def _host(root: Path, packages: list[Package]) -> None:
    base = root / "apps" / "host"
    pins = "".join(f'    "{p.dist}==1.0.0",\n' for p in packages)
    sources = "".join(f"{p.dist} = {{ workspace = true }}\n" for p in packages)
    _write(
        base / "pyproject.toml",
        '[build-system]\nrequires = ["hatchling>=1.25"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "host"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        f'dependencies = [\n    "Django>=5.2,<6",\n{pins}]\n\n'
        '[tool.hatch.build.targets.wheel]\npackages = ["src/host"]\n\n'
        f"[tool.uv.sources]\n{sources}",
    )
    src = base / "src" / "host"
    apps = "".join(f'    "{p.module}",\n' for p in packages)
    _write(src / "__init__.py", "")
    _write(
        src / "settings.py",
        'SECRET_KEY = "generated"\nUSE_TZ = True\nINSTALLED_APPS = [\n'
        f'    "django.contrib.contenttypes",\n{apps}    "host",\n]\n'
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}\n'
        'DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"\n',
    )
    _write(
        src / "apps.py",
        'from django.apps import AppConfig\n\n\nclass HostConfig(AppConfig):\n    name = "host"\n'
        '    default_auto_field = "django.db.models.BigAutoField"\n',
    )
    _write(
        src / "models.py",
        "from django.db import models\n\n\nclass Event(models.Model):\n"
        "    kind = models.CharField(max_length=40)\n",
    )
    calls = "".join(
        f"from {p.module}.api import item_name as name_{p.index}\n" for p in packages[:20]
    )
    _write(src / "views.py", f"{calls}\n\ndef names(item_id: int) -> list[str]:\n    return []\n")
    _write(src / "migrations" / "__init__.py", "")
    _write(
        src / "migrations" / "0001_initial.py",
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n    initial = True\n\n    dependencies = []\n\n"
        "    operations = [\n        migrations.CreateModel(\n"
        '            name="Event",\n            fields=[\n                '
        + _ID
        + '\n                ("kind", models.CharField(max_length=40)),\n'
        "            ],\n        ),\n    ]\n",
    )
