"""Throwaway git workspaces for the ``monorel semver`` tests.

One uv workspace with one Django library, ``shop-app`` (import ``shop_app``): a public
``api.py``, a re-exporting private ``_services.py``, models, an initial migration and a
checks module. ``release_workspace`` commits it and tags ``shop-app-v1.0.0``; each test
copies that template and changes one thing in the working tree.
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

from monorel import workspace
from monorel.semver import Verdict, required_bump

PACKAGE_DIR = "packages/shop-app/src/shop_app"
API = f"{PACKAGE_DIR}/api.py"
MIGRATIONS = f"{PACKAGE_DIR}/migrations"

_ROOT_PYPROJECT = """\
[project]
name = "semver-fixture"
version = "0.0.0"
requires-python = ">=3.11"

[tool.uv]
package = false

[tool.uv.workspace]
members = ["packages/*"]

[tool.monorel]
public-modules = ["api"]
"""

_MEMBER_PYPROJECT = """\
[project]
name = "shop-app"
version = "{version}"
requires-python = ">=3.11"
dependencies = ["django>=5.2"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.pytest.ini_options]
DJANGO_SETTINGS_MODULE = "shop_app_test_settings"
pythonpath = ["tests"]
"""

_SETTINGS = """\
SECRET_KEY = "semver-fixture"
INSTALLED_APPS = ["shop_app"]
DATABASES = {}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
"""

_API = '''\
"""Public API of shop_app."""

from __future__ import annotations

from dataclasses import dataclass

from shop_app import _services
from shop_app._services import refund

__all__ = ["InvoiceRef", "Ledger", "create_invoice", "refund", "void_invoice"]


@dataclass(frozen=True)
class InvoiceRef:
    id: int
    number: str


class Ledger:
    def balance(self, account_id: int) -> int:
        return 0


def create_invoice(*, account_id: int, amount: str) -> InvoiceRef:
    return _services.create_invoice(account_id=account_id, amount=amount)


def void_invoice(invoice_id: int, reason: str = "") -> None:
    _services.void_invoice(invoice_id, reason)


def helper_not_exported() -> None:
    pass


def _internal() -> int:
    return 1
'''

_SERVICES = '''\
"""Write services (private)."""

from __future__ import annotations


def create_invoice(*, account_id: int, amount: str):
    return None


def void_invoice(invoice_id: int, reason: str) -> None:
    return None


def refund(invoice_id: int, *, amount: str) -> None:
    return None
'''

_MODELS = """\
from django.db import models


class Invoice(models.Model):
    number = models.CharField(max_length=32)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    note = models.TextField(null=True)
    status = models.CharField(max_length=16, default="open")
"""

_INITIAL_MIGRATION = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Invoice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("number", models.CharField(max_length=32)),
                ("amount", models.DecimalField(max_digits=10, decimal_places=2)),
                ("note", models.TextField(null=True)),
                ("status", models.CharField(default="open", max_length=16)),
            ],
        ),
    ]
"""

_CHECKS = """\
from django.conf import settings
from django.core import checks


def check_settings(app_configs=None, **kwargs):
    errors = []
    if not getattr(settings, "SHOP_CURRENCY", None):
        errors.append(checks.Error("SHOP_CURRENCY is not set", id="shop_app.E001"))
    return errors
"""

_APPS = """\
from django.apps import AppConfig


class ShopAppConfig(AppConfig):
    name = "shop_app"
"""

_MIGRATION_TEMPLATE = """\
from django.db import migrations, models


def forwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("shop_app", "{previous}")]

    operations = [
{operations}
    ]
"""


def _git(root: Path, *args: str) -> str:
    # identity passed explicitly: tests must not depend on the machine's git config
    return subprocess.run(
        ["git", "-c", "user.name=Semver Tests", "-c", "user.email=semver@example.invalid", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def release_workspace(
    root: Path,
    *,
    version: str = "1.0.0",
    tag: bool = True,
    files: dict[str, str] | None = None,
    root_pyproject_extra: str = "",
) -> Path:
    """Write the fixture workspace at ``root``, commit it and tag ``shop-app-v<version>``
    (without ``tag``, the release point is the commit that set the version). ``files``
    (repository-relative) are written over the defaults; ``root_pyproject_extra`` is
    appended to the root pyproject.toml."""
    defaults = {
        "pyproject.toml": _ROOT_PYPROJECT,
        "packages/shop-app/pyproject.toml": _MEMBER_PYPROJECT.format(version=version),
        f"{PACKAGE_DIR}/__init__.py": "",
        f"{PACKAGE_DIR}/apps.py": _APPS,
        f"{PACKAGE_DIR}/api.py": _API,
        f"{PACKAGE_DIR}/_services.py": _SERVICES,
        f"{PACKAGE_DIR}/models.py": _MODELS,
        f"{PACKAGE_DIR}/checks.py": _CHECKS,
        f"{MIGRATIONS}/__init__.py": "",
        f"{MIGRATIONS}/0001_initial.py": _INITIAL_MIGRATION,
        "packages/shop-app/tests/shop_app_test_settings.py": _SETTINGS,
    }
    defaults["pyproject.toml"] += root_pyproject_extra
    for rel, text in {**defaults, **(files or {})}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / ".gitignore").write_text("__pycache__/\n*.pyc\n", encoding="utf-8")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", f"shop-app {version}")
    if tag:
        _git(root, "tag", "-a", f"shop-app-v{version}", "-m", f"shop-app {version}")
    return root


@dataclass
class SemverWorkspace:
    """A copy of the released fixture workspace; change files, then ask for the verdict."""

    root: Path

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def replace(self, rel: str, old: str, new: str) -> None:
        text = self.read(rel)
        assert text.count(old) == 1, f"{old!r} must occur once in {rel}"
        self.write(rel, text.replace(old, new))

    def add_migration(self, name: str, operations: str, previous: str = "0001_initial") -> str:
        """Write ``migrations/<name>.py`` with ``operations`` (source of the list items)."""
        body = textwrap.indent(textwrap.dedent(operations).strip("\n"), " " * 8)
        rel = f"{MIGRATIONS}/{name}.py"
        self.write(rel, _MIGRATION_TEMPLATE.format(previous=previous, operations=body))
        return rel

    def commit(self, message: str) -> str:
        _git(self.root, "add", "-A")
        _git(self.root, "commit", "-q", "-m", message)
        return _git(self.root, "rev-parse", "HEAD").strip()

    def head(self) -> str:
        return _git(self.root, "rev-parse", "HEAD").strip()

    def status(self) -> str:
        return _git(self.root, "status", "--porcelain", "--untracked-files=all")

    def verdict(self, since: str | None = None) -> Verdict:
        ws = workspace.load(self.root)
        return required_bump(ws, ws.member("shop-app"), since=since)


def copy_workspace(template: Path, dest: Path) -> SemverWorkspace:
    shutil.copytree(template, dest, symlinks=True)
    return SemverWorkspace(dest.resolve())


def summaries(verdict: Verdict) -> list[tuple[str, str]]:
    """(kind, summary) per evidence item, in the verdict's order."""
    return [(item.kind, item.summary) for item in verdict.evidence]
