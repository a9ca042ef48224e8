"""grimp: the only module that imports grimp (the import-graph engine under import-linter).

grimp normally finds packages through ``importlib`` (sys.path and sys.modules). monorel
must read the workspace on disk, whatever is installed or already imported in this
process, so the graph is built with a package finder that maps each import name to its
member's directory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grimp
from grimp.application.config import settings as _grimp_settings
from grimp.application.ports.packagefinder import AbstractPackageFinder
from grimp.exceptions import SourceSyntaxError


@dataclass(frozen=True)
class DirectImport:
    importer: str  # dotted module name
    imported: str
    line: int
    line_contents: str


@dataclass(frozen=True)
class UnparsableModule:
    filename: str
    line: int
    text: str


def direct_imports(packages: Mapping[str, Path]) -> list[DirectImport] | UnparsableModule:
    """Every import between modules of ``packages`` (import name -> package directory).

    Imports of anything outside those packages are left out. Imports inside functions and
    under ``if TYPE_CHECKING:`` count, as they do for import-linter by default.
    """
    if not packages:
        return []
    with tempfile.TemporaryDirectory(prefix="monorel-grimp-") as tmp:
        return _direct_imports(_as_packages(packages, Path(tmp)))


def _as_packages(packages: Mapping[str, Path], tmp: Path) -> dict[str, Path]:
    """grimp reads packages only: a single-module member (``tool.py``) is shown to it as
    a package whose ``__init__.py`` is a link to the module (same lines, same imports)."""
    found: dict[str, Path] = {}
    for name, path in packages.items():
        if path.suffix == ".py":
            package = tmp / name
            package.mkdir()
            (package / "__init__.py").symlink_to(path.resolve())
            path = package
        found[name] = path
    return found


def _direct_imports(packages: Mapping[str, Path]) -> list[DirectImport] | UnparsableModule:
    previous = _grimp_settings.PACKAGE_FINDER
    _grimp_settings.configure(PACKAGE_FINDER=_DirectoryFinder(packages))
    try:
        # no cache: a run is fast, and a cache would be one more file written into the tree
        graph = grimp.build_graph(*sorted(packages), cache_dir=None)
    except SourceSyntaxError as exc:
        filename = str(Path(exc.filename).resolve()) if exc.filename else ""
        return UnparsableModule(filename, exc.lineno or 1, exc.text or "")
    finally:
        _grimp_settings.configure(PACKAGE_FINDER=previous)
    found: list[DirectImport] = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            for detail in graph.get_import_details(importer=importer, imported=imported):
                found.append(
                    DirectImport(
                        importer=importer,
                        imported=imported,
                        line=int(detail["line_number"]),
                        line_contents=str(detail["line_contents"]),
                    )
                )
    return found


class _DirectoryFinder(AbstractPackageFinder):
    def __init__(self, packages: Mapping[str, Path]) -> None:
        self._packages = {name: str(path) for name, path in packages.items()}

    def determine_package_directories(self, package_name: str, file_system: object) -> set[str]:
        return {self._packages[package_name]}
