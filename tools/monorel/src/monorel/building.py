"""Build each released package and verify what was built before anything is published.

``uv build --no-sources`` writes the sdist and wheel of one member into
``<state-dir>/dist/<name>/``. The wheel must then match its pyproject (name, version),
its release tag when HEAD carries one, declare a range for every workspace
dependency (one the workspace's current version satisfies), ship every non-Python
file of the import package (migrations, templates, static, py.typed), pass the
``[tool.monorel] wheel-checks`` the workspace names (``monorel.wheel_checks``: licence
file, classifiers, project URLs, long description), and pass ``twine check``.

Dev builds (``build_dev``, `monorel build --dev`) give a branch build its own PEP 440
version, ``<next>.devN``, without touching the tree: the member is copied to a temporary
directory, the copy's ``[project] version`` is set, and the copy is built. ``<next>`` is
the version the plan releases next (so the dev build sorts after the last release and
before the next one); N counts the commits since the member's release point, or is given.
Dev versions are uploaded to dev indexes only (``publishing.require_dev_index``).
"""

from __future__ import annotations

import dataclasses
import email.parser
import hashlib
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from packaging.requirements import Requirement
from packaging.utils import (
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from monorel import bumps, planning, release_points, state_dir, wheel_checks, workspace
from monorel.adapters import git, twine, uv
from monorel.errors import ArtifactCheckFailed, UsageError
from monorel.workspace import Member, Workspace

_SKIPPED_PARTS = {"__pycache__"}
_SKIPPED_SUFFIXES = {".pyc", ".pyo"}
# never copied into a dev build's temporary project
_COPY_SKIP = shutil.ignore_patterns(
    ".venv", "dist", "build", "__pycache__", "*.pyc", ".pytest_cache", "*.sqlite3", ".git"
)


@dataclass(frozen=True)
class Artifact:
    path: Path
    sha256: str

    @property
    def filename(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class BuiltPackage:
    name: str
    version: str
    wheel: Artifact
    sdist: Artifact

    @property
    def artifacts(self) -> tuple[Artifact, ...]:
        return (self.wheel, self.sdist)


def out_dir(ws: Workspace, member: Member) -> Path:
    return ws.state_dir / "dist" / member.name


def dev_out_dir(ws: Workspace, member: Member) -> Path:
    return ws.state_dir / "dist-dev" / member.name


def releasable(ws: Workspace, names: list[str] | None = None) -> list[Member]:
    """The released members (or the named ones), in dependency order."""
    if names:
        members = [ws.member(n) for n in names]
        unreleased = [m.name for m in members if not m.released]
        if unreleased:
            raise UsageError(
                f"not released by monorel: {', '.join(unreleased)}",
                fix="build one of the released packages: "
                + ", ".join(m.name for m in ws.topological_order() if m.released),
            )
        return ws.topological_order([m.name for m in members])
    return [m for m in ws.topological_order() if m.released]


def require_release_points(ws: Workspace, members: list[Member]) -> None:
    """Refuse (MR040) before anything is built or sent when the clone cannot tell whether,
    and where, each member's current version was released: its wheel is checked against
    that release tag, and what is built comes from that point."""
    for member in members:
        ws.release_index.release_point(member, member.version)


def build(ws: Workspace, member: Member) -> BuiltPackage:
    """Build ``member`` from the working tree and verify the result.

    Raises ``ArtifactCheckFailed`` when the distributions do not match the workspace.
    """
    return _build_and_verify(ws, member, out=out_dir(ws, member))


@dataclass(frozen=True)
class Source:
    """Where a release is built from: the working tree, or the commit that released it."""

    commit: str | None  # None: the working tree
    label: str


def release_source(ws: Workspace, member: Member) -> Source:
    """The source of ``member``'s current version.

    The working tree when it holds exactly what the version's release point holds (the
    usual case right after `monorel version`, or at a release tag); the release point's
    commit when the member changed since (unreleased work must not be published under
    an already released version); the working tree when the version has no release
    point yet.
    """
    if not git.is_repository(ws.root):
        return Source(None, "working tree")
    point = ws.release_index.release_point(member, member.version)
    if point is None:
        return Source(None, "working tree (version not released yet)")
    rel = member.relpath(ws.root)
    dirty = [p for p in git.dirty_paths(ws.root) if p.startswith(rel + "/")]
    if not dirty and git.tree_id(ws.root, point.commit, rel) == git.tree_id(ws.root, "HEAD", rel):
        return Source(None, "working tree")
    what = member.tag() if point.source == "tag" else f"commit {point.commit[:12]}"
    return Source(point.commit, f"{what} (changed since; built from the release point)")


def build_release(ws: Workspace, member: Member) -> tuple[BuiltPackage, Source]:
    """Build what ``member``'s current version released (see ``release_source``) and verify it."""
    source = release_source(ws, member)
    if source.commit is None:
        return build(ws, member), source
    with tempfile.TemporaryDirectory(prefix="monorel-release-") as tmp:
        # the whole workspace as it was, so the build sees the same root and members
        exported = git.export_tree(ws.root, source.commit, ".", Path(tmp) / "src")
        then = workspace.load(exported)
        built = _build_and_verify(
            then, then.member(member.name), out=out_dir(ws, member), tagged_at_head=False
        )
    return built, source


def dev_versions(ws: Workspace, members: list[Member], number: int | None = None) -> dict[str, str]:
    """``<next>.devN`` for a branch build of each member (see the module docstring)."""
    if number is not None and number < 0:
        raise UsageError(f"dev number {number} is negative", fix="pass --dev-number 0 or more")
    if number is None and not git.is_repository(ws.root):
        raise UsageError(
            f"{ws.root} is not a git repository: the dev number cannot be counted",
            fix="pass --dev-number N (e.g. the CI run number)",
        )
    planned = {p.name: p.next_version for p in planning.compute(ws).releases}
    versions = {}
    for member in members:
        n = number
        if n is None:
            point = release_points.last_release(ws, member)
            n = git.commit_count(ws.root, point.commit if point else None)
        versions[member.name] = f"{planned.get(member.name) or _dev_base(ws, member)}.dev{n}"
    return versions


def build_dev(ws: Workspace, member: Member, version: str) -> BuiltPackage:
    """Build ``member`` as ``version`` (from ``dev_versions``) from a temporary copy and
    verify it; the working tree is not touched."""
    with tempfile.TemporaryDirectory(prefix="monorel-dev-") as tmp:
        copy = Path(tmp) / member.path.name
        shutil.copytree(member.path, copy, ignore=_COPY_SKIP)
        pyproject = copy / "pyproject.toml"
        document = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
        document["project"]["version"] = version  # type: ignore[index]
        pyproject.write_text(tomlkit.dumps(document), encoding="utf-8")
        return _build_and_verify(
            ws,
            dataclasses.replace(member, version=version),
            out=dev_out_dir(ws, member),
            tagged_at_head=False,
            builder=lambda out: uv.build_project(copy, out),
        )


def _dev_base(ws: Workspace, member: Member) -> str:
    """The version a dev build of an unplanned member precedes: the current one while it
    is unreleased, else the one after it (a patch, or the next pre-release number)."""
    current = Version(member.version)
    released = {Version(p.version) for p in release_points.released_versions(ws, member)}
    if current not in released:
        return current.public.split(".dev")[0]
    if current.pre is not None:  # the next pre-release of its kind: rc1 -> rc2
        return bumps.next_version(str(current), "none", pre=current.pre[0])  # type: ignore[arg-type]
    return bumps.next_version(current.base_version, "patch")


def _build_and_verify(
    ws: Workspace,
    member: Member,
    *,
    out: Path,
    tagged_at_head: bool = True,
    builder: Callable[[Path], list[Path]] | None = None,
) -> BuiltPackage:
    state_dir.ensure(out.parent.parent)
    files = builder(out) if builder else uv.build(ws.root, member.name, out)
    wheels = [f for f in files if f.suffix == ".whl"]
    sdists = [f for f in files if f.name.endswith(".tar.gz")]
    if len(wheels) != 1 or len(sdists) != 1:
        raise ArtifactCheckFailed(
            f"{member.name}: expected one wheel and one sdist, got {[f.name for f in files]}",
            fix="check the build backend configuration",
        )
    built = BuiltPackage(
        name=member.name,
        version=member.version,
        wheel=_artifact(wheels[0]),
        sdist=_artifact(sdists[0]),
    )
    problems = verify(ws, member, built, tagged_at_head=tagged_at_head)
    if problems:
        raise ArtifactCheckFailed(
            f"{member.name} {member.version}: the built distributions are not releasable:\n  - "
            + "\n  - ".join(problems),
            fix="fix the pyproject / package data and build again",
        )
    twine.check([built.wheel.path, built.sdist.path])
    return built


def verify(
    ws: Workspace, member: Member, built: BuiltPackage, *, tagged_at_head: bool = True
) -> list[str]:
    """Every mismatch between the built files and the workspace, as readable lines.

    ``tagged_at_head``: also compare with the member's release tags on HEAD.
    """
    problems: list[str] = []
    wheel_name, wheel_version, _, _ = parse_wheel_filename(built.wheel.filename)
    sdist_name, sdist_version = parse_sdist_filename(built.sdist.filename)
    metadata, names = _wheel_metadata(built.wheel.path)
    meta_name = canonicalize_name(metadata.get("Name", ""))
    meta_version = metadata.get("Version", "")
    expected = Version(member.version)
    for label, name, version in (
        ("wheel file name", wheel_name, wheel_version),
        ("sdist file name", sdist_name, sdist_version),
        ("wheel METADATA", meta_name, Version(meta_version) if meta_version else None),
    ):
        if name != member.name or version != expected:
            problems.append(
                f"{label} says {name} {version}, pyproject says {member.name} {member.version}"
            )
    for tag in _tags_at_head(ws, member) if tagged_at_head else []:
        if Version(member.version_of_tag(tag) or "0") != expected:
            problems.append(f"HEAD is tagged {tag} but the version is {member.version}")
    problems += _check_requires(ws, member, metadata.get_all("Requires-Dist") or [])
    problems += _check_package_data(member, names)
    # what consumers see (licence, classifiers, URLs, description): the checks the workspace
    # asks for in [tool.monorel] wheel-checks
    wheel = wheel_checks.Wheel(metadata=metadata, names=frozenset(names))
    problems += wheel_checks.problems(wheel, ws.config.wheel_checks)
    return problems


def _check_requires(ws: Workspace, member: Member, requires: list[str]) -> list[str]:
    declared = {}
    for raw in requires:
        req = Requirement(raw)
        declared[canonicalize_name(req.name)] = req
    problems = []
    for dep in ws.workspace_requirements(member):
        req = declared.get(dep)
        if req is None:
            problems.append(f"Requires-Dist lacks the workspace dependency {dep}")
            continue
        if req.url:
            problems.append(f"Requires-Dist {req} is a direct reference, not a version range")
            continue
        if not req.specifier:
            problems.append(f"Requires-Dist {req} has no version range")
            continue
        current = ws.members[dep].version
        if not req.specifier.contains(current, prereleases=True):
            problems.append(
                f"Requires-Dist {req} excludes {dep} {current}, the version in this workspace"
            )
    return problems


def _check_package_data(member: Member, wheel_names: set[str]) -> list[str]:
    """Every file of the import package (migrations, templates, ...) must be in the wheel."""
    missing = []
    for package in member.import_packages:
        files = [package.path] if package.is_module else sorted(package.path.rglob("*"))
        for path in files:
            if not path.is_file() or _SKIPPED_PARTS & set(path.parts):
                continue
            if path.suffix in _SKIPPED_SUFFIXES:
                continue
            rel = path.relative_to(package.root).as_posix()
            if rel not in wheel_names:
                missing.append(rel)
    return [f"the wheel lacks {rel}" for rel in missing]


def _tags_at_head(ws: Workspace, member: Member) -> list[str]:
    if not git.is_repository(ws.root):
        return []
    return [t for t in git.tags_at(ws.root, "HEAD", member.tag_glob) if member.version_of_tag(t)]


def _wheel_metadata(wheel: Path):  # -> (email.message.Message, set[str])
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta_path = next(n for n in names if n.endswith(".dist-info/METADATA"))
        text = zf.read(meta_path).decode("utf-8")
    return email.parser.Parser().parsestr(text), names


def _artifact(path: Path) -> Artifact:
    return Artifact(path=path, sha256=sha256_of(path))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
