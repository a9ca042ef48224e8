"""pip: the only module that runs pip (in a venv made by ``adapters.python``).

A consumer installs the way a stranger would: a plain venv and real pip. Two modes:

- ``install`` is isolated: ``--isolated`` plus ``PIP_CONFIG_FILE=/dev/null``, so no
  pip.conf or ``PIP_*`` variable of this machine (extra indexes, find-links) can
  supply a package: only the index and find-links given on the command line count.
- ``download`` uses the machine's ordinary pip setup, to fetch third-party wheels
  (Django, pytest) into a wheelhouse that stands in for a PyPI mirror.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from monorel.adapters._process import run
from monorel.adapters.python import venv_python

_ISOLATED_ENV = {"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def download(
    venv: Path,
    requirements: list[str],
    dest: Path,
    *,
    requirement_files: Sequence[Path] = (),
    constraints: Path | None = None,
) -> list[Path]:
    """Fetch wheels for ``requirements`` (and their dependencies) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    files = [arg for path in requirement_files for arg in ("--requirement", str(path))]
    if constraints is not None:
        files += ["--constraint", str(constraints)]
    run(
        [
            venv_python(venv),
            "-m",
            "pip",
            "download",
            "--quiet",
            "--only-binary",
            ":all:",
            "--dest",
            dest,
            *files,
            *requirements,
        ],
        fix="pip could not fetch the third-party wheels; is the package index reachable?",
        timeout=600,
    )
    return sorted(dest.glob("*.whl"))


def install(
    venv: Path,
    *,
    requirement_files: list[Path],
    index_url: str,
    find_links: Path | None,
    report: Path,
    cwd: Path,
    env: dict[str, str] | None = None,
) -> dict:
    """Isolated ``pip install -r ...`` from ``index_url``; returns pip's JSON install report."""
    argv: list[str | os.PathLike[str]] = [
        venv_python(venv),
        "-m",
        "pip",
        "--isolated",
        "install",
        "--quiet",
        "--no-cache-dir",
        "--index-url",
        index_url,
        "--report",
        report,
    ]
    if find_links is not None:
        argv += ["--find-links", find_links]
    for path in requirement_files:
        argv += ["--requirement", path]
    run(
        argv,
        cwd=cwd,
        env={**_ISOLATED_ENV, **(env or {})},
        drop_env=tuple(k for k in os.environ if k.startswith("PIP_")),
        fix="read pip's resolution error above",
        timeout=900,
    )
    return json.loads(report.read_text())
