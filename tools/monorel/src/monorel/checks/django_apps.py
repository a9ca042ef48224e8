"""The Django apps each member defines, read from source with ``ast`` (nothing is imported).

An app is an ``AppConfig`` subclass in an ``apps.py`` (``name``, optional ``label``;
Django's default label is the last component of ``name``), or, failing that, a
package with a ``migrations/`` package inside the member.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from monorel import sources
from monorel.workspace import Member


@dataclass(frozen=True)
class DjangoApp:
    label: str
    name: str  # dotted module path, e.g. "billing_app"
    member: Member
    directory: Path  # the app's package directory

    @property
    def migrations_dir(self) -> Path:
        return self.directory / "migrations"

    def migration_files(self) -> list[Path]:
        if not self.migrations_dir.is_dir():
            return []
        return sorted(p for p in self.migrations_dir.glob("*.py") if p.name != "__init__.py")


def discover(member: Member) -> list[DjangoApp]:
    """The member's apps, by label, in path order."""
    found: dict[str, DjangoApp] = {}
    directories = [p.path for p in member.import_packages if p.path.is_dir()]
    for package_dir in directories:
        for apps_py in sorted(package_dir.rglob("apps.py")):
            if "__pycache__" in apps_py.parts:
                continue
            for name, label in _app_configs(apps_py):
                directory = _module_dir(member, name) or apps_py.parent
                found.setdefault(label, DjangoApp(label, name, member, directory))
    covered = {app.directory for app in found.values()}
    for package_dir in directories:
        for init in sorted(package_dir.rglob("migrations/__init__.py")):
            directory = init.parent.parent
            if directory in covered or "__pycache__" in init.parts:
                continue
            parts = directory.relative_to(package_dir.parent).parts
            name = ".".join(parts)
            found.setdefault(parts[-1], DjangoApp(parts[-1], name, member, directory))
    return list(found.values())


def _app_configs(apps_py: Path) -> list[tuple[str, str]]:
    try:
        tree = sources.parse(apps_py)
    except SyntaxError:
        return []  # the import rule reports unparsable modules
    configs = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        attrs = {
            target.id: stmt.value.value
            for stmt in node.body
            if isinstance(stmt, ast.Assign)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
            for target in stmt.targets
            if isinstance(target, ast.Name)
        }
        if "name" in attrs:
            name = attrs["name"]
            configs.append((name, attrs.get("label", name.rsplit(".", 1)[-1])))
    return configs


def _module_dir(member: Member, dotted: str) -> Path | None:
    head, _, rest = dotted.partition(".")
    package = member.import_package(head)
    if package is None or package.is_module:
        return None
    directory = package.path.joinpath(*rest.split(".")) if rest else package.path
    return directory if directory.is_dir() else None
