"""Django, run in child processes: the only module that runs Django.

monorel never imports Django in its own process: each member is checked under its own
settings, and Django can be set up once per process. The child is the script
``_django_child.py`` run by the workspace environment's interpreter (``monorel.target_env``:
monorel itself may run from an environment without Django; or the ``python`` given), which
forks one process per job where it can. Two kinds of job:

- ``makemigrations_check``: ``makemigrations --check --dry-run`` (no database);
- ``describe_migrations``: the migrations of a member as Django's ``MigrationLoader``
  loads them and the SQL they run on a PostgreSQL server (``_django_describe.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    # makemigrations: every .py file the job's process had imported at its end
    imported: tuple[str, ...] = ()


@dataclass(frozen=True)
class Database:
    """Where a describe job runs its SQL: a PostgreSQL server and a database on it."""

    host: str
    port: int
    user: str
    name: str
    password: str = ""


@dataclass(frozen=True)
class DescribeJob:
    """Describe the migrations of ``labels`` (one member's apps) under ``settings``.

    ``released``: label -> the migration names at the release point (a database there
    has applied them). ``edited``: label -> name -> the release's version of a released
    migration that changed since. ``static``: label -> name -> what the static reader
    found (``dependencies``, ``replaces``, ``initial``), used for stand-ins of
    migrations that cannot be imported.
    """

    settings: str
    labels: tuple[str, ...]
    database: Database
    released: Mapping[str, tuple[str, ...]]
    edited: Mapping[str, Mapping[str, Path]] = field(default_factory=dict)
    static: Mapping[str, Mapping[str, Mapping[str, object]]] = field(default_factory=dict)
    pythonpath: tuple[Path, ...] = ()


@dataclass(frozen=True)
class DescribeResult:
    """The child's answer: ``described`` is its JSON (see ``_django_describe.py``), or
    None when the job failed before describing anything; ``failure`` then says why."""

    described: Mapping[str, Any] | None
    failure: str | None


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
    payloads = [
        {
            "kind": "makemigrations",
            "settings": j.settings,
            "labels": list(j.labels),
            "pythonpath": list(map(str, j.pythonpath)),
        }
        for j in jobs
    ]
    fix = "run `python -m django makemigrations --check --dry-run` under the member's settings"
    return [
        CommandResult(r["returncode"], r["stdout"], r["stderr"], tuple(r.get("imported", ())))
        for r in _in_children(payloads, cwd, python, timeout, "makemigrations --check", fix)
    ]


class DescribeChild:
    """A describe child started before its job is known (``with DescribeChild(...)``):
    its interpreter, Django and the PostgreSQL backend load while the caller reads the
    migrations and starts a server; ``describe_migrations(..., child=...)`` hands it the
    job. Leaving the block stops it (by its process group) if it was never used."""

    def __init__(self, *, cwd: Path, python: str) -> None:
        self.python = python
        self._proc: subprocess.Popen[str] | None = _start(cwd, python, _DESCRIBE_FIX, "describe")

    @property
    def pid(self) -> int | None:
        """The waiting child's process id (None once it was handed its job)."""
        return self._proc.pid if self._proc is not None else None

    def take(self) -> subprocess.Popen[str] | None:
        proc, self._proc = self._proc, None
        return proc

    def __enter__(self) -> DescribeChild:
        return self

    def __exit__(self, *exc: object) -> None:
        proc = self.take()
        if proc is not None:
            _kill(proc)
            proc.communicate()


_DESCRIBE_FIX = "run monorel in the member's environment, with Django and psycopg installed"


def describe_migrations(
    jobs: Sequence[DescribeJob],
    *,
    cwd: Path,
    python: str | None = None,
    timeout: float = 600,
    child: DescribeChild | None = None,
) -> list[DescribeResult]:
    """Describe each job's migrations (in parallel, one process each); results in job order.
    ``child``: one started ahead (its interpreter is used, ``python`` is not).

    Nothing is committed on the server: each job works in a schema of its own inside one
    transaction that is rolled back. A job whose member code fails (settings, models, the
    graph) comes back with ``failure`` set; migrations that fail to import are reported
    in the description (``import_errors``), the others still described.
    """
    payloads = [
        {
            "kind": "describe",
            "settings": j.settings,
            "labels": list(j.labels),
            "pythonpath": list(map(str, j.pythonpath)),
            "released": {label: list(names) for label, names in j.released.items()},
            "edited": {
                label: {name: str(path) for name, path in names.items()}
                for label, names in j.edited.items()
            },
            "static": {label: dict(names) for label, names in j.static.items()},
            "database": {
                "host": j.database.host,
                "port": j.database.port,
                "user": j.database.user,
                "password": j.database.password,
                "name": j.database.name,
            },
        }
        for j in jobs
    ]
    fix = _DESCRIBE_FIX
    what = "describing migrations"
    started = child.take() if child is not None else None
    if started is not None:
        assert child is not None
        raws = _finish(started, payloads, child.python, timeout, what, fix)
    else:
        raws = _in_children(payloads, cwd, python, timeout, what, fix)
    results = []
    for raw in raws:
        described = raw.get("result")
        failure = None
        if described is None:
            tail = (raw["stderr"].strip() or raw["stdout"].strip()).splitlines()
            failure = tail[-1] if tail else f"exit {raw['returncode']}, no output"
        results.append(DescribeResult(described, failure))
    return results


def _in_children(
    payloads: list[dict[str, Any]],
    cwd: Path,
    python: str | None,
    timeout: float,
    what: str,
    fix: str,
) -> list[dict[str, Any]]:
    if not payloads:
        return []
    # the workspace's environment (cwd is its root), not necessarily the one running monorel
    interpreter = python or target_env.python(cwd, needs_django=True)
    if hasattr(os, "fork"):
        return _run(payloads, cwd, interpreter, timeout, what, fix)
    with ThreadPoolExecutor(max_workers=min(len(payloads), os.cpu_count() or 2)) as pool:
        return [
            result[0]
            for result in pool.map(
                lambda payload: _run([payload], cwd, interpreter, timeout, what, fix), payloads
            )
        ]


def _run(
    payloads: list[dict[str, Any]],
    cwd: Path,
    python: str,
    timeout: float,
    what: str,
    fix: str,
) -> list[dict[str, Any]]:
    return _finish(_start(cwd, python, fix), payloads, python, timeout, what, fix)


def _start(cwd: Path, python: str, fix: str, preload: str | None = None) -> subprocess.Popen[str]:
    """The child, waiting for its jobs on stdin (having imported what ``preload`` jobs need)."""
    env = {
        **os.environ,
        # Bytecode goes to a cache of its own, also where PYTHONDONTWRITEBYTECODE is set:
        # the member trees stay untouched, and Django is not compiled again on every run
        # (that alone costs about half a second per process).
        "PYTHONPYCACHEPREFIX": os.environ.get("PYTHONPYCACHEPREFIX") or _PYCACHE,
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        proc = subprocess.Popen(
            # -P: the script's directory (monorel/adapters) must not shadow the member's imports
            # the jobs go on stdin: with a path each they outgrow one argument's limit
            # (128 KiB on Linux) at a few hundred members
            [python, "-P", str(_CHILD), *([f"--preload={preload}"] if preload else [])],
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
    return proc


def _kill(proc: subprocess.Popen[str]) -> None:
    """End the child and the forks it made (its own process group)."""
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.kill()


def _finish(
    proc: subprocess.Popen[str],
    payloads: list[dict[str, Any]],
    python: str,
    timeout: float,
    what: str,
    fix: str,
) -> list[dict[str, Any]]:
    """Hand the started child its jobs; their results."""
    payload = json.dumps(payloads)
    try:
        stdout, stderr = proc.communicate(payload, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill(proc)
        proc.communicate()
        raise ToolError(f"{what} timed out after {timeout}s", fix=fix) from exc
    try:
        results = json.loads(stdout)
    except json.JSONDecodeError as exc:
        # the child could not even start: most likely Django is missing from this environment
        output = (stderr.strip() or stdout.strip())[-2000:]
        raise ToolError(
            f"{what} could not run under {python}:\n{output}",
            fix=f"check that {python} (the workspace environment) imports Django and the "
            "members: `uv sync --all-packages` in the workspace",
        ) from exc
    return results
