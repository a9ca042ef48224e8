"""Throwaway uv workspaces of Django packages, written from a small spec, git-initialised.

    members = [
        MemberSpec("people-app", models={"Person": {"name": "models.CharField(max_length=50)"}}),
        MemberSpec("ledger-app", dependencies=["people-app>=1.0,<2"], modules={"api.py": "..."}),
        MemberSpec("shop", role="host", directory="apps",
                   dependencies=["people-app==1.0.0", "ledger-app==1.0.0"]),
    ]
    root = write_workspace(tmp_path / "ws", members)   # files + `git init` + one commit

Each member is a hatchling project in ``<directory>/<name>/`` with a src layout
(``src/<import_name>/``), ``[tool.uv.sources]`` for its workspace dependencies, towncrier
config and ``changelog.d/``. A Django app member (default) gets ``apps.py``, ``models.py``
(from ``models``), ``migrations/`` (from ``migrations``; by default one ``0001_initial``
creating ``models``) and settings: libraries ``tests/<import_name>_test_settings.py``
(named in ``[tool.pytest.ini_options]``), hosts ``src/<import_name>/settings.py``. The
settings install the app and the apps of its workspace dependencies. No venv is created:
the code is read from disk, and Django imports it through PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

FRAGMENT_TYPES = ("breaking", "feature", "bugfix", "migration", "doc", "misc")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "monorel tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "monorel tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass
class MemberSpec:
    name: str  # distribution name, e.g. "people-app"
    version: str = "1.0.0"
    dependencies: list[str] = field(default_factory=list)  # workspace ones get uv sources
    role: str | None = None  # "host" / "tool" / "library"; None: monorel infers it
    directory: str = "packages"  # parent directory inside the workspace
    modules: dict[str, str] = field(default_factory=dict)  # path in the import package -> source
    django_app: bool = True  # apps.py, models.py, migrations/ and settings
    app_label: str | None = None  # AppConfig.label, when it differs from the import name
    models: dict[str, dict[str, str]] = field(default_factory=dict)  # Model -> field -> expr
    migrations: dict[str, str] | None = None  # "0001_initial" -> source; None: from models
    settings: str | None = None  # the settings module's source; None: generated
    settings_extra: str = ""  # appended to the generated settings
    fragments: dict[str, str] = field(default_factory=dict)  # changelog.d file -> text
    files: dict[str, str] = field(default_factory=dict)  # any file relative to the member dir
    monorel: dict[str, object] = field(default_factory=dict)  # [tool.monorel.packages.<name>]

    @property
    def import_name(self) -> str:
        return self.name.replace("-", "_")

    @property
    def label(self) -> str:
        return self.app_label or self.import_name

    @property
    def path(self) -> str:
        return f"{self.directory}/{self.name}"

    @property
    def package_path(self) -> str:
        return f"{self.path}/src/{self.import_name}"

    @property
    def settings_module(self) -> str:
        if self.role == "host":
            return f"{self.import_name}.settings"
        return f"{self.import_name}_test_settings"


def write_workspace(
    root: Path,
    members: Sequence[MemberSpec],
    *,
    monorel_config: str = 'org = "acme"\n',
    commit: str | None = "initial",
) -> Path:
    """Write the workspace under ``root``; ``git init`` and commit it unless ``commit`` is None."""
    root.mkdir(parents=True, exist_ok=True)
    by_name = {canonicalize_name(m.name): m for m in members}
    directories = sorted({m.directory for m in members})
    overrides = "".join(
        f"\n[tool.monorel.packages.{m.name}]\n" + _toml_table(_overrides(m))
        for m in members
        if _overrides(m)
    )
    write(
        root / "pyproject.toml",
        f"""
        [project]
        name = "throwaway-workspace"
        version = "0.0.0"
        requires-python = ">=3.11"

        [tool.uv]
        package = false

        [tool.uv.workspace]
        members = [{", ".join(f'"{d}/*"' for d in directories)}]

        [tool.monorel]
        """,
    )
    with (root / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write(monorel_config + overrides)
    write(root / ".gitignore", "__pycache__/\n*.pyc\n")
    for member in members:
        _write_member(root, member, by_name)
    if commit is not None:
        git(root, "init", "-q", "-b", "main")
        commit_all(root, commit)
    return root


def write(path: Path, text: str) -> Path:
    """Write dedented ``text`` (leading newline dropped), creating parent directories."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def git(root: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def commit_all(root: Path, message: str) -> str:
    """Stage everything and commit; return the new HEAD."""
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD")


def set_version(root: Path, member: MemberSpec, version: str) -> None:
    """Rewrite the member's ``[project] version`` in place."""
    pyproject = root / member.path / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        text.replace(f'version = "{member.version}"', f'version = "{version}"', 1),
        encoding="utf-8",
    )
    member.version = version


def migration_source(
    *operations: str, dependencies: Sequence[tuple[str, str]] = (), initial: bool = False
) -> str:
    """A migration module with ``operations`` (source snippets) and ``dependencies``."""
    deps = "".join(f"        ({label!r}, {name!r}),\n" for label, name in dependencies)
    ops = "".join(
        textwrap.indent(textwrap.dedent(op).strip(), " " * 8) + ",\n" for op in operations
    )
    return (
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        + ("    initial = True\n" if initial else "")
        + f"    dependencies = [\n{deps}    ]\n"
        + f"    operations = [\n{ops}    ]\n"
    )


def create_model(name: str, fields: Mapping[str, str]) -> str:
    """A ``CreateModel`` operation's source, with Django's BigAutoField id first."""
    lines = [
        '("id", models.BigAutoField(auto_created=True, primary_key=True, '
        'serialize=False, verbose_name="ID"))'
    ]
    lines += [f"({field!r}, {expr})" for field, expr in fields.items()]
    body = "".join(f"        {line},\n" for line in lines)
    return f"migrations.CreateModel(\n    name={name!r},\n    fields=[\n{body}    ],\n)"


def models_source(models: Mapping[str, Mapping[str, str]]) -> str:
    text = "from django.db import models\n"
    for model, fields in models.items():
        text += f"\n\nclass {model}(models.Model):\n"
        text += "".join(f"    {name} = {expr}\n" for name, expr in fields.items()) or "    pass\n"
    return text


def _write_member(root: Path, m: MemberSpec, by_name: Mapping[str, MemberSpec]) -> None:
    member_dir = root / m.path
    package = root / m.package_path
    workspace_deps = [
        by_name[canonicalize_name(Requirement(d).name)]
        for d in m.dependencies
        if canonicalize_name(Requirement(d).name) in by_name
    ]
    deps = "".join(f'    "{d}",\n' for d in m.dependencies)
    text = (
        '[build-system]\nrequires = ["hatchling>=1.25"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{m.name}"\nversion = "{m.version}"\nrequires-python = ">=3.11"\n'
        + (f"dependencies = [\n{deps}]\n" if deps else "dependencies = []\n")
        + f'\n[tool.hatch.build.targets.wheel]\npackages = ["src/{m.import_name}"]\n'
    )
    if m.django_app and m.role != "host":
        text += (
            "\n[tool.pytest.ini_options]\n"
            f'DJANGO_SETTINGS_MODULE = "{m.settings_module}"\npythonpath = ["tests"]\n'
        )
    text += '\n[tool.towncrier]\ndirectory = "changelog.d"\nfilename = "CHANGELOG.md"\n'
    text += "".join(
        f'\n[[tool.towncrier.type]]\ndirectory = "{t}"\nname = "{t.title()}"\nshowcontent = true\n'
        for t in FRAGMENT_TYPES
    )
    if workspace_deps:
        text += "\n[tool.uv.sources]\n" + "".join(
            f"{d.name} = {{ workspace = true }}\n" for d in workspace_deps
        )
    write(member_dir / "pyproject.toml", text)
    write(member_dir / "CHANGELOG.md", "# Changelog\n\n<!-- towncrier release notes start -->\n")
    write(member_dir / "changelog.d" / ".gitkeep", "")
    for name, body in m.fragments.items():
        write(member_dir / "changelog.d" / name, body)
    write(package / "__init__.py", "")
    if m.django_app:
        _write_django_app(member_dir, package, m, workspace_deps)
    for rel, source in m.modules.items():
        write(package / rel, source)
    for rel, source in m.files.items():
        write(member_dir / rel, source)


def _write_django_app(
    member_dir: Path, package: Path, m: MemberSpec, workspace_deps: Sequence[MemberSpec]
) -> None:
    label = f"    label = {m.app_label!r}\n" if m.app_label else ""
    write(
        package / "apps.py",
        "from django.apps import AppConfig\n\n\n"
        f"class {m.import_name.title().replace('_', '')}Config(AppConfig):\n"
        f"    name = {m.import_name!r}\n{label}"
        '    default_auto_field = "django.db.models.BigAutoField"\n',
    )
    write(package / "models.py", models_source(m.models))
    write(package / "migrations" / "__init__.py", "")
    migrations = m.migrations
    if migrations is None:
        operations = [create_model(name, fields) for name, fields in m.models.items()]
        migrations = (
            {"0001_initial": migration_source(*operations, initial=True)} if operations else {}
        )
    for name, source in migrations.items():
        write(package / "migrations" / f"{name}.py", source)
    apps = [d.import_name for d in workspace_deps if d.django_app] + [m.import_name]
    settings = m.settings or (
        'SECRET_KEY = "throwaway"\n'
        "USE_TZ = True\n"
        'DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"\n'
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}\n'
        "INSTALLED_APPS = [\n"
        '    "django.contrib.contenttypes",\n'
        + "".join(f'    "{app}",\n' for app in apps)
        + "]\n"
        + m.settings_extra
    )
    if m.role == "host":
        write(package / "settings.py", settings)
    else:
        write(member_dir / "tests" / f"{m.settings_module}.py", settings)


def _overrides(m: MemberSpec) -> dict[str, object]:
    values = dict(m.monorel)
    if m.role is not None:
        values.setdefault("role", m.role)
    if m.role == "host" and m.django_app:
        values.setdefault("django-settings", m.settings_module)
    return values


def _toml_table(values: Mapping[str, object]) -> str:
    # JSON strings and lists of strings are valid TOML values
    return "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())


def sample_members() -> list[MemberSpec]:
    """Two libraries and a host that respect every ``monorel check`` rule.

    people-app (Person) <- ledger-app (Entry -> people_app.Person; imports people_app.api)
    <- shop (host: pins both ==1.0.0, installs both apps, includes ledger_app.urls).
    """
    people = MemberSpec(
        "people-app",
        models={"Person": {"name": "models.CharField(max_length=50)"}},
        modules={
            "api.py": '''
                """Public API of people_app."""

                __all__ = ["display_name"]


                def display_name(name: str) -> str:
                    return name.title()
                ''',
        },
    )
    ledger = MemberSpec(
        "ledger-app",
        dependencies=["people-app>=1.0,<2"],
        models={
            "Entry": {
                "person": 'models.ForeignKey("people_app.Person", on_delete=models.CASCADE)',
                "amount": "models.IntegerField()",
            }
        },
        migrations={
            "0001_initial": migration_source(
                create_model(
                    "Entry",
                    {
                        "amount": "models.IntegerField()",
                        "person": (
                            'models.ForeignKey(on_delete=models.CASCADE, to="people_app.person")'
                        ),
                    },
                ),
                dependencies=[("people_app", "0001_initial")],
                initial=True,
            )
        },
        modules={
            "api.py": '''
                """Public API of ledger_app."""

                from ledger_app.services import entry_label

                __all__ = ["entry_label"]
                ''',
            "services.py": """
                from people_app.api import display_name


                def entry_label(name: str, amount: int) -> str:
                    return f"{display_name(name)}: {amount}"
                """,
            "urls.py": "urlpatterns = []\n",
        },
    )
    shop = MemberSpec(
        "shop",
        version="0.1.0",
        role="host",
        directory="apps",
        dependencies=["people-app==1.0.0", "ledger-app==1.0.0"],
        modules={
            "urls.py": """
                from django.urls import include, path

                urlpatterns = [path("ledger/", include("ledger_app.urls"))]
                """,
            "gateways.py": "class FakeGateway:\n    pass\n",
            "views.py": "from ledger_app.api import entry_label\n",
        },
        settings_extra='ROOT_URLCONF = "shop.urls"\nSHOP_GATEWAY = "shop.gateways.FakeGateway"\n',
    )
    return [people, ledger, shop]
