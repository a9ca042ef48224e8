"""`monorel rehearse PKG`: upgrade a deployment from each earlier release to the current code.

For every chosen earlier release of PKG, one leg (see ``monorel.rehearsal.legs``):
old wheel + the host's other pins in a fresh venv, migrate a fresh database, load the
host's seed and rows generated from the old models, snapshot them, switch to the current
wheel, migrate, check the plan is empty and no migration is missing, then the four
proofs about that leg's upgraded database: its schema equals a fresh install's, the data
survived (or changed as the fragments declare), the host's contract tests pass on it,
and the old release's contract tests pass on it (expected to fail for a major).
Legs run in parallel; the result is a matrix (and JUnit XML with ``--junit``).
Exit 0 when every leg passes, 1 when any fails, 2 when history is missing (MR040).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from monorel import indexes, target_env
from monorel.adapters import devpi, git, uv
from monorel.errors import EXIT_FINDINGS, EXIT_OK, ConfigError, UsageError
from monorel.rehearsal import declarations, matrix, old_release, venvs, wheels
from monorel.rehearsal.databases import open_databases
from monorel.rehearsal.legs import Deployment, FreshSchema, Leg
from monorel.release_points import ReleasePoint
from monorel.workspace import Member, Workspace

HELP = "rehearse upgrading a deployment from earlier releases of a package to the current code"

# what every rehearsal venv gets besides our wheels, to run the host's contract tests
_TEST_REQUIREMENTS = ("pytest", "pytest-django")


@dataclass(frozen=True)
class EarlierRelease:
    version: str
    point: ReleasePoint | None  # None: only the index has it


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("package", help="workspace member to rehearse, e.g. billing-app")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--from",
        dest="from_versions",
        nargs="+",
        action="extend",
        metavar="V",
        help="earlier version(s) to upgrade from (default: the latest earlier release)",
    )
    which.add_argument(
        "--all-previous", action="store_true", help="upgrade from every earlier release"
    )
    parser.add_argument(
        "--db",
        default="sqlite",
        metavar="sqlite|postgres|URL",
        help="sqlite (a file per leg, default), postgres (an ephemeral cluster) or the "
        "postgres:// URL of an existing server (a database per leg, dropped after)",
    )
    parser.add_argument(
        "--jobs", type=int, default=2, metavar="N", help="legs in parallel (default 2)"
    )
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    parser.add_argument(
        "--index",
        metavar="NAME|URL",
        help="take old wheels from this index ([tool.monorel.indexes] name or URL) where it "
        "has them; otherwise they are built from the release point in git",
    )
    parser.add_argument(
        "--host", metavar="MEMBER", help="the host to deploy with (default: the one host using PKG)"
    )
    parser.add_argument(
        "--list-versions",
        action="store_true",
        help="print the earlier releases (e.g. for a CI matrix) and exit",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="where wheels and venvs are kept between runs (default: <state-dir>/rehearse)",
    )
    parser.add_argument(
        "--python",
        default=None,
        help="interpreter for the rehearsal venvs (default: the workspace environment's, "
        "else the one running monorel)",
    )
    parser.add_argument("--timings", action="store_true", help="also print each leg's step timings")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="install third-party packages from uv's cache only",
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    member = ws.member(args.package)
    index_url = _index_url(ws, args.index)
    earlier = earlier_releases(ws, member, index_url=index_url)
    if args.list_versions:
        versions = [r.version for r in earlier]
        print(json.dumps(versions) if args.format == "json" else "\n".join(versions))
        return EXIT_OK
    chosen = _choose(member, earlier, args.from_versions, args.all_previous)
    if not chosen:
        print(f"{member.name} {member.version}: no earlier release to rehearse from")
        return EXIT_OK
    if args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs} is not a positive number", fix="use --jobs 1 or more")
    host = _host(ws, member, args.host)
    deployment = _deployment(ws, host)
    installs = _Installs(
        ws,
        member,
        host,
        cache_dir=(args.cache_dir or ws.state_dir / "rehearse").resolve(),
        python=args.python or target_env.python(ws.root),
        index_url=index_url,
        offline=args.offline,
    )
    databases = open_databases(args.db)
    work_root = Path(tempfile.mkdtemp(prefix="monorel-rehearse-"))
    # the reference schema is the same for every leg: migrate it while the legs set up
    fresh = matrix.Once(
        FreshSchema(deployment, databases, installs.new_python, work_root / "fresh").read
    )
    reference = threading.Thread(target=_ignoring_errors(fresh), name="fresh-install")
    reference.start()
    try:
        legs = [
            Leg(
                package=member.name,
                from_version=release.version,
                to_version=member.version,
                old_python=functools.partial(installs.old_python, release),
                new_python=installs.new_python,
                fresh_schema=fresh,
                databases=databases,
                deployment=deployment,
                work_dir=work_root / f"from-{release.version}",
                seed=old_release.seed(
                    ws, host, release.version, release.point, work_root / f"seed-{release.version}"
                ),
                old_contracts=old_release.contract_tests(
                    ws,
                    host,
                    release.version,
                    release.point,
                    work_root / f"contracts-{release.version}",
                ),
                declared=declarations.for_leg(member, release.version),
            )
            for release in chosen
        ]
        results = matrix.run_legs(legs, args.jobs)
    finally:
        reference.join()
        databases.close()
        shutil.rmtree(work_root, ignore_errors=True)
    title = (
        f"rehearse {member.name} -> {member.version} as in the working tree "
        f"(host {host.name}, db {databases.kind}, jobs {args.jobs})"
    )
    print(matrix.render(results, title=title, steps=args.timings))
    if args.junit:
        matrix.write_junit(results, args.junit, suite=f"monorel.rehearse.{member.name}")
    return EXIT_OK if all(r.ok for r in results) else EXIT_FINDINGS


class _Installs:
    """The venvs of a rehearsal: one per old release, one for the current code (shared).

    Both hold the host's other pins (current workspace wheels, built once) and its
    third-party requirements, pinned by ``uv.lock`` where the workspace has one.
    """

    def __init__(
        self,
        ws: Workspace,
        member: Member,
        host: Member,
        *,
        cache_dir: Path,
        python: str,
        index_url: str | None,
        offline: bool,
    ) -> None:
        self._ws = ws
        self._member = member
        self._cache_dir = cache_dir
        self._python = python
        self._index_url = index_url
        self._offline = offline
        self._requirements = (*_third_party(ws, host), *_TEST_REQUIREMENTS)
        self._constraints = matrix.Once(
            lambda: uv.export_constraints(ws.root) if (ws.root / "uv.lock").is_file() else ""
        )
        others = _other_members(ws, host, member)
        self._other_wheels = matrix.Once(
            lambda: tuple(wheels.current_wheel(m, cache_dir, offline=offline) for m in others)
        )
        self.new_python = matrix.Once(
            lambda: self._venv(wheels.current_wheel(member, cache_dir, offline=offline))
        )

    def old_python(self, release: EarlierRelease) -> Path:
        wheel = wheels.released_wheel(
            self._ws,
            self._member,
            release.version,
            release.point,
            self._cache_dir,
            index_url=self._index_url,
            offline=self._offline,
        )
        return self._venv(wheel)

    def _venv(self, own_wheel: Path) -> Path:
        spec = venvs.VenvSpec(
            python=self._python,
            wheels=(*self._other_wheels(), own_wheel),
            requirements=self._requirements,
            constraints=self._constraints(),
            offline=self._offline,
        )
        return venvs.ensure(spec, self._cache_dir)


def earlier_releases(
    ws: Workspace, member: Member, *, index_url: str | None = None
) -> list[EarlierRelease]:
    """Releases before the current code, oldest first.

    Versions below the current one, plus the current version's own release point when the
    member changed since then (unreleased work under an unchanged version number).
    With an index, versions only the index has count too.
    """
    current = Version(member.version)
    found: dict[str, EarlierRelease] = {}
    for point in ws.release_index.released_versions(member):
        version = _parse(point.version)
        if version is None or version > current:
            continue
        if version == current and not _changed_since(ws, member, point):
            continue
        found[point.version] = EarlierRelease(point.version, point)
    if index_url:
        for raw in devpi.released_versions(index_url, member.name):
            version = _parse(raw)
            if version is not None and version < current and raw not in found:
                found[raw] = EarlierRelease(raw, None)
    return sorted(found.values(), key=lambda r: Version(r.version))


def _choose(
    member: Member,
    earlier: list[EarlierRelease],
    wanted: list[str] | None,
    all_previous: bool,
) -> list[EarlierRelease]:
    if all_previous:
        return earlier
    if not wanted:
        return earlier[-1:]
    by_version = {Version(r.version): r for r in earlier}
    chosen = []
    for raw in wanted:
        release = by_version.get(_parse(raw)) if _parse(raw) else None
        if release is None:
            known = ", ".join(r.version for r in earlier) or "none"
            raise UsageError(
                f"{member.name} has no earlier release {raw}",
                fix=f"choose from: {known} (monorel rehearse {member.name} --list-versions)",
            )
        if release not in chosen:
            chosen.append(release)
    return chosen


def _ignoring_errors(action: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        # the Once keeps the error: each leg that needs the result reports it
        with contextlib.suppress(Exception):
            action()

    return run


def _host(ws: Workspace, member: Member, name: str | None) -> Member:
    if name is not None:
        host = ws.member(name)
        if member.name not in _closure(ws, host):
            raise UsageError(
                f"host {host.name} does not depend on {member.name}",
                fix="choose a host that has it among its (transitive) workspace dependencies",
            )
        return host
    hosts = [m for m in ws.members.values() if m.role == "host" and member.name in _closure(ws, m)]
    if not hosts:
        raise ConfigError(
            f"no host member depends on {member.name}: nothing to deploy it in",
            fix='set role = "host" in [tool.monorel.packages.<member>] of the Django project',
        )
    if len(hosts) > 1:
        raise UsageError(
            f"{member.name} is used by several hosts: {', '.join(h.name for h in hosts)}",
            fix="choose one with --host",
        )
    return hosts[0]


def _deployment(ws: Workspace, host: Member) -> Deployment:
    section = f"[tool.monorel.packages.{host.name}]"
    if not host.django_settings:
        raise ConfigError(
            f"host {host.name} names no Django settings module",
            fix=f'set django-settings = "{host.import_name}.settings" in {section}',
        )
    if host.seed is None or not host.seed.is_file():
        where = f" ({host.seed} does not exist)" if host.seed else ""
        raise ConfigError(
            f"host {host.name} has no seed fixture to load into the old versions{where}",
            fix=f'set seed = "src/{host.import_name}/fixtures/seed.json" in {section}',
        )
    if host.contract_tests is not None and not host.contract_tests.exists():
        raise ConfigError(
            f"host {host.name}: contract tests {host.contract_tests} do not exist",
            fix=f'set contract-tests = "tests/contracts" in {section}, or remove the key',
        )
    return Deployment(
        apps=_apps(ws, host),
        host=host.name,
        host_dir=host.path,
        settings=host.django_settings,
        # the host runs from source: it is part of the deployment, not the package under test
        pythonpath=(host.package_dir.parent, *host.pythonpath),
        seed=host.seed,
        contract_tests=host.contract_tests,
    )


def _apps(ws: Workspace, host: Member) -> tuple[str, ...]:
    """Import packages of the host and the workspace members it deploys: their Django
    apps are the tables a leg fills with generated rows and watches."""
    members = [host, *(ws.members[name] for name in sorted(_closure(ws, host)))]
    return tuple(m.import_name for m in members)


def _closure(ws: Workspace, root: Member) -> set[str]:
    """Workspace members ``root`` depends on, directly or not."""
    seen: set[str] = set()
    todo = list(ws.workspace_requirements(root))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(ws.workspace_requirements(ws.members[name]))
    return seen


def _other_members(ws: Workspace, host: Member, member: Member) -> list[Member]:
    """The host's other workspace pins (and the package's own), built at their current versions."""
    names = (_closure(ws, host) | _closure(ws, member)) - {member.name, host.name}
    return ws.topological_order(sorted(names)) if names else []


def _third_party(ws: Workspace, host: Member) -> list[str]:
    return [str(r) for r in host.requirements if canonicalize_name(r.name) not in ws.members]


def _changed_since(ws: Workspace, member: Member, point: ReleasePoint) -> bool:
    rel = member.relpath(ws.root)
    if git.tree_id(ws.root, point.commit, rel) != git.tree_id(ws.root, "HEAD", rel):
        return True
    return any(p.startswith(f"{rel}/") for p in git.dirty_paths(ws.root))


def _index_url(ws: Workspace, raw: str | None) -> str | None:
    if raw is None:
        return None
    if raw in ws.config.indexes or raw.startswith(("http://", "https://")):
        # a loopback name follows the running embedded devpi's port; credentials leave the URL
        return indexes.resolve(ws, raw).url
    known = ", ".join(sorted(ws.config.indexes)) or "none configured"
    raise UsageError(
        f"--index {raw!r} is neither an index name nor an http(s) URL",
        fix=f"use a name from [tool.monorel.indexes] ({known}) or a URL",
    )


def _parse(raw: str) -> Version | None:
    try:
        return Version(raw)
    except InvalidVersion:
        return None
