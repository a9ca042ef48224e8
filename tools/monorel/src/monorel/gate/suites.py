"""The test suites of the gate: each released package's own suite and the suites of its
workspace dependents, run against the installed wheels - never the workspace sources.

One venv serves every suite: the wheels downloaded from the dev index (the very files
that will be promoted), the third-party requirements pinned by ``uv.lock``, and the test
tools (the members' ``[dependency-groups]``, else the workspace root's), made with uv
and kept in ``<state-dir>/gate`` by content (``monorel.rehearsal.venvs``).

- A released member is installed from its wheel. Its suite runs in a copy of the member
  directory without its import package (a flat layout could not import the sources by
  accident), with its own pytest configuration.
- A member that is never released (the host) runs from its source directory, in place,
  as it runs in production: its own code on ``PYTHONPATH``, the packages from the wheels.

Before each suite a probe imports every installed package the way the suite will and
checks it comes from the venv. A suite that collects no tests fails: the gate cannot
prove what it does not run.
"""

from __future__ import annotations

import ast
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from monorel import building
from monorel.adapters import git, python, uv
from monorel.errors import ConsumerCheckFailed
from monorel.rehearsal import venvs
from monorel.workspace import Member, Workspace
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

_COPY_SKIP = (".venv", "dist", "build", "__pycache__", "*.pyc", ".pytest_cache", "*.sqlite3")
# a member without its own test tools (pytest, pytest-django, factory-boy, ...) uses these
_TEST_TOOLS = ("pytest",)


@dataclass(frozen=True)
class Suite:
    member: Member
    from_wheel: bool  # installed from its wheel (released); else it runs from its source
    # where the wheel was built from when that is not the working tree (the member changed
    # since its version's release point): (repository root, commit). Its suite is the one of
    # that commit: the tree's tests may test what is not released yet.
    released_at: tuple[Path, str] | None = None

    @property
    def name(self) -> str:
        return f"suite {self.member.name}" + ("" if self.from_wheel else " (from source)")


def select(ws: Workspace, released: list[str]) -> list[Suite]:
    """The suites of ``released`` and of every member that depends on one of them."""
    wanted = set(released)
    todo = list(released)
    while todo:
        for dependent in ws.dependents(todo.pop()):
            if dependent.name not in wanted:
                wanted.add(dependent.name)
                todo.append(dependent.name)
    # A tool member (``role = "tool"``, monorel itself here) is no Django package: its wheel
    # is installed and imported with the others, its suite runs in its own CI on every change.
    return [
        Suite(m, m.released, _released_at(ws, m) if m.released else None)
        for m in ws.topological_order(sorted(wanted))
        if m.role != "tool"
    ]


def _released_at(ws: Workspace, member: Member) -> tuple[Path, str] | None:
    commit = building.release_source(ws, member).commit
    return None if commit is None else (ws.root, commit)


def requirements(ws: Workspace, suites: list[Suite]) -> tuple[str, ...]:
    """Third-party requirements the suites need besides the wheels' own: the members' own
    dependency groups; for a member without any, the entries of the workspace root's groups
    its tests import or that plug into pytest (the root's linters are not test tools)."""
    found: set[str] = set(_TEST_TOOLS)
    root_groups = _third_party(ws, _group_requirements(ws.data))
    for suite in suites:
        member = suite.member
        own = _third_party(ws, _group_requirements(member.data))
        found.update(own or _used_by(root_groups, _imported_modules(suite)))
        if not suite.from_wheel:  # nothing installs its requirements for it
            found.update(_third_party(ws, [str(r) for r in member.requirements]))
        if member.django_settings and not any(_named(r, "pytest-django") for r in found):
            found.add("pytest-django")
    return tuple(sorted(found))


def make_venv(ws: Workspace, wheels: list[Path], needs: tuple[str, ...]) -> Path:
    """The suites' venv (its directory): ``wheels`` plus ``needs``, pinned by uv.lock."""
    constraints = uv.export_constraints(ws.root) if (ws.root / "uv.lock").is_file() else ""
    spec = venvs.VenvSpec(
        python=sys.executable,
        wheels=tuple(wheels),
        requirements=needs,
        constraints=constraints,
    )
    return venvs.ensure(spec, ws.state_dir / "gate").parent.parent


def run(suite: Suite, *, venv: Path, workdir: Path, installed: Mapping[str, str]) -> python.TestRun:
    """Run ``suite`` with pytest from ``venv``.

    ``installed``: import name -> distribution of every package installed from a wheel;
    each must import from the venv (``ConsumerCheckFailed`` otherwise).
    """
    member = suite.member
    run_dir = _run_dir(suite, workdir)
    config = run_dir / "pyproject.toml"
    if not _pytest_options(member):
        config = workdir / f"{member.name}-pytest.ini"
        config.write_text("[pytest]\n", encoding="utf-8")  # not the workspace root's config
    paths = [
        run_dir / p
        for p in _pytest_options(member).get("testpaths", ["tests"])
        if (run_dir / p).exists()
    ]
    if not paths:
        return python.TestRun(5, "", f"collected no tests (no {member.name}/tests directory)")
    env = {"PYTHONPATH": os.pathsep.join(str(p) for p in _pythonpath(suite, run_dir))}
    _check_imports(venv, run_dir, env, installed)
    args: list[str | os.PathLike[str]] = [
        "-q",
        "-p",
        "no:cacheprovider",
        "-c",
        config,
        "--rootdir",
        run_dir,
        "--confcutdir",
        run_dir,
    ]
    if member.django_settings:
        args += ["--ds", member.django_settings]
    return python.run_pytest(venv, [*args, *paths], cwd=run_dir, env=env)


def _run_dir(suite: Suite, workdir: Path) -> Path:
    member = suite.member
    if not suite.from_wheel:
        return member.path
    target = workdir / member.name
    skip = shutil.ignore_patterns(*_COPY_SKIP)
    package = member.package_dir.resolve()
    source = member.path
    if suite.released_at is not None:  # the suite as released, beside the wheel built there
        root, commit = suite.released_at
        rel = member.path.relative_to(root).as_posix()
        source = git.export_tree(root, commit, rel, workdir / f"{member.name}-release-point")
        package = (source / member.package_dir.relative_to(member.path)).resolve()

    def ignore(directory: str, names: list[str]) -> set[str]:
        left_out = set(skip(directory, names))
        if Path(directory).resolve() == package.parent:
            left_out.add(package.name)  # the sources: the wheel is what is tested
        return left_out

    shutil.copytree(source, target, ignore=ignore)
    return target


def _pythonpath(suite: Suite, run_dir: Path) -> list[Path]:
    member = suite.member
    paths = [run_dir / p.relative_to(member.path) for p in member.pythonpath if _inside(p, member)]
    paths += [p for p in member.pythonpath if not _inside(p, member)]
    if not suite.from_wheel:
        paths.append(member.package_dir.parent)
    return paths


def _check_imports(venv: Path, run_dir: Path, env: dict[str, str], installed: Mapping) -> None:
    modules = sorted(installed)
    code = "import importlib\nfor m in %r:\n    print(m, importlib.import_module(m).__file__)"
    out = python.run_in(
        venv,
        ["-c", code % modules],
        cwd=run_dir,
        env=env,
        fix="the suites' venv lacks an installed package: read the output above",
    )
    outside = []
    for line in out.splitlines():
        module, _, path = line.partition(" ")
        if not Path(path).resolve().is_relative_to(venv.resolve()):
            outside.append(f"{module} from {path}")
    if outside:
        raise ConsumerCheckFailed(
            f"the suite would test the workspace's code, not the wheels: {', '.join(outside)}",
            fix="the packages must import from the installed wheels only",
        )


def _imported_modules(suite: Suite) -> set[str]:
    """Top-level modules that the suite's test files import (read with ``ast``)."""
    member = suite.member
    names: set[str] = set()
    for root in [member.path / p for p in _pytest_options(member).get("testpaths", ["tests"])]:
        for path in [*root.rglob("*.py"), member.path / "conftest.py"]:
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, UnicodeDecodeError):
                continue  # pytest names a test file it cannot import; conftest may not exist
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module.split(".")[0])
    return names


def _used_by(candidates: list[str], modules: set[str]) -> list[str]:
    """The ``candidates`` whose distribution (as installed here) provides one of ``modules``
    or is a pytest plugin; one this environment does not have is kept (it cannot tell)."""
    providers = metadata.packages_distributions()
    provided = {canonicalize_name(d) for m in modules for d in providers.get(m, [])}
    kept = []
    for text in candidates:
        name = canonicalize_name(Requirement(text).name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            kept.append(text)
            continue
        plugin = any(ep.group == "pytest11" for ep in dist.entry_points)
        if plugin or name in provided or name in _TEST_TOOLS:
            kept.append(text)
    return kept


def _pytest_options(member: Member) -> dict:
    return dict(member.data.get("tool", {}).get("pytest", {}).get("ini_options", {}))


def _group_requirements(data: Mapping) -> list[str]:
    """Every requirement string of every ``[dependency-groups]`` group (includes followed)."""
    groups = data.get("dependency-groups", {})
    found: list[str] = []

    def add(name: str, seen: tuple[str, ...]) -> None:
        for entry in groups.get(name, []):
            if isinstance(entry, str):
                found.append(entry)
            elif isinstance(entry, dict) and entry.get("include-group") not in seen:
                add(entry["include-group"], (*seen, entry["include-group"]))

    for group in groups:
        add(group, (group,))
    return found


def _third_party(ws: Workspace, raw: list[str]) -> list[str]:
    kept = []
    for text in raw:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue  # uv reports it when the venv is made, if anything needs it
        if canonicalize_name(requirement.name) not in ws.members:
            kept.append(text)
    return kept


def _named(text: str, name: str) -> bool:
    try:
        return canonicalize_name(Requirement(text).name) == name
    except InvalidRequirement:
        return False


def _inside(path: Path, member: Member) -> bool:
    return path.resolve().is_relative_to(member.path.resolve())
