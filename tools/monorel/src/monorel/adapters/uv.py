"""uv: the only module that runs uv (build, lock, publish).

Quirks kept here: ``uv build`` inside a workspace writes to the root ``dist/`` unless
``--out-dir`` is given; ``--no-sources`` makes the metadata carry the declared ranges
instead of workspace paths; ``uv publish`` reads credentials from ``UV_PUBLISH_*``
environment variables, which is how they reach it (never argv).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from monorel.adapters._process import run
from monorel.errors import ToolError

_PUBLISH_ENV = (
    "UV_PUBLISH_USERNAME",
    "UV_PUBLISH_PASSWORD",
    "UV_PUBLISH_TOKEN",
    "UV_PUBLISH_URL",
    "UV_PUBLISH_CHECK_URL",
    "UV_PUBLISH_INDEX",
)


def executable() -> str:
    """The uv that runs us (``uv run`` exports ``UV``), else the one on PATH."""
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        raise ToolError("`uv` is not installed or not on PATH", fix="pip install uv")
    return found


def build(root: Path, package: str, out_dir: Path) -> list[Path]:
    """Build sdist and wheel of ``package`` into an emptied ``out_dir``; return the files."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    run(
        [
            executable(),
            "build",
            "--quiet",
            "--no-sources",
            "--package",
            package,
            "--out-dir",
            out_dir,
        ],
        cwd=root,
        fix=f"run `uv build --no-sources --package {package}` to see the build error",
        timeout=600,
    )
    return sorted(p for p in out_dir.iterdir() if p.suffix in (".whl", ".gz"))


def build_project(project_dir: Path, out_dir: Path) -> list[Path]:
    """Build sdist and wheel of the project in ``project_dir`` (a directory outside any
    workspace, e.g. a temporary copy) into an emptied ``out_dir``; return the files."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    run(
        [executable(), "build", "--quiet", "--no-sources", "--out-dir", out_dir, project_dir],
        cwd=project_dir,
        fix=f"run `uv build --no-sources {project_dir}` to see the build error",
        timeout=600,
    )
    return sorted(p for p in out_dir.iterdir() if p.suffix in (".whl", ".gz"))


def lock(root: Path) -> None:
    """Refresh ``uv.lock`` after versions or ranges changed."""
    run(
        [executable(), "lock", "--quiet"],
        cwd=root,
        fix="run `uv lock` to see why the workspace does not resolve",
        timeout=600,
    )


def publish(
    files: list[Path], *, publish_url: str, check_url: str, credentials: Mapping[str, str]
) -> None:
    """Upload ``files``; files already on ``check_url`` with the same hash are skipped by uv.

    ``credentials`` holds ``UV_PUBLISH_USERNAME``/``UV_PUBLISH_PASSWORD`` or
    ``UV_PUBLISH_TOKEN``; any inherited ``UV_PUBLISH_*`` values are dropped first.
    """
    unknown = set(credentials) - set(_PUBLISH_ENV)
    if unknown:
        raise ValueError(f"not uv publish variables: {sorted(unknown)}")
    run(
        [
            executable(),
            "publish",
            "--trusted-publishing",
            "never",
            "--publish-url",
            publish_url,
            "--check-url",
            check_url,
            *files,
        ],
        env=dict(credentials),
        drop_env=_PUBLISH_ENV,
        fix="check the index URL and the credentials, then run the same command again "
        "(files already uploaded are skipped)",
        timeout=600,
    )


# -- rehearsal venvs (used by `monorel rehearse`) -------------------------------------------


def build_wheel(
    project_dir: Path, out_dir: Path, *, offline: bool = False, build_python: Path | None = None
) -> Path:
    """Build only the wheel of the project in ``project_dir`` into ``out_dir``; return it.

    Works on any project directory, also one exported from git history that has no
    workspace around it (``--no-sources`` keeps the declared ranges in the metadata).
    ``build_python``: build with the backend installed in that interpreter's environment
    instead of in a fresh isolated one.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    shared = ["--no-build-isolation", "--python", build_python] if build_python else []
    run(
        [
            executable(),
            "build",
            "--quiet",
            "--wheel",
            "--no-sources",
            *shared,
            *(["--offline"] if offline else []),  # the build backend from uv's cache only
            "--out-dir",
            out_dir,
            project_dir,
        ],
        cwd=project_dir,
        fix=f"run `uv build --wheel --no-sources {project_dir}` to see the build error",
        timeout=600,
    )
    wheels = sorted(out_dir.glob("*.whl"))
    if len(wheels) != 1:
        raise ToolError(f"`uv build` left {len(wheels)} wheels in {out_dir}, expected one")
    return wheels[0]


def create_venv(venv: Path, *, python: str, seed: bool = False) -> Path:
    """``uv venv`` for ``python`` (a version or an interpreter path); no pip inside unless
    ``seed`` (then pip, as a plain ``python -m venv`` has it, in a fraction of the time)."""
    run(
        [executable(), "venv", "--quiet", *(["--seed"] if seed else []), "--python", python, venv],
        fix=f"is Python {python} installed? (uv python list)",
        timeout=300,
    )
    return venv / "bin" / "python"


def pip_install(
    venv: Path,
    requirements: list[str],
    *,
    constraints: Path | None = None,
    offline: bool = False,
    no_deps: bool = False,
) -> None:
    """``uv pip install`` into ``venv``: wheel paths and requirement strings, resolved together
    (``no_deps``: exactly these, their requirements neither resolved nor installed)."""
    argv: list[str | os.PathLike[str]] = [
        executable(),
        "pip",
        "install",
        "--quiet",
        "--python",
        venv / "bin" / "python",
    ]
    if constraints is not None:
        argv += ["--constraints", constraints]
    if offline:
        argv.append("--offline")  # third-party packages only from uv's cache
    if no_deps:
        argv.append("--no-deps")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        # no process in the venv may write bytecode, so each would compile its imports from
        # source again: compile once here instead (a warm rehearsal runs twice as fast)
        argv.append("--compile-bytecode")
    run(
        [*argv, *requirements],
        drop_env=("VIRTUAL_ENV",),
        fix="read uv's resolution error above: the old and current requirements may conflict",
        timeout=900,
    )


def export_constraints(root: Path) -> str:
    """The third-party pins of ``uv.lock`` (every member and group) as requirements text."""
    return run(
        [
            executable(),
            "export",
            "--frozen",
            "--all-packages",
            "--all-groups",
            "--no-emit-workspace",
            "--no-hashes",
            "--no-header",
            "--no-annotate",
            "--quiet",
        ],
        cwd=root,
        fix="run `uv lock` so that uv.lock matches the workspace",
        timeout=300,
    )


def wheel_top_level(source: Path) -> list[str]:
    """The top-level entries (packages, modules, ``.dist-info``) of a wheel built with
    ``--no-sources`` from a copy of the project at ``source``: backends such as setuptools
    write ``build/`` and ``*.egg-info`` next to the sources, and the tree stays untouched."""
    import tempfile
    import zipfile

    skipped = shutil.ignore_patterns(
        ".git", ".venv", "venv", "__pycache__", "build", "dist", "*.egg-info", "node_modules"
    )
    with tempfile.TemporaryDirectory(prefix="monorel-layout-") as tmp:
        copy = Path(tmp) / "src" / source.name
        shutil.copytree(source, copy, ignore=skipped, symlinks=True)
        out = Path(tmp) / "out"
        run(
            [executable(), "build", "--wheel", "--no-sources", "--quiet", "--out-dir", out, copy],
            cwd=copy,
            fix=f"run `uv build --wheel {source}` to see the build error",
            timeout=600,
        )
        wheel = next(out.glob("*.whl"), None)
        if wheel is None:
            raise ToolError(f"`uv build --wheel {source}` wrote no wheel", fix="check its backend")
        with zipfile.ZipFile(wheel) as zf:
            return sorted({name.split("/")[0] for name in zf.namelist()})
