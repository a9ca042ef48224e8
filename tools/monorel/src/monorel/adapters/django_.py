"""Django's makemigrations, run in child processes: the only module that runs Django.

monorel never imports Django in its own process: each member is checked under its own
settings, and Django can be set up once per process. The child is the script
``_django_child.py`` run by the workspace environment's interpreter
(``monorel.target_env``; monorel itself may run from an environment without Django),
which forks one process per job where it can.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from monorel import target_env
from monorel.errors import ToolError

_CHILD = Path(__file__).with_name("_django_child.py")
_PYCACHE = str(
    Path(tempfile.gettempdir()) / f"monorel-pycache-{os.getuid() if hasattr(os, 'getuid') else 0}"
)


@dataclass(frozen=True)
class MakemigrationsJob:
    settings: str  # DJANGO_SETTINGS_MODULE
    labels: tuple[str, ...]
    pythonpath: tuple[Path, ...] = ()  # put first on sys.path for this job only


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str


def makemigrations_check(
    jobs: Sequence[MakemigrationsJob],
    *,
    cwd: Path,
    python: str | None = None,
    timeout: float = 300,
) -> list[CommandResult]:
    """``makemigrations --check --dry-run LABELS`` per job, in parallel; results in job order.

    Exit status 1 with "Migrations for '<label>':" blocks on stdout means missing
    migrations; a job's stdout has "monorel: not installed: ..." for labels its settings
    do not install. Each job imports with its own ``pythonpath`` first on ``sys.path``.
    No database is touched.
    """
    if not jobs:
        return []
    # the workspace's environment (cwd is its root), not necessarily the one running monorel
    python = python or target_env.python(cwd, needs_django=True)
    if hasattr(os, "fork"):
        return _run(list(jobs), cwd, python, timeout)
    with ThreadPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 2)) as pool:
        return [
            result[0] for result in pool.map(lambda job: _run([job], cwd, python, timeout), jobs)
        ]


def _run(
    jobs: list[MakemigrationsJob],
    cwd: Path,
    python: str,
    timeout: float,
) -> list[CommandResult]:
    env = {
        **os.environ,
        # Bytecode goes to a cache of its own, also where PYTHONDONTWRITEBYTECODE is set:
        # the member trees stay untouched, and Django is not compiled again on every run
        # (that alone costs about half a second per process).
        "PYTHONPYCACHEPREFIX": os.environ.get("PYTHONPYCACHEPREFIX") or _PYCACHE,
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    payload = json.dumps(
        [
            {
                "settings": j.settings,
                "labels": list(j.labels),
                "pythonpath": list(map(str, j.pythonpath)),
            }
            for j in jobs
        ]
    )
    fix = "run `python -m django makemigrations --check --dry-run` under the member's settings"
    try:
        proc = subprocess.Popen(
            # -P: the script's directory (monorel/adapters) must not shadow the member's imports
            # the jobs go on stdin: with a path each they outgrow one argument's limit
            # (128 KiB on Linux) at a few hundred members
            [python, "-P", str(_CHILD)],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # its own process group, so that a timeout also ends the forks it made
            start_new_session=hasattr(os, "killpg"),
        )
    except FileNotFoundError as exc:
        raise ToolError(f"`{python}` is not installed", fix=fix) from exc
    try:
        stdout, stderr = proc.communicate(payload, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        proc.communicate()
        raise ToolError(f"makemigrations --check timed out after {timeout}s", fix=fix) from exc
    try:
        results = json.loads(stdout)
    except json.JSONDecodeError as exc:
        # the child could not even start: most likely Django is missing from this environment
        output = (stderr.strip() or stdout.strip())[-2000:]
        raise ToolError(
            f"makemigrations --check could not run under {python}:\n{output}",
            fix=f"check that {python} (the workspace environment) imports Django and the "
            "members: `uv sync --all-packages` in the workspace",
        ) from exc
    return [CommandResult(r["returncode"], r["stdout"], r["stderr"]) for r in results]
