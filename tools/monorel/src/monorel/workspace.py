"""The workspace model: read once from the uv workspace root, handed to every command.

It knows the members (from ``[tool.uv.workspace]``), their versions, declared
dependencies, import packages, Django settings for their own tests, and the
``[tool.monorel]`` configuration. It does not run tools; the adapters do.
"""

from __future__ import annotations

import glob
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from monorel.errors import ConfigError
from monorel.wheel_checks import CHECKS as WHEEL_CHECKS

if TYPE_CHECKING:
    from monorel.release_points import ReleaseIndex

Role = Literal["library", "host", "tool"]
_ROLES: tuple[Role, ...] = ("library", "host", "tool")
DEFAULT_STATE_DIR = ".monorel"


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
        return f"{self.name}-v"

    def tag(self, version: str | None = None) -> str:
        return f"{self.tag_prefix}{version or self.version}"

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
    # what `monorel build` also requires of each released wheel (monorel.wheel_checks)
    wheel_checks: tuple[str, ...] = ()
    # [tool.monorel.migration-operations] as written; validated by monorel.semver.operation_table
    migration_operations: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Workspace:
    root: Path
    config: Config
    members: dict[str, Member]  # by canonical name, in pyproject discovery order

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
        for m in self.members.values():
            if m.import_name == import_name:
                return m
        return None

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


def load(start: Path) -> Workspace:
    root = find_root(start)
    data = _read_toml(root / "pyproject.toml")
    config, package_overrides = _read_config(root, data.get("tool", {}).get("monorel", {}))
    ws = data["tool"]["uv"]["workspace"]
    member_dirs = _expand(root, ws.get("members", []), ws.get("exclude", []))
    members: dict[str, Member] = {}
    for directory in member_dirs:
        member = _read_member(root, directory, config, package_overrides)
        members[member.name] = member
    unknown = set(package_overrides) - set(members)
    if unknown:
        raise ConfigError(
            f"[tool.monorel.packages] names unknown members: {', '.join(sorted(unknown))}",
            fix=f"use member names from the workspace: {', '.join(sorted(members))}",
        )
    return Workspace(root=root, config=config, members=members)


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", fix="fix the TOML syntax") from exc


def _read_config(root: Path, raw: dict) -> tuple[Config, dict[str, dict]]:
    known = {
        "org",
        "public-modules",
        "indexes",
        "state-dir",
        "host-pins",
        "packages",
        "wheel-checks",
        "migration-operations",
    }
    extra = set(raw) - known
    if extra:
        raise ConfigError(
            f"{root / 'pyproject.toml'}: unknown [tool.monorel] keys: {', '.join(sorted(extra))}",
            fix=f"use only: {', '.join(sorted(known))}",
        )
    host_pins = raw.get("host-pins", "current")
    if host_pins not in ("current", "released"):
        raise ConfigError(
            f"[tool.monorel] host-pins = {host_pins!r} is not valid",
            fix='set host-pins to "current" or "released"',
        )
    wheel_checks = tuple(raw.get("wheel-checks", []))
    unknown_checks = [c for c in wheel_checks if c not in WHEEL_CHECKS]
    if unknown_checks:
        raise ConfigError(
            f"[tool.monorel] wheel-checks names unknown checks: {', '.join(unknown_checks)}",
            fix=f"use only: {', '.join(WHEEL_CHECKS)}",
        )
    config = Config(
        org=raw.get("org", "acme"),
        public_modules=tuple(raw.get("public-modules", ["api"])),
        indexes=dict(raw.get("indexes", {})),
        state_dir=raw.get("state-dir", DEFAULT_STATE_DIR),
        host_pins=host_pins,
        wheel_checks=wheel_checks,
        migration_operations=raw.get("migration-operations", {}),
    )
    packages = {canonicalize_name(k): v for k, v in raw.get("packages", {}).items()}
    return config, packages


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


def _read_member(root: Path, directory: Path, config: Config, overrides: dict[str, dict]) -> Member:
    pyproject = directory / "pyproject.toml"
    data = _read_toml(pyproject)
    project = data.get("project")
    if not project or "name" not in project:
        raise ConfigError(f"{pyproject}: no [project] name", fix="add [project] name = ...")
    name = canonicalize_name(project["name"])
    if "version" not in project:
        raise ConfigError(
            f"{pyproject}: no static [project] version",
            fix='set version = "X.Y.Z" in [project]; monorel bumps it on release',
        )
    requirements = []
    for raw in project.get("dependencies", []):
        try:
            requirements.append(Requirement(raw))
        except InvalidRequirement as exc:
            raise ConfigError(
                f"{pyproject}: invalid dependency {raw!r}: {exc}", fix="fix the requirement"
            ) from exc
    override = overrides.get(name, {})
    import_name, package_dir = _import_package(directory, data, name)
    role = override.get("role") or ("library" if (package_dir / "apps.py").is_file() else "tool")
    if role not in _ROLES:
        raise ConfigError(
            f"[tool.monorel.packages.{name}] role = {role!r} is not valid",
            fix=f"use one of: {', '.join(_ROLES)}",
        )
    public = tuple(
        f"{import_name}.{m}" for m in override.get("public-modules", config.public_modules)
    )
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
        version=str(project["version"]),
        import_name=import_name,
        package_dir=package_dir,
        role=role,
        requirements=tuple(requirements),
        public_modules=public,
        django_settings=settings,
        pythonpath=pythonpath,
        changelog_dir=directory / towncrier.get("directory", "changelog.d"),
        changelog_file=directory / towncrier.get("filename", "CHANGELOG.md"),
        released=bool(override.get("release", role == "library")),
        seed=_member_path(directory, override.get("seed")),
        contract_tests=_member_path(directory, override.get("contract-tests")),
        data=data,
    )


def _member_path(directory: Path, raw: str | None) -> Path | None:
    """A path from ``[tool.monorel.packages.<name>]``, relative to the member directory."""
    return (directory / raw).resolve() if raw else None


def _import_package(directory: Path, data: dict, name: str) -> tuple[str, Path]:
    """The import package: hatch's wheel ``packages`` if given, else src/<name_with_underscores>."""
    hatch = data.get("tool", {}).get("hatch", {}).get("build", {}).get("targets", {})
    packages = hatch.get("wheel", {}).get("packages") or []
    if packages:
        package_dir = (directory / packages[0]).resolve()
    else:
        guess = re.sub(r"[-.]+", "_", name)
        package_dir = next(
            (p for p in (directory / "src" / guess, directory / guess) if p.is_dir()),
            directory / "src" / guess,
        )
    return package_dir.name, package_dir
