"""`monorel init`: what an existing uv workspace needs to be released by monorel.

``plan(ws)`` detects each member's role (a library has Django apps, a host has Django
settings with ``INSTALLED_APPS`` or a ``manage.py``, anything else is a tool), its Django
apps and settings, and what other members import of a library without an ``api`` module;
then lists what it would write:

- ``[tool.monorel]`` in the root pyproject.toml (org, public modules, tag format) and a
  ``[tool.monorel.packages.<name>]`` table per member (role, host settings, contract
  tests, a library's public modules where it has no ``api``), appended: the file's own
  text is kept byte for byte;
- for each released member: ``[tool.towncrier]`` (CHANGELOG.md, changelog.d/, monorel's
  fragment types, skip fragments ignored), ``changelog.d/.gitkeep``, ``CHANGELOG.md``,
  and a ``+monorel-init.skip.md`` fragment (the set-up itself releases nothing);
- the CI workflows (``.github/workflows/monorel.yml``, ``monorel-release.yml``) and a
  pre-commit hook, where there are none.

Nothing a user wrote is overwritten: an existing file is appended to (and the plan says
so) or kept (and the plan says why). ``apply`` writes all of it or, when any write fails,
puts every file back as it was. A second run finds nothing to do.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from packaging.utils import canonicalize_name

from monorel import bumps, tags
from monorel import init_templates as templates
from monorel.adapters import grimp_
from monorel.checks.django_apps import discover
from monorel.errors import InitConflict
from monorel.workspace import Member, Workspace

INIT_FRAGMENT = "+monorel-init.skip.md"
CHANGELOG_START = "<!-- towncrier release notes start -->"
# the fragment types init configures, strongest first, with towncrier's section names
FRAGMENT_SECTIONS = (
    ("breaking", "Breaking changes"),
    ("feature", "Features"),
    ("migration", "Migrations"),
    ("bugfix", "Bug fixes"),
    ("doc", "Documentation"),
    ("misc", "Miscellaneous"),
)
_SETTINGS_MODULE = re.compile(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""")


@dataclass(frozen=True)
class Write:
    path: Path
    action: Literal["create", "append"]
    what: str
    text: str  # the whole new file (create) or what is appended (append)


@dataclass(frozen=True)
class Kept:
    path: Path
    why: str


@dataclass(frozen=True)
class Detected:
    name: str
    role: str
    released: bool
    apps: tuple[str, ...]
    settings: str | None
    public: str  # how its public surface was decided


@dataclass
class InitPlan:
    root: Path
    detected: list[Detected] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Member:
    """What init decided for one member."""

    member: Member
    role: str
    released: bool
    settings: str | None  # a host's settings module, found by init
    public: tuple[str, ...] | None  # None: the default ["api"]
    contract_tests: str | None
    seed: str | None  # a host's seed fixture, member-relative


def plan(ws: Workspace, *, org: str, ci: bool = True, pre_commit: bool = True) -> InitPlan:
    result = InitPlan(ws.root)
    result.notes += [f"{problem.message} (fix: {problem.fix})" for problem in ws.problems]
    configured = ws.root / "pyproject.toml"
    root_data = tomllib.loads(configured.read_text(encoding="utf-8"))
    monorel_table = root_data.get("tool", {}).get("monorel")
    packages_table = (monorel_table or {}).get("packages", {})
    decided = [_decide(ws, m, packages_table) for m in ws.topological_order()]
    for d in decided:
        apps = tuple(app.label for app in discover(d.member))
        public = "api" if d.public is None else ", ".join(d.public) or "none (nothing imports it)"
        result.detected.append(
            Detected(d.member.name, d.role, d.released, apps, d.settings, public)
        )
    _root_config(result, configured, monorel_table, packages_table, decided, org)
    for d in decided:
        if d.released:
            _release_files(result, ws, d.member)
        if d.role == "library" and not d.member.django_settings and discover(d.member):
            result.notes.append(
                f"{d.member.name}: its Django apps have no test settings, so `monorel check` "
                "cannot run makemigrations for them: set DJANGO_SETTINGS_MODULE in its "
                f"[tool.pytest.ini_options], or django-settings in [tool.monorel.packages."
                f"{d.member.name}]"
            )
        if d.role == "host" and d.seed is None and d.member.name not in packages_table:
            result.notes.append(
                f"{d.member.name}: no fixtures/seed.json, so `monorel rehearse` and the release "
                "gate's rehearsals have no data of the host's to upgrade: dump one (manage.py "
                f"dumpdata) and set seed in [tool.monorel.packages.{d.member.name}]"
            )
    if ci:
        _workflows(result, ws)
    if pre_commit:
        _pre_commit(result, ws)
    return result


def apply(result: InitPlan) -> None:
    """Write every file of the plan, or none: a failed write puts back what was written."""
    done: list[tuple[Path, bytes | None]] = []
    try:
        for write in result.writes:
            before = write.path.read_bytes() if write.path.exists() else None
            if write.action == "create" and before is not None:
                raise InitConflict(
                    f"{write.path} appeared since the plan was made",
                    fix="run `monorel init` again to see the plan",
                )
            data = (before or b"") + write.text.encode("utf-8")
            write.path.parent.mkdir(parents=True, exist_ok=True)
            done.append((write.path, before))
            fd, tmp = tempfile.mkstemp(prefix=f".{write.path.name}.", dir=write.path.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, write.path)
    except BaseException:
        for path, before in reversed(done):
            if before is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(before)
        raise


# -- what each member is ------------------------------------------------------------------


def _decide(ws: Workspace, member: Member, packages_table: dict) -> _Member:
    table = packages_table.get(member.name, {})
    settings = _host_settings(member)
    apps = discover(member)
    role = table.get("role") or ("host" if settings else "library" if apps else "tool")
    released = bool(table.get("release", role == "library"))
    public: tuple[str, ...] | None = None
    if role == "library" and "public-modules" not in table:
        has_api = any(member.module_file(f"{p.name}.api") for p in member.import_packages)
        if not has_api:
            public = _imported_modules(ws, member)
    contracts = member.path / "tests" / "contracts"
    return _Member(
        member=member,
        role=role,
        released=released,
        settings=settings if role == "host" else None,
        public=public,
        contract_tests="tests/contracts" if role == "host" and contracts.is_dir() else None,
        seed=_seed(member) if role == "host" else None,
    )


def _seed(member: Member) -> str | None:
    """The host's ``fixtures/seed.json`` (in one of its packages, or the member directory):
    what `monorel rehearse`, and the gate's rehearsals, load into the old releases."""
    places = [p.path for p in member.import_packages if not p.is_module] + [member.path]
    for place in places:
        seed = place / "fixtures" / "seed.json"
        if seed.is_file():
            return seed.relative_to(member.path).as_posix()
    return None


def _host_settings(member: Member) -> str | None:
    """The member's own Django project settings module, where it has one."""
    manage = member.path / "manage.py"
    if manage.is_file():
        found = _SETTINGS_MODULE.search(manage.read_text(encoding="utf-8", errors="replace"))
        if found:
            return found.group(1)
    for package in member.import_packages:
        if package.is_module:
            continue
        for candidate in (package.path / "settings.py", package.path / "settings" / "__init__.py"):
            if candidate.is_file():
                text = candidate.read_text(encoding="utf-8", errors="replace")
                if "INSTALLED_APPS" in text:
                    rel = candidate.relative_to(package.root).with_suffix("")
                    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
                    return ".".join(parts)
    return None


def _imported_modules(ws: Workspace, library: Member) -> tuple[str, ...]:
    """The modules of ``library`` other members import today (``models``, ``utils``)."""
    found = grimp_.direct_imports(ws.import_package_paths())
    if isinstance(found, grimp_.UnparsableModule):
        return ()
    used = set()
    for imp in found:
        importer = ws.by_import_name(imp.importer.split(".")[0])
        top, _, rest = imp.imported.partition(".")
        if importer is None or importer.name == library.name or not rest:
            continue
        if library.import_package(top) is not None:
            used.add(rest.split(".")[0])
    return tuple(sorted(used))


# -- the root configuration ---------------------------------------------------------------


def _root_config(
    result: InitPlan,
    pyproject: Path,
    monorel_table: dict | None,
    packages_table: dict,
    decided: Sequence[_Member],
    org: str,
) -> None:
    text = ""
    if monorel_table is None:
        text += (
            "\n[tool.monorel]\n"
            "# written by `monorel init`: the keys are explained in docs/adopting.md\n"
            f"org = {_quote(org)}  # devpi user; indexes {org}/dev and {org}/stable\n"
            'public-modules = ["api"]  # what other members may import of a library\n'
            f"tag-format = {_quote(tags.DEFAULT_FORMAT)}\n"
        )
    elif packages_table and not isinstance(packages_table, dict):
        raise InitConflict(
            f"{pyproject}: [tool.monorel] packages is not a table",
            fix="write it as [tool.monorel.packages.<name>] tables",
        )
    added = []
    for d in decided:
        if d.member.name in packages_table or _key_spelled(packages_table, d.member.name):
            result.kept.append(
                Kept(pyproject, f"[tool.monorel.packages.{d.member.name}] exists: kept as it is")
            )
            continue
        lines = []
        if d.released and d.role != "library":
            lines.append("release = true")
        if d.settings:
            lines.append(f"django-settings = {_quote(d.settings)}")
        if d.contract_tests:
            lines.append(f"contract-tests = {_quote(d.contract_tests)}")
        if d.seed:
            lines.append(f"seed = {_quote(d.seed)}")
        if d.public is not None:
            lines.append(
                "# no api module: what other members import today; narrow it to one module"
            )
            lines.append("public-modules = [" + ", ".join(_quote(m) for m in d.public) + "]")
        if monorel_table is not None and not lines and d.role == d.member.role:
            continue  # configured already, and monorel infers the same: nothing to add
        header = [f"\n[tool.monorel.packages.{d.member.name}]", f"role = {_quote(d.role)}"]
        text += "\n".join(header + lines) + "\n"
        added.append(d.member.name)
    if not text:
        return
    what = ("[tool.monorel], " if monorel_table is None else "") + (
        f"[tool.monorel.packages.*] for {', '.join(added)}" if added else ""
    )
    _check_toml(pyproject, text)
    result.writes.append(Write(pyproject, "append", f"adds {what.rstrip(', ')}", text))


def _key_spelled(table: dict, name: str) -> bool:
    return any(canonicalize_name(k) == name for k in table)


# -- what a released member needs ---------------------------------------------------------


def _release_files(result: InitPlan, ws: Workspace, member: Member) -> None:
    writes: list[Write] = []
    towncrier = member.towncrier
    if not towncrier:
        text = _towncrier_table()
        _check_toml(member.pyproject, text)
        what = "adds [tool.towncrier] (CHANGELOG.md, changelog.d/)"
        writes.append(Write(member.pyproject, "append", what, text))
        changelog_dir = member.path / "changelog.d"
        changelog = member.path / "CHANGELOG.md"
    else:
        result.kept.append(Kept(member.pyproject, "[tool.towncrier] exists: kept as it is"))
        changelog_dir, changelog = member.changelog_dir, member.changelog_file
        skip = "*.skip.md"
        if "ignore" in towncrier and skip not in towncrier["ignore"]:
            result.notes.append(
                f"{member.name}: add {skip!r} to [tool.towncrier] ignore, or towncrier stops "
                "on skip fragments (its ignore list makes it strict)"
            )
    if not changelog_dir.is_dir():
        writes.append(Write(changelog_dir / ".gitkeep", "create", "the fragment directory", ""))
    if not changelog.exists():
        text = f"# Changelog of {member.name}\n\n{CHANGELOG_START}\n"
        writes.append(Write(changelog, "create", "the changelog towncrier writes to", text))
    elif CHANGELOG_START not in changelog.read_text(encoding="utf-8", errors="replace"):
        result.kept.append(
            Kept(
                changelog,
                f"has no {CHANGELOG_START} marker: towncrier puts new sections at the top; "
                "add the marker where they belong",
            )
        )
    fragment = changelog_dir / INIT_FRAGMENT
    if writes and not fragment.exists():
        # the set-up changes the member's files, and a change needs a fragment: this one
        # says it releases nothing
        text = "monorel init set up the release configuration; nothing to release.\n"
        what = "a skip fragment: setting up releases releases nothing"
        writes.append(Write(fragment, "create", what, text))
    result.writes += writes


def _towncrier_table() -> str:
    types = "".join(
        f'\n[[tool.towncrier.type]]\ndirectory = "{kind}"\nname = "{name}"\nshowcontent = true\n'
        for kind, name in FRAGMENT_SECTIONS
        if kind in bumps.FRAGMENT_BUMPS
    )
    return (
        "\n[tool.towncrier]\n"
        "# written by `monorel init`: monorel passes the name and version itself\n"
        'filename = "CHANGELOG.md"\n'
        'directory = "changelog.d"\n'
        'title_format = "## {version} ({project_date})"\n'
        'issue_format = "#{issue}"\n'
        f'start_string = "{CHANGELOG_START}\\n"\n'
        'underlines = ["", "", ""]\n'
        "# `+<slug>.skip.md` records a change that releases nothing: monorel's, not towncrier's\n"
        'ignore = ["*.skip.md"]\n' + types
    )


# -- CI and pre-commit --------------------------------------------------------------------


def _workflows(result: InitPlan, ws: Workspace) -> None:
    directory = ws.root / ".github" / "workflows"
    glob = ws.config.tag_format.workflow_glob()
    existing = sorted(directory.glob("*.y*ml")) if directory.is_dir() else []
    running = [p for p in existing if "monorel " in p.read_text(encoding="utf-8", errors="replace")]
    if running:
        names = ", ".join(p.name for p in running)
        result.kept.append(Kept(directory, f"workflows already run monorel ({names})"))
        return
    for name, text in (
        ("monorel.yml", templates.CI_WORKFLOW),
        ("monorel-release.yml", templates.RELEASE_WORKFLOW.replace("@TAG_GLOB@", glob)),
    ):
        path = directory / name
        if path.exists():
            result.kept.append(Kept(path, "exists: not overwritten"))
        else:
            result.writes.append(Write(path, "create", "GitHub workflow", text))


def _pre_commit(result: InitPlan, ws: Workspace) -> None:
    path = ws.root / ".pre-commit-config.yaml"
    if not path.exists():
        result.writes.append(
            Write(
                path,
                "create",
                "pre-commit hook: monorel check",
                "repos:\n" + templates.PRE_COMMIT_HOOK,
            )
        )
    elif "monorel check" in path.read_text(encoding="utf-8", errors="replace"):
        result.kept.append(Kept(path, "already runs monorel check"))
    else:
        result.kept.append(Kept(path, "exists: not changed"))
        result.notes.append(
            f"add this hook under repos: in {path.name}:\n" + templates.PRE_COMMIT_HOOK.rstrip()
        )


# -- helpers ------------------------------------------------------------------------------


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check_toml(path: Path, appended: str) -> None:
    """The file with ``appended`` must still be valid TOML: else init writes nothing."""
    try:
        tomllib.loads(path.read_text(encoding="utf-8") + appended)
    except tomllib.TOMLDecodeError as exc:
        raise InitConflict(
            f"{path}: appending monorel's configuration would make it invalid TOML ({exc})",
            fix="add the tables by hand (see `monorel init` for what it would write)",
        ) from exc


def default_org(root: Path) -> str:
    """A devpi user name from the repository directory (``Acme Shop`` -> ``acme-shop``)."""
    return re.sub(r"[^a-z0-9]+", "-", root.name.lower()).strip("-") or "acme"
