"""Where a member's import packages and modules are, read from its build backend's own
configuration, as that backend would find them.

In order, the first that answers wins:

1. ``[tool.monorel.packages.<name>] import-packages`` (paths relative to the member);
2. the build backend's configuration: hatchling (``packages``, ``only-include`` with
   ``sources``), setuptools (``packages`` as a list or ``packages.find``, ``package-dir``,
   ``py-modules``; ``[options]`` of setup.cfg), flit (``[tool.flit.module] name``), pdm
   (``package-dir``, ``includes``), poetry (``packages``), uv_build (``module-name``,
   ``module-root``);
3. the backend's own default discovery for a src or flat layout (hatchling's and flit's
   ``<name>``, setuptools' auto-discovery, pdm's ``src``);
4. a wheel built from the member (``find_from_wheel``): its top-level packages and modules,
   traced back to their source.

A member whose packages cannot be found, or whose configuration names a package that
does not exist, raises ``PackageNotFound`` naming the member: never an empty answer that
would turn the boundary checks off.
"""

from __future__ import annotations

import configparser
import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from monorel.errors import PackageNotFound

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# setuptools' flat-layout auto-discovery leaves these out (FlatLayoutPackageFinder /
# FlatLayoutModuleFinder DEFAULT_EXCLUDE); so does monorel when it discovers the same way
_FLAT_EXCLUDED_PACKAGES = (
    "ci", "bin", "debian", "doc", "docs", "documentation", "manpages", "news",
    "newsfragments", "changelog", "test", "tests", "unit_test", "unit_tests", "example",
    "examples", "scripts", "tools", "util", "utils", "python", "build", "dist", "venv",
    "env", "requirements", "tasks", "fabfile", "site_scons", "benchmark", "benchmarks",
    "exercise", "exercises", "htmlcov", "[._]*",
)  # fmt: skip
_FLAT_EXCLUDED_MODULES = (
    "setup", "conftest", "test", "tests", "example", "examples", "build", "toxfile",
    "noxfile", "pavement", "dodo", "tasks", "fabfile", "[Ss][Cc]onstruct", "conanfile",
    "manage", "benchmark", "benchmarks", "exercise", "exercises", "[._]*",
)  # fmt: skip
_SEARCH_SKIPPED = {".venv", "venv", "build", "dist", "node_modules", ".git", "__pycache__"}


@dataclass(frozen=True)
class ImportPackage:
    """One top-level import package (a directory) or module (a ``.py`` file)."""

    name: str  # e.g. "billing_app"
    path: Path  # absolute: the package directory or the module file

    @property
    def is_module(self) -> bool:
        return self.path.suffix == ".py"

    @property
    def root(self) -> Path:
        """The ``sys.path`` entry it imports from (``src/`` in a src layout)."""
        return self.path.parent


@dataclass(frozen=True)
class Layout:
    packages: tuple[ImportPackage, ...]  # the primary one first
    source: str  # where monorel read it, for messages ("setuptools packages.find")


# the wheel fallback: the top-level names (packages and modules) of a wheel built from the
# member; the caller runs the build (adapters.uv), this module only reads the answer
WheelNames = Callable[[], Sequence[str]]


def find(
    directory: Path,
    data: Mapping[str, Any],
    dist: str,
    *,
    override: Sequence[str] | None = None,
    wheel_names: WheelNames | None = None,
) -> Layout:
    """The member's import packages; ``PackageNotFound`` names the member where there are none.

    ``dist`` is the canonical distribution name. ``override`` is ``import-packages`` from
    ``[tool.monorel.packages.<dist>]`` (an empty list: the member has none, deliberately).
    """
    if override is not None:
        return _checked(dist, directory, [directory / p for p in override], "import-packages")
    backend = str(data.get("build-system", {}).get("build-backend", ""))
    tool = data.get("tool", {})
    reader = next((r for prefix, r in _BACKENDS if backend.startswith(prefix)), None)
    if reader is None and not backend:
        # no [build-system]: the backend whose configuration table is there
        reader = next((r for table, r in _TOOL_TABLES if _has_table(tool, table)), None)
    found = reader(directory, tool, dist) if reader is not None else None
    if found is None and reader is None:
        found = _conventional(directory, _module_name(dist), "the src/flat layout convention")
    if found is not None:
        paths, source = found
        return _checked(dist, directory, paths, source)
    if wheel_names is not None and backend:
        return find_from_wheel(directory, dist, wheel_names())
    raise PackageNotFound(
        f"{dist}: cannot find its import packages ({directory}): its build backend "
        f"{backend or '(none)'} is configured in a way monorel does not read",
        fix=_FIX.format(dist=dist),
    )


def find_from_wheel(directory: Path, dist: str, names: Sequence[str]) -> Layout:
    """The packages and modules a built wheel holds at its top level, found in the source."""
    tops = sorted({n for n in names if not n.endswith((".dist-info", ".data"))})
    if not tops:
        raise PackageNotFound(
            f"{dist}: the wheel built from {directory} holds no import package",
            fix=_FIX.format(dist=dist),
        )
    paths = []
    for top in tops:
        path = _locate(directory, top)
        if path is None:
            raise PackageNotFound(
                f"{dist}: its wheel holds {top!r}, which monorel cannot find in {directory}",
                fix=_FIX.format(dist=dist),
            )
        paths.append(path)
    return _checked(dist, directory, paths, "the built wheel")


_FIX = (
    "configure the build backend (e.g. [tool.hatch.build.targets.wheel] packages = "
    '["src/pkg"], [tool.setuptools.packages.find] where = ["src"]), or name them in '
    '[tool.monorel.packages.{dist}] import-packages = ["src/pkg"] (an empty list when it '
    "has none)"
)


def _checked(dist: str, directory: Path, paths: Sequence[Path], source: str) -> Layout:
    packages: list[ImportPackage] = []
    for path in paths:
        path = path.resolve()
        if path.suffix == ".py":
            exists, name = path.is_file(), path.stem
        else:
            exists, name = path.is_dir(), path.name
        if not exists:
            rel = _rel(path, directory)
            raise PackageNotFound(
                f"{dist}: {source} names {rel}, which does not exist",
                fix=f"create {rel}, or correct {source} in {dist}'s configuration",
            )
        if all(p.name != name for p in packages):
            packages.append(ImportPackage(name, path))
    primary = _module_name(dist)
    packages.sort(key=lambda p: (p.name != primary, p.name))
    if not packages and source != "import-packages":
        raise PackageNotFound(
            f"{dist}: {source} finds no import package in {directory}",
            fix=_FIX.format(dist=dist),
        )
    return Layout(tuple(packages), source)


def _rel(path: Path, directory: Path) -> str:
    try:
        return path.relative_to(directory.resolve()).as_posix()
    except ValueError:
        return str(path)


def _module_name(dist: str) -> str:
    return re.sub(r"[-.]+", "_", dist).lower()


Found = tuple[list[Path], str] | None


# -- hatchling -----------------------------------------------------------------------------


def _hatch(directory: Path, tool: Mapping[str, Any], dist: str) -> Found:
    build = tool.get("hatch", {}).get("build", {})
    wheel = build.get("targets", {}).get("wheel", {})

    def option(key: str) -> Any:
        return wheel.get(key, build.get(key))

    if option("packages"):
        return [directory / p for p in option("packages")], "hatchling packages"
    if option("only-include"):
        sources = option("sources") or []
        tops = [_hatch_top(directory, entry, sources) for entry in option("only-include")]
        if any(top is None for top in tops):
            return None  # renamed on the way into the wheel: the built wheel tells
        return [top for top in tops if top is not None], "hatchling only-include"
    if option("include") or option("force-include"):
        return None  # patterns and mappings: the built wheel tells
    return _conventional(directory, _module_name(dist), "hatchling's default file selection")


def _hatch_top(
    directory: Path, entry: str, sources: Sequence[str] | Mapping[str, str]
) -> Path | None:
    """The source of the top-level package an ``only-include`` entry puts in the wheel:
    ``src/foo`` with ``sources = ["src"]`` is ``foo``; None where ``sources`` renames it."""
    if isinstance(sources, Mapping) and any(str(v).strip("/") for v in sources.values()):
        return None
    parts = PurePosixPath(entry.strip("/")).parts
    for prefix in sorted(sources, key=len, reverse=True):
        prefix_parts = PurePosixPath(prefix.strip("/")).parts
        inside = prefix_parts and parts[: len(prefix_parts)] == prefix_parts
        if inside and len(parts) > len(prefix_parts):
            return directory.joinpath(*parts[: len(prefix_parts) + 1])
    return directory / parts[0]


# -- setuptools ---------------------------------------------------------------------------


def _setuptools(directory: Path, tool: Mapping[str, Any], dist: str) -> Found:
    config = tool.get("setuptools", {})
    package_dir = dict(config.get("package-dir", {}))
    packages, modules = config.get("packages"), list(config.get("py-modules", []))
    if packages is None and not modules:
        cfg = _setup_cfg(directory)
        if cfg is not None:
            package_dir, packages, modules = cfg
    if isinstance(packages, Mapping) and "find" in packages:
        find_options = packages["find"]
        paths = _find_packages(
            [directory / w for w in find_options.get("where", ["."])],
            include=find_options.get("include", ["*"]),
            exclude=find_options.get("exclude", []),
            namespaces=find_options.get("namespaces", True),
        )
        return paths + _modules(directory, package_dir, modules), "setuptools packages.find"
    if isinstance(packages, list) or modules:
        tops = sorted({str(p).split(".")[0] for p in packages or []})
        paths = [_package_path(directory, package_dir, top) for top in tops]
        return paths + _modules(directory, package_dir, modules), "setuptools packages"
    if (directory / "setup.py").is_file():
        return None  # setup.py may say anything: the built wheel tells
    return _auto_discovery(directory)


def _package_path(directory: Path, package_dir: Mapping[str, str], name: str) -> Path:
    if name in package_dir:
        return directory / package_dir[name]
    return directory / package_dir.get("", "") / name


def _modules(directory: Path, package_dir: Mapping[str, str], modules: Sequence[str]) -> list[Path]:
    return [directory / package_dir.get("", "") / f"{m}.py" for m in modules]


def _find_packages(
    wheres: Sequence[Path], *, include: Sequence[str], exclude: Sequence[str], namespaces: bool
) -> list[Path]:
    found: list[Path] = []
    for where in wheres:
        if not where.is_dir():
            continue
        for child in sorted(where.iterdir()):
            name = child.name
            if not child.is_dir() or not _IDENTIFIER.match(name):
                continue
            if not any(fnmatch.fnmatchcase(name, p) for p in include):
                continue
            if any(fnmatch.fnmatchcase(name, p) for p in exclude):
                continue
            regular = (child / "__init__.py").is_file()
            # an implicit namespace package: setuptools would ship it, but tests/ and docs/
            # are what it almost always is by accident
            namespace = namespaces and not _flat_excluded(name) and _has_python(child)
            if regular or namespace:
                found.append(child)
    return found


def _auto_discovery(directory: Path) -> Found:
    """setuptools' automatic discovery: the src layout, else the flat layout."""
    src = directory / "src"
    if src.is_dir():
        paths = _find_packages([src], include=["*"], exclude=[], namespaces=True)
        modules = [p for p in sorted(src.glob("*.py")) if _IDENTIFIER.match(p.stem)]
        return paths + modules, "setuptools auto-discovery (src layout)"
    paths = [
        child
        for child in sorted(directory.iterdir())
        if child.is_dir()
        and _IDENTIFIER.match(child.name)
        and not _flat_excluded(child.name)
        and (child / "__init__.py").is_file()
    ]
    if not paths:
        paths = [
            p
            for p in sorted(directory.glob("*.py"))
            if _IDENTIFIER.match(p.stem)
            and not any(fnmatch.fnmatchcase(p.stem, x) for x in _FLAT_EXCLUDED_MODULES)
        ]
    return paths, "setuptools auto-discovery (flat layout)"


def _flat_excluded(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in _FLAT_EXCLUDED_PACKAGES)


def _has_python(directory: Path) -> bool:
    return any(p for p in directory.rglob("*.py") if "__pycache__" not in p.parts)


def _setup_cfg(directory: Path) -> tuple[dict[str, str], Any, list[str]] | None:
    """``[options]`` packages / package_dir / py_modules of setup.cfg, where it has them."""
    path = directory / "setup.cfg"
    if not path.is_file():
        return None
    parser = configparser.ConfigParser()
    parser.read(path, encoding="utf-8")
    if not parser.has_section("options"):
        return None
    options = parser["options"]
    package_dir = {}
    for line in options.get("package_dir", "").strip().splitlines():
        # "= src" (the root package dir) or "pkg = lib/pkg"
        key, _, value = line.partition("=")
        if value.strip():
            package_dir[key.strip()] = value.strip()
    raw = options.get("packages", "").strip()
    modules = [m.strip() for m in options.get("py_modules", "").split() if m.strip()]
    if raw.startswith("find"):
        find = (
            parser["options.packages.find"] if parser.has_section("options.packages.find") else {}
        )
        where = find.get("where", package_dir.get("", ".")).split()
        packages: Any = {
            "find": {
                "where": where,
                "include": find.get("include", "*").split(),
                "exclude": find.get("exclude", "").split(),
                "namespaces": raw.startswith("find_namespace"),
            }
        }
    elif raw:
        packages = [p.strip() for p in re.split(r"[\s,]+", raw) if p.strip()]
    else:
        packages = None
    if packages is None and not modules:
        return None
    return package_dir, packages, modules


# -- flit, pdm, poetry, uv_build ----------------------------------------------------------


def _flit(directory: Path, tool: Mapping[str, Any], dist: str) -> Found:
    name = tool.get("flit", {}).get("module", {}).get("name") or _module_name(dist)
    return _conventional(directory, name, "flit [tool.flit.module]", strict_name=name)


def _pdm(directory: Path, tool: Mapping[str, Any], dist: str) -> Found:
    build = tool.get("pdm", {}).get("build", {})
    package_dir = build.get("package-dir", "src" if (directory / "src").is_dir() else "")
    includes = build.get("includes")
    if not includes:
        base = directory / package_dir
        paths = _find_packages([base], include=["*"], exclude=[], namespaces=False)
        if not paths:
            paths = [p for p in sorted(base.glob("*.py")) if _IDENTIFIER.match(p.stem)]
        return paths, f"pdm package-dir {package_dir or '.'!r}"
    paths = []
    prefix = PurePosixPath(package_dir).parts if package_dir else ()
    for entry in includes:
        parts = PurePosixPath(entry).parts
        if prefix and parts[: len(prefix)] == prefix:
            parts = parts[len(prefix) :]
        if not parts or any(c in parts[0] for c in "*?["):
            return None  # a glob over the whole tree: the built wheel tells
        paths.append(directory.joinpath(*prefix, parts[0]))
    return paths, "pdm includes"


def _poetry(directory: Path, tool: Mapping[str, Any], dist: str) -> Found:
    packages = tool.get("poetry", {}).get("packages")
    if not packages:
        return _conventional(directory, _module_name(dist), "poetry's default packages")
    paths = []
    for entry in packages:
        include = str(entry.get("include", ""))
        if any(c in include for c in "*?["):
            return None
        top = PurePosixPath(include).parts[0]
        paths.append(directory / entry.get("from", "") / top)
    return paths, "poetry packages"


def _uv_build(directory: Path, tool: Mapping[str, Any], dist: str) -> Found:
    backend = tool.get("uv", {}).get("build-backend", {})
    names = backend.get("module-name") or _module_name(dist)
    root = directory / backend.get("module-root", "src")
    tops = sorted({n.split(".")[0] for n in ([names] if isinstance(names, str) else names)})
    paths = []
    for top in tops:
        module = root / f"{top}.py"
        paths.append(module if module.is_file() and not (root / top).is_dir() else root / top)
    return paths, "uv_build module-name"


def _conventional(directory: Path, name: str, source: str, strict_name: str | None = None) -> Found:
    """``<name>/``, ``src/<name>/``, ``<name>.py`` or ``src/<name>.py``, as backends default to."""
    for candidate in (
        directory / name / "__init__.py",
        directory / "src" / name / "__init__.py",
    ):
        if candidate.is_file():
            return [candidate.parent], source
    for candidate in (directory / f"{name}.py", directory / "src" / f"{name}.py"):
        if candidate.is_file():
            return [candidate], source
    if strict_name is not None:
        # the backend names it: report the place it would look first
        return [directory / strict_name], source
    return None


_BACKENDS: tuple[tuple[str, Callable[[Path, Mapping[str, Any], str], Found]], ...] = (
    ("hatchling", _hatch),
    ("setuptools", _setuptools),
    ("flit_core", _flit),
    ("flit.", _flit),
    ("pdm.backend", _pdm),
    ("pdm.pep517", _pdm),
    ("poetry.core", _poetry),
    ("poetry.masonry", _poetry),
    ("uv_build", _uv_build),
)


# the configuration table each backend reads, for a pyproject without [build-system]
_TOOL_TABLES: tuple[tuple[str, Callable[[Path, Mapping[str, Any], str], Found]], ...] = (
    ("hatch.build", _hatch),
    ("setuptools", _setuptools),
    ("flit.module", _flit),
    ("pdm.build", _pdm),
    ("poetry", _poetry),
    ("uv.build-backend", _uv_build),
)


def _has_table(tool: Mapping[str, Any], dotted: str) -> bool:
    table: Any = tool
    for key in dotted.split("."):
        if not isinstance(table, Mapping) or key not in table:
            return False
        table = table[key]
    return True


def _locate(directory: Path, top: str) -> Path | None:
    """The source of a wheel's top-level entry: ``<top>``, ``src/<top>``, else a search."""
    stem = top.removesuffix(".py")
    is_module = top.endswith(".py")
    for base in (directory, directory / "src"):
        candidate = base / (f"{stem}.py" if is_module else stem)
        if candidate.exists():
            return candidate
    pattern = f"{stem}.py" if is_module else stem
    for path in sorted(directory.rglob(pattern), key=lambda p: len(p.parts)):
        rel = path.relative_to(directory).parts
        if _SEARCH_SKIPPED & set(rel) or len(rel) > 4:
            continue
        if is_module or (path / "__init__.py").is_file():
            return path
    return None
