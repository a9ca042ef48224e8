"""towncrier: the only module that runs towncrier.

towncrier runs from the repository root with ``--dir``/``--config`` naming the member,
and gets ``--name``/``--version`` so it never imports the package to find them.
``build --yes`` removes the consumed fragments (``git rm`` for tracked ones); ``build``
with ``keep`` writes the section and leaves the fragments (``--keep``: a pre-release).
"""

from __future__ import annotations

import sys
from pathlib import Path

from monorel.adapters._process import run


def build(
    root: Path, *, member_dir: Path, config: Path, name: str, version: str, keep: bool = False
) -> None:
    """Write the release section into the member's changelog and consume its fragments
    (``keep``: leave them where they are)."""
    run(
        _argv(member_dir, config, name, version) + ["--keep" if keep else "--yes"],
        cwd=root,
        fix=f"run `towncrier build --draft --dir {member_dir} --config {config}` to see why",
        timeout=120,
    )


def draft(root: Path, *, member_dir: Path, config: Path, name: str, version: str) -> str:
    """The section ``build`` would write, without touching any file."""
    return run(
        _argv(member_dir, config, name, version) + ["--draft"],
        cwd=root,
        timeout=120,
    )


def _argv(member_dir: Path, config: Path, name: str, version: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "towncrier",
        "build",
        "--dir",
        str(member_dir),
        "--config",
        str(config),
        "--name",
        name,
        "--version",
        version,
    ]
