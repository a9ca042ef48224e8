"""The wheels a rehearsal installs, each built once and kept in a content-addressed cache.

- current wheels: built from the working tree (``uv build --no-sources``), keyed by a hash
  of the member's files, so an unchanged member is not rebuilt by the next rehearsal;
- released wheels: taken from the package index when ``--index`` has them, else built
  from the release point in git history (``git archive`` + ``uv build --no-sources``),
  keyed by the git tree id of the member directory at that commit.

Cache entries are written to a temporary directory and renamed into place, so parallel
legs and concurrent rehearsals never see a half-written wheel.

Builds share a build venv per distinct ``[build-system] requires`` (a venv of
``monorel.rehearsal.venvs``), instead of uv making a fresh isolated one for each build:
about half of a small package's build time. Where that venv cannot build a project, it
is built again the isolated way, whose error is the one reported.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

from monorel.adapters import devpi, git, uv
from monorel.errors import ToolError
from monorel.rehearsal import venvs
from monorel.release_points import ReleasePoint
from monorel.workspace import Member, Workspace

# never part of what a wheel is built from
_SKIP_DIRS = {
    "__pycache__",
    ".venv",
    "dist",
    "build",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    "node_modules",
    ".git",
}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".sqlite3")


def current_wheel(member: Member, cache_dir: Path, *, offline: bool = False) -> Path:
    """The member's wheel as its working tree builds it now."""
    slot = cache_dir / "wheels" / member.name / f"{member.version}-{_tree_digest(member.path)}"
    return _cached(slot, lambda out: _build(member.path, out, cache_dir, offline=offline))


def released_wheel(
    ws: Workspace,
    member: Member,
    version: str,
    point: ReleasePoint | None,
    cache_dir: Path,
    *,
    index_url: str | None = None,
    offline: bool = False,
) -> Path:
    """The wheel of ``member`` ``version``: from the index if it has it, else built from git.

    ``point`` is the release point in git; None for a version only the index has.
    """
    if index_url:
        slot = cache_dir / "wheels" / member.name / f"{version}-index-{_url_key(index_url)}"
        wheel = _cached_or_none(
            slot, lambda out: devpi.download_wheel(index_url, member.name, version, out)
        )
        if wheel is not None:
            return wheel
    if point is None:
        raise ToolError(
            f"{member.name} {version} is neither on {index_url} nor tagged in git",
            fix="pass the --index that has it, or rehearse from another version",
        )
    rel = member.relpath(ws.root)
    tree = git.tree_id(ws.root, point.commit, rel)
    if tree is None:
        raise ToolError(
            f"{member.name} {version}: {rel} does not exist at {point.commit[:12]}",
            fix="publish that release to the index and pass --index, or rehearse from later",
        )
    slot = cache_dir / "wheels" / member.name / f"{version}-git-{tree[:16]}"

    def build(out: Path) -> Path:
        with tempfile.TemporaryDirectory(prefix="monorel-src-") as tmp:
            source = git.export_tree(ws.root, point.commit, rel, Path(tmp))
            return _build(source, out, cache_dir, offline=offline)

    return _cached(slot, build)


def _build(source: Path, out: Path, cache_dir: Path, *, offline: bool) -> Path:
    requires = _build_requires(source)
    if requires is not None:
        spec = venvs.VenvSpec(
            python=sys.executable, wheels=(), requirements=requires, offline=offline
        )
        try:
            python = venvs.ensure(spec, cache_dir)
            return uv.build_wheel(source, out, offline=offline, build_python=python)
        except ToolError:
            shutil.rmtree(out, ignore_errors=True)  # the isolated build below starts clean
    return uv.build_wheel(source, out, offline=offline)


def _build_requires(source: Path) -> tuple[str, ...] | None:
    """``[build-system] requires`` of the project; None where it declares none."""
    try:
        data = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))
        requires = data["build-system"]["requires"]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError):
        return None
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        return None
    return tuple(requires)


def wheel_version(wheel: Path) -> str:
    """The version field of a wheel file name (``name-version-tags.whl``)."""
    return wheel.name.split("-")[1]


def _cached(slot: Path, produce: Callable[[Path], Path | None]) -> Path:
    wheel = _cached_or_none(slot, produce)
    if wheel is None:  # pragma: no cover - builders raise instead of returning None
        raise ToolError(f"no wheel was produced in {slot}")
    return wheel


def _cached_or_none(slot: Path, produce: Callable[[Path], Path | None]) -> Path | None:
    found = _wheel_in(slot)
    if found is not None:
        return found
    slot.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{slot.name}-", dir=slot.parent))
    try:
        produced = produce(staging)
        if produced is None:
            return None
        try:
            os.rename(staging, slot)
        except OSError:
            # another leg or process filled the slot first; its wheel is as good as ours
            if _wheel_in(slot) is None:
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    wheel = _wheel_in(slot)
    assert wheel is not None
    return wheel


def _wheel_in(slot: Path) -> Path | None:
    wheels = sorted(slot.glob("*.whl")) if slot.is_dir() else []
    return wheels[0] if wheels else None


def _tree_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(_files(directory)):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def _files(directory: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS and not d.endswith(".egg-info")]
        for name in filenames:
            if not name.endswith(_SKIP_SUFFIXES):
                yield Path(dirpath) / name


def _url_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:12]
