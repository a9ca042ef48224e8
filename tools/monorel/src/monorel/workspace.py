"""The workspace model: read once from the uv workspace root, handed to every command.

It knows the members (from ``[tool.uv.workspace]``), their versions, declared
dependencies, import packages (``monorel.layout``: from each build backend's own
configuration), Django settings for their own tests, and the ``[tool.monorel]``
configuration, validated by type (``_ROOT_KEYS`` / ``_PACKAGE_KEYS``): a wrong type or
value is a configuration error naming the key and what it expects. It does not run
tools; the adapters do (a wheel build is the last way to find a member's packages).
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from monorel import layout, tags
from monorel.errors import (
    ConfigError,
    ConfigValueError,
    InvalidVersionError,
    MonorelError,
    PackageNotFound,
    ProjectMetadataError,
    PublicModuleMissing,
)
from monorel.layout import ImportPackage
from monorel.tags import TagFormat
from monorel.wheel_checks import CHECKS as WHEEL_CHECKS

if TYPE_CHECKING:
    from monorel.release_points import ReleaseIndex

Role = Literal["library", "host", "tool"]
_ROLES: tuple[Role, ...] = ("library", "host", "tool")
DEFAULT_STATE_DIR = ".monorel"
# changes only here (member-relative) need no fragment: they do not reach the wheel
DEFAULT_IGNORE_PATHS: tuple[str, ...] = ("tests/**", "docs/**")


@dataclass(frozen=True)
class Member:
    """One workspace member, as its pyproject.toml and ``[tool.monorel]`` describe it."""

    name: str  # canonical distribution name, e.g. "billing-app"
    path: Path  # absolute directory of the member
    pyproject: Path
    version: str
    import_name: str  # top-level import package, e.g. "billing_app"
    package_dir: Path  # absolute directory of the import package (src layout)
    role: Role
    requirements: tuple[Requirement, ...]  # every [project].dependencies entry
    public_modules: tuple[str, ...]  # dotted, e.g. ("billing_app.api",)
    django_settings: str | None  # settings module for the member's own tests / checks
    pythonpath: tuple[Path, ...]  # extra sys.path entries for those settings
    changelog_dir: Path
    changelog_file: Path
    released: bool  # built and published by the release pipeline
    # host members only, for `monorel rehearse` ([tool.monorel.packages.<host>] seed /
    # contract-tests, relative to the member directory); None where not configured
    seed: Path | None = None  # a Django fixture file loaded after migrating the old versions
    contract_tests: Path | None = None  # a pytest path run against the upgraded install
    # the member's pyproject.toml as read when the workspace was loaded: read it here,
    # never again from disk (one read per command)
    data: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    # every top-level import package or module, the primary one (import_name) first;
    # empty for a member built without them (``import_packages`` then falls back)
    packages: tuple[ImportPackage, ...] = ()
    # configured (or, for a released member, default) public modules that do not exist:
    # ``Workspace.require_public_modules`` refuses them
    missing_public_modules: tuple[str, ...] = ()
    ignore_paths: tuple[str, ...] = DEFAULT_IGNORE_PATHS  # member-relative patterns
    tag_format: TagFormat = TagFormat()

    @property
    def import_packages(self) -> tuple[ImportPackage, ...]:
        return self.packages or (ImportPackage(self.import_name, self.package_dir),)

    @property
    def import_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.import_packages)

    def import_package(self, name: str) -> ImportPackage | None:
        """The member's top-level package or module called ``name``."""
        return next((p for p in self.import_packages if p.name == name), None)

    def module_file(self, dotted: str) -> Path | None:
        """The file of module ``dotted`` (``billing_app.api``) in the member; None if absent."""
        return _module_file(dotted, [p for p in self.import_packages if not p.is_module])

    @property
    def source_roots(self) -> tuple[Path, ...]:
        """Where its packages import from (``src/``, or the member directory), in order."""
        roots: list[Path] = []
        for package in self.import_packages:
            if package.root not in roots:
                roots.append(package.root)
        return tuple(roots)

    def ignores(self, rel_path: str) -> bool:
        """Whether a change at ``rel_path`` (relative to the member) needs no fragment."""
        return any(_matches(rel_path, pattern) for pattern in self.ignore_paths)

    @property
    def towncrier(self) -> Mapping[str, Any]:
        """``[tool.towncrier]`` of the member's pyproject ({} where it has none)."""
        return self.data.get("tool", {}).get("towncrier", {})

    @property
    def raw_dependencies(self) -> tuple[str, ...]:
        """``[project].dependencies`` as written (``requirements`` holds them parsed)."""
        return tuple(self.data.get("project", {}).get("dependencies", []))

    @property
    def tag_prefix(self) -> str:
        """What the member's tags start with (``billing-app-v``; ``[tool.monorel] tag-format``)."""
        return self.tag_format.tag(self.name, "\0").partition("\0")[0]

    @property
    def tag_glob(self) -> str:
        """A ``git tag --list`` pattern for the member's release tags."""
        return self.tag_format.glob(self.name)

    def tag(self, version: str | None = None) -> str:
        return self.tag_format.tag(self.name, version or self.version)

    def version_of_tag(self, tag: str) -> str | None:
        """The version a release tag of this member names; None for any other tag."""
        return self.tag_format.version_of(self.name, tag)

    def relpath(self, root: Path) -> str:
        return self.path.relative_to(root).as_posix()


@dataclass(frozen=True)
class Config:
    """``[tool.monorel]`` of the root pyproject.toml, with defaults."""

    org: str = "acme"
    public_modules: tuple[str, ...] = ("api",)
    indexes: dict[str, str] = field(default_factory=dict)
    state_dir: str = DEFAULT_STATE_DIR
    host_pins: Literal["current", "released"] = "current"
    tag_format: TagFormat = TagFormat()
    ignore_paths: tuple[str, ...] = DEFAULT_IGNORE_PATHS
    # what `monorel build` also requires of each released wheel (monorel.wheel_checks)
    wheel_checks: tuple[str, ...] = ()
    # [tool.monorel.migration-operations] as written; validated by monorel.semver.operation_table
    migration_operations: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Workspace:
    root: Path
    config: Config
    members: dict[str, Member]  # by canonical name, in pyproject discovery order
    # what a lenient load (``monorel init``) let pass: members whose packages were not found
    problems: tuple[MonorelError, ...] = ()
    # the root pyproject.toml as read when the workspace was loaded (its dependency groups:
    # the workspace's test tools)
    data: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def member(self, name: str) -> Member:
        key = canonicalize_name(name)
        if key not in self.members:
            known = ", ".join(sorted(self.members))
            raise ConfigError(
                f"no workspace member named {name!r}",
                fix=f"use one of: {known}",
            )
        return self.members[key]

    def by_import_name(self, import_name: str) -> Member | None:
        """The member one of whose top-level packages or modules is ``import_name``."""
        return self._by_import_name.get(import_name)

    @cached_property
    def _by_import_name(self) -> dict[str, Member]:
        found: dict[str, Member] = {}
        for m in self.members.values():
            for name in m.import_names:
                found.setdefault(name, m)
        return found

    def require_public_modules(self) -> None:
        """``PublicModuleMissing`` naming every member whose configured public modules (or a
        released member's default ``api``) do not exist: other members' boundary and the
        semver verdict stand on them, so a check cannot pass without them."""
        missing = [m for m in self.members.values() if m.missing_public_modules]
        if not missing:
            return
        lines = [
            f"{m.name}: {', '.join(m.missing_public_modules)} "
            f"(no {', '.join(_expected_file(d, m) for d in m.missing_public_modules)})"
            for m in missing
        ]
        names = ", ".join(m.name for m in missing)
        raise PublicModuleMissing(
            "configured public modules do not exist:\n  " + "\n  ".join(lines),
            fix="create the module other members may import, or set "
            f"[tool.monorel.packages.<name>] public-modules (for {names}) to the modules "
            "that are public (public-modules = [] for none)",
        )

    def import_package_paths(self) -> dict[str, Path]:
        """Every member's top-level packages and modules that exist: import name -> path."""
        return {
            package.name: package.path
            for m in self.members.values()
            for package in m.import_packages
            if package.path.exists()
        }

    def member_of_path(self, rel_path: str) -> Member | None:
        """The member whose directory holds ``rel_path`` (relative to the root, POSIX)."""
        best: Member | None = None
        for m in self.members.values():
            prefix = m.relpath(self.root) + "/"
            if rel_path.startswith(prefix) and (
                best is None or len(prefix) > len(best.relpath(self.root)) + 1
            ):
                best = m
        return best

    def workspace_requirements(self, member: Member) -> dict[str, Requirement]:
        """The member's declared dependencies that are other workspace members."""
        return {
            canonicalize_name(r.name): r
            for r in member.requirements
            if canonicalize_name(r.name) in self.members
            and canonicalize_name(r.name) != member.name
        }

    def dependents(self, name: str) -> list[Member]:
        key = canonicalize_name(name)
        return [m for m in self.members.values() if key in self.workspace_requirements(m)]

    def topological_order(self, names: list[str] | None = None) -> list[Member]:
        """Members in dependency order (dependencies first); ties broken by name."""
        wanted = {canonicalize_name(n) for n in names} if names is not None else set(self.members)
        order: list[Member] = []
        state: dict[str, int] = {}

        def visit(key: str, trail: tuple[str, ...]) -> None:
            if state.get(key) == 2:
                return
            if state.get(key) == 1:
                cycle = " -> ".join((*trail, key))
                raise ConfigError(
                    f"workspace dependency cycle: {cycle}",
                    fix="remove one of the declared dependencies so they point one way",
                )
            state[key] = 1
            for dep in sorted(self.workspace_requirements(self.members[key])):
                visit(dep, (*trail, key))
            state[key] = 2
            order.append(self.members[key])

        for key in sorted(self.members):
            visit(key, ())
        return [m for m in order if m.name in wanted]

    @property
    def state_dir(self) -> Path:
        return self.root / self.config.state_dir

    @cached_property
    def release_index(self) -> ReleaseIndex:
        """Every member's release points, read from git once per command and kept."""
        from monorel.release_points import ReleaseIndex

        return ReleaseIndex(self)


def find_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` whose pyproject declares a uv workspace."""
    for candidate in [start.resolve(), *start.resolve().parents]:
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and "workspace" in _read_toml(pyproject).get("tool", {}).get(
            "uv", {}
        ):
            return candidate
    raise ConfigError(
        f"no uv workspace found at or above {start}",
        fix="run monorel inside a uv workspace (a pyproject.toml with [tool.uv.workspace])",
    )


def load(start: Path, *, lenient: bool = False) -> Workspace:
    """The workspace at or above ``start``.

    ``lenient`` (for ``monorel init``, which is there to fix it): a member whose packages
    cannot be found is kept, with the error in ``Workspace.problems``, instead of stopping
    the load. Missing public modules never stop it: see ``require_public_modules``.
    """
    root = find_root(start)
    data = _read_toml(root / "pyproject.toml")
    config, package_overrides = _read_config(root, data.get("tool", {}).get("monorel", {}))
    ws = data["tool"]["uv"]["workspace"]
    member_dirs = _expand(root, ws.get("members", []), ws.get("exclude", []))
    members: dict[str, Member] = {}
    problems: list[MonorelError] = []
    for directory in member_dirs:
        member = _read_member(root, directory, config, package_overrides, lenient, problems)
        members[member.name] = member
    unknown = set(package_overrides) - set(members)
    if unknown:
        raise ConfigError(
            f"[tool.monorel.packages] names unknown members: {', '.join(sorted(unknown))}",
            fix=f"use member names from the workspace: {', '.join(sorted(members))}",
        )
    return Workspace(root=root, config=config, members=members, problems=tuple(problems), data=data)


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", fix="fix the TOML syntax") from exc


# -- [tool.monorel], validated by type ---------------------------------------------------


@dataclass(frozen=True)
class _Key:
    kind: Literal["str", "bool", "list[str]", "table[str]", "table"]
    expects: str  # what a valid value is, for the error
    example: str  # a valid line, for the fix
    choices: tuple[str, ...] = ()


_ROOT_KEYS: dict[str, _Key] = {
    "org": _Key("str", "a devpi user name", 'org = "acme"'),
    "public-modules": _Key("list[str]", "a list of module names", 'public-modules = ["api"]'),
    "indexes": _Key(
        "table[str]",
        "a table of index name = URL",
        'indexes = { stable = "https://devpi/acme/stable/" }',
    ),
    "state-dir": _Key("str", "a directory", 'state-dir = ".monorel"'),
    "host-pins": _Key(
        "str", '"current" or "released"', 'host-pins = "current"', ("current", "released")
    ),
    "tag-format": _Key(
        "str", "a tag name with {dist} and {version}", 'tag-format = "{dist}-v{version}"'
    ),
    "ignore-paths": _Key(
        "list[str]", "a list of member-relative patterns", 'ignore-paths = ["tests/**"]'
    ),
    "wheel-checks": _Key(
        "list[str]", "a list of wheel check names", 'wheel-checks = ["license-file"]'
    ),
    "packages": _Key("table", "a table per member", "[tool.monorel.packages.<member>]"),
    # its entries are validated by monorel.semver.operation_table
    "migration-operations": _Key(
        "table", "a table of operation = rule", "[tool.monorel.migration-operations]"
    ),
}
_PACKAGE_KEYS: dict[str, _Key] = {
    "role": _Key("str", '"library", "host" or "tool"', 'role = "library"', _ROLES),
    "release": _Key("bool", "true or false", "release = true"),
    "public-modules": _Key("list[str]", "a list of module names", 'public-modules = ["api"]'),
    "django-settings": _Key("str", "a settings module", 'django-settings = "host.settings"'),
    "pythonpath": _Key(
        "list[str]", "a list of member-relative directories", 'pythonpath = ["tests"]'
    ),
    "seed": _Key("str", "a fixture file", 'seed = "src/host/fixtures/seed.json"'),
    "contract-tests": _Key("str", "a pytest path", 'contract-tests = "tests/contracts"'),
    "import-packages": _Key(
        "list[str]", "a list of member-relative paths", 'import-packages = ["src/pkg"]'
    ),
    "ignore-paths": _Key(
        "list[str]", "a list of member-relative patterns", 'ignore-paths = ["tests/**"]'
    ),
}
_KIND_NAMES = {
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    list: "a list",
    dict: "a table",
}


def _validated(
    table: str, raw: Mapping[str, Any], keys: Mapping[str, _Key], where: str = ""
) -> dict[str, Any]:
    """``raw`` with every key known and of its type; ``ConfigValueError`` names the first
    that is not (``public-modules = "api"`` is a string, not a list)."""
    extra = set(raw) - set(keys)
    if extra:
        raise ConfigError(
            f"{where}unknown {table} keys: {', '.join(sorted(extra))}",
            fix=f"use only: {', '.join(sorted(keys))}",
        )
    for name, value in raw.items():
        key = keys[name]
        problem = _type_problem(key, value)
        if problem is None and key.choices and value not in key.choices:
            problem = "not one of " + ", ".join(f'"{c}"' for c in key.choices)
        if problem is not None:
            raise ConfigValueError(
                f"{table} {name} = {_toml(value)} is {problem}: expected {key.expects}",
                fix=f"write it as {key.example}",
            )
    return dict(raw)


def _type_problem(key: _Key, value: Any) -> str | None:
    what = _KIND_NAMES.get(type(value), type(value).__name__)
    if key.kind == "str":
        if not isinstance(value, str):
            return what
        return None if value else "empty"
    if key.kind == "bool":
        return None if isinstance(value, bool) else what
    if key.kind == "list[str]":
        if not isinstance(value, list):
            return what
        bad = [v for v in value if not isinstance(v, str) or not v]
        return f"a list holding {_toml(bad[0])}" if bad else None
    if key.kind == "table[str]":
        if not isinstance(value, dict):
            return what
        bad = [k for k, v in value.items() if not isinstance(v, str)]
        return f"a table whose {bad[0]} is not a string" if bad else None
    return None if isinstance(value, dict) else what


def _toml(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str | list | dict) else str(value).lower()


def _read_config(root: Path, raw: dict) -> tuple[Config, dict[str, dict]]:
    raw = _validated("[tool.monorel]", raw, _ROOT_KEYS, f"{root / 'pyproject.toml'}: ")
    tag_format = tags.parse_format(raw.get("tag-format", tags.DEFAULT_FORMAT))
    if isinstance(tag_format, str):
        raise ConfigValueError(
            f"[tool.monorel] tag-format = {_toml(raw['tag-format'])}: {tag_format}",
            fix=f'use {{dist}} and {{version}} once each, e.g. tag-format = "{tags.DEFAULT_FORMAT}"'
            ' or "{dist}@{version}"',
        )
    _check_modules("[tool.monorel] public-modules", raw.get("public-modules", []))
    wheel_checks = tuple(raw.get("wheel-checks", []))
    unknown_checks = [c for c in wheel_checks if c not in WHEEL_CHECKS]
    if unknown_checks:
        raise ConfigValueError(
            f"[tool.monorel] wheel-checks names unknown checks: {', '.join(unknown_checks)}",
            fix=f"use only: {', '.join(WHEEL_CHECKS)}",
        )
    config = Config(
        org=raw.get("org", "acme"),
        public_modules=tuple(raw.get("public-modules", ["api"])),
        indexes=dict(raw.get("indexes", {})),
        state_dir=raw.get("state-dir", DEFAULT_STATE_DIR),
        host_pins=raw.get("host-pins", "current"),
        tag_format=tag_format,
        ignore_paths=tuple(raw.get("ignore-paths", DEFAULT_IGNORE_PATHS)),
        wheel_checks=wheel_checks,
        migration_operations=raw.get("migration-operations", {}),
    )
    packages: dict[str, dict] = {}
    for key, table in raw.get("packages", {}).items():
        name = canonicalize_name(key)
        if not isinstance(table, dict):
            raise ConfigValueError(
                f"[tool.monorel.packages] {key} = {_toml(table)} is not a table",
                fix=f"write it as a table: [tool.monorel.packages.{key}]",
            )
        packages[name] = _validated(f"[tool.monorel.packages.{key}]", table, _PACKAGE_KEYS)
        _check_modules(
            f"[tool.monorel.packages.{key}] public-modules", table.get("public-modules", [])
        )
    return config, packages


def _check_modules(where: str, modules: Sequence[str]) -> None:
    for module in modules:
        if not all(part.isidentifier() for part in module.split(".")):
            raise ConfigValueError(
                f"{where} holds {module!r}, which is not a module name",
                fix='name modules as Python imports them, e.g. "api" or "billing_app.api"',
            )


def _expand(root: Path, members: list[str], exclude: list[str]) -> list[Path]:
    excluded = {Path(p).resolve() for pattern in exclude for p in glob.glob(str(root / pattern))}
    found: list[Path] = []
    for pattern in members:
        for p in sorted(glob.glob(str(root / pattern))):
            path = Path(p).resolve()
            if path in excluded or not (path / "pyproject.toml").is_file():
                continue
            if path not in found:
                found.append(path)
    return found


# -- members ------------------------------------------------------------------------------


def _read_member(
    root: Path,
    directory: Path,
    config: Config,
    overrides: dict[str, dict],
    lenient: bool,
    problems: list[MonorelError],
) -> Member:
    pyproject = directory / "pyproject.toml"
    data = _read_toml(pyproject)
    rel = pyproject.relative_to(root).as_posix()
    project = _project(rel, data)
    name = canonicalize_name(project["name"])
    version = _version(rel, project)
    requirements = []
    raw_dependencies = project.get("dependencies", [])
    if not isinstance(raw_dependencies, list):
        raise ConfigValueError(
            f"{rel}: [project] dependencies = {_toml(raw_dependencies)} is not a list",
            fix='write dependencies = ["package>=1.0,<2", ...]',
        )
    for raw in raw_dependencies:
        try:
            requirements.append(Requirement(raw))
        except (InvalidRequirement, TypeError) as exc:
            raise ConfigError(
                f"{pyproject}: invalid dependency {raw!r}: {exc}", fix="fix the requirement"
            ) from exc
    override = overrides.get(name, {})
    try:
        found = layout.find(
            directory,
            data,
            name,
            override=override.get("import-packages"),
            wheel_names=lambda: _wheel_names(root / config.state_dir, directory),
        ).packages
    except PackageNotFound as exc:
        if not lenient:
            raise
        problems.append(exc)
        found = ()
    primary = found[0] if found else ImportPackage(layout._module_name(name), directory / "src")
    has_apps = any((p.path / "apps.py").is_file() for p in found if not p.is_module)
    role = override.get("role") or ("library" if has_apps else "tool")
    released = bool(override.get("release", role == "library"))
    public, missing = _public_modules(found, override.get("public-modules", config.public_modules))
    if not ("public-modules" in override or released):
        missing = ()  # the default surface of a member nobody releases: nothing depends on it
    pytest_ini = data.get("tool", {}).get("pytest", {}).get("ini_options", {})
    settings = override.get("django-settings") or pytest_ini.get("DJANGO_SETTINGS_MODULE")
    pythonpath = tuple(
        (directory / p).resolve()
        for p in override.get("pythonpath", pytest_ini.get("pythonpath", []))
    )
    towncrier = data.get("tool", {}).get("towncrier", {})
    return Member(
        name=name,
        path=directory,
        pyproject=pyproject,
        version=version,
        import_name=primary.name,
        package_dir=primary.path,
        role=role,
        requirements=tuple(requirements),
        public_modules=public,
        django_settings=settings,
        pythonpath=pythonpath,
        changelog_dir=directory / towncrier.get("directory", "changelog.d"),
        changelog_file=directory / towncrier.get("filename", "CHANGELOG.md"),
        released=released,
        seed=_member_path(directory, override.get("seed")),
        contract_tests=_member_path(directory, override.get("contract-tests")),
        data=data,
        packages=tuple(found),
        missing_public_modules=missing,
        ignore_paths=tuple(override.get("ignore-paths", config.ignore_paths)),
        tag_format=config.tag_format,
    )


def _project(rel: str, data: Mapping[str, Any]) -> Mapping[str, Any]:
    project = data.get("project")
    if not isinstance(project, dict):
        raise ProjectMetadataError(
            f"{rel} has no [project] table: monorel (and uv, for a workspace member) reads "
            "the name, version and dependencies from it, not from setup.py or setup.cfg",
            fix="move the metadata into [project] (PEP 621: setuptools reads it from there), "
            "or leave the member out of [tool.uv.workspace] (exclude = [...])",
        )
    if not isinstance(project.get("name"), str) or not project["name"]:
        raise ProjectMetadataError(f"{rel}: no [project] name", fix="add [project] name = ...")
    return project


def _version(rel: str, project: Mapping[str, Any]) -> str:
    raw = project.get("version")
    if raw is None:
        dynamic = "version" in project.get("dynamic", [])
        raise ProjectMetadataError(
            f"{rel}: [project] version is "
            + ('computed (dynamic = ["version"])' if dynamic else "missing")
            + ": monorel reads the version there and writes the next one there on release",
            fix='set a static version = "X.Y.Z" in [project]'
            + (' and remove "version" from dynamic' if dynamic else ""),
        )
    try:
        Version(str(raw))
    except InvalidVersion as exc:
        raise InvalidVersionError(
            f"{rel}: [project] version = {_toml(raw)} is not a valid version (PEP 440)",
            fix='set it to a version such as "1.3.0" (monorel bumps it from there)',
        ) from exc
    return str(raw)


def _public_modules(
    packages: Sequence[ImportPackage], configured: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(public, missing): each configured name in each import package where it exists
    (``api`` -> ``billing_app.api``; a dotted name that starts with a package is taken as
    it is), else in the primary package, and listed as missing. A single-module member's
    module is public as a whole.

    The missing ones stay public: a module the last release had and the tree lost is a
    removal for ``monorel semver`` (a major), never a module nobody looks at.
    """
    directories = [p for p in packages if not p.is_module]
    public: list[str] = [p.name for p in packages if p.is_module]
    missing: list[str] = []
    for module in configured:
        first = module.split(".")[0]
        if any(p.name == first for p in directories):
            candidates = [module]
        else:
            candidates = [f"{p.name}.{module}" for p in directories]
        existing = [c for c in candidates if _module_file(c, directories) is not None]
        if not existing:
            missing += candidates[:1]
        public += [c for c in existing or candidates[:1] if c not in public]
    return tuple(public), tuple(missing)


def _module_file(dotted: str, packages: Sequence[ImportPackage]) -> Path | None:
    first, *rest = dotted.split(".")
    package = next((p for p in packages if p.name == first), None)
    if package is None:
        return None
    base = package.path.joinpath(*rest)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if rest and candidate.is_file():
            return candidate
    return package.path / "__init__.py" if not rest else None


def _expected_file(dotted: str, member: Member) -> str:
    first, *rest = dotted.split(".")
    package = member.import_package(first) or member.import_packages[0]
    path = package.path.joinpath(*rest).with_suffix(".py")
    return (
        path.relative_to(member.path).as_posix() if path.is_relative_to(member.path) else str(path)
    )


def _member_path(directory: Path, raw: str | None) -> Path | None:
    """A path from ``[tool.monorel.packages.<name>]``, relative to the member directory."""
    return (directory / raw).resolve() if raw else None


def _matches(rel_path: str, pattern: str) -> bool:
    """``tests/**``, ``tests/`` and ``tests`` all cover everything below tests/."""
    bare = pattern.rstrip("/").removesuffix("/**")
    if "*" not in bare and "?" not in bare and "[" not in bare:
        return rel_path == bare or rel_path.startswith(bare + "/")
    return fnmatch.fnmatchcase(rel_path, pattern)


# what builds leave next to the sources: not part of the layout's cache key
_BUILD_LEFTOVERS = {"build", "dist", "__pycache__", ".venv"}


def _wheel_names(state: Path, directory: Path) -> list[str]:
    """The top-level names of a wheel built from ``directory``, cached in the state dir by
    the build configuration and the names at the top of the member and its src/."""
    from monorel import state_dir
    from monorel.adapters import uv

    digest = hashlib.sha256()
    for name in ("pyproject.toml", "setup.py", "setup.cfg", "MANIFEST.in"):
        path = directory / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b""))
    for base in (directory, directory / "src"):
        if base.is_dir():
            names = sorted(p.name for p in base.iterdir() if p.name not in _BUILD_LEFTOVERS)
            digest.update("\0".join(n for n in names if not n.endswith(".egg-info")).encode())
    key = digest.hexdigest()
    cache = state / "layout" / f"{key}.json"
    if cache.is_file():
        return list(json.loads(cache.read_text(encoding="utf-8")))
    names = uv.wheel_top_level(directory)
    state_dir.ensure(state)
    cache.parent.mkdir(exist_ok=True)
    cache.write_text(json.dumps(names), encoding="utf-8")
    return names
