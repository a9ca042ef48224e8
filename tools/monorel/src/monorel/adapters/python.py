"""A consumer venv's python: the only module that runs ``python -m venv`` and code in it.

The consumer must see only what pip installed: the variables that would point it back
at the workspace (``DJANGO_SETTINGS_MODULE`` of a surrounding pytest run, ``PYTHONPATH``,
``VIRTUAL_ENV``) are removed from its environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from monorel.adapters._process import run
from monorel.errors import ToolError

_LEAKY_ENV = ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "UV")


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def create_venv(venv: Path) -> Path:
    """``python -m venv`` (pip included) with the interpreter monorel runs on."""
    run(
        [sys.executable, "-m", "venv", venv],
        drop_env=_LEAKY_ENV,
        fix="is the venv module (python3-venv) installed?",
        timeout=300,
    )
    return venv_python(venv)


def run_in(
    venv: Path,
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path,
    fix: str,
    timeout: float = 900,
    env: Mapping[str, str] | None = None,
) -> str:
    """``<venv>/bin/python ARGS`` in ``cwd``; returns stdout, ``ToolError`` on failure.

    ``env`` is set on top of the cleaned environment (e.g. a ``PYTHONPATH`` of its own).
    """
    return run(
        [venv_python(venv), *args],
        cwd=cwd,
        env={"PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        drop_env=_LEAKY_ENV,
        fix=fix,
        timeout=timeout,
    )


def can_import(interpreter: Path, module: str) -> bool:
    """Whether ``interpreter`` finds ``module`` (without importing it), in a clean environment."""
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    try:
        run([interpreter, "-c", code], drop_env=_LEAKY_ENV, timeout=60)
    except ToolError:
        return False
    return True


@dataclass(frozen=True)
class TestRun:
    returncode: int  # pytest's: 0 passed, 1 failed, 5 collected nothing, ...
    output: str  # stdout and stderr
    summary: str  # pytest's last line, with the failed tests named

    @property
    def passed(self) -> bool:
        return self.returncode == 0


def run_pytest(
    venv: Path,
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 1800,
) -> TestRun:
    """``<venv>/bin/python -m pytest ARGS`` in ``cwd``, its outcome returned (not raised)."""
    merged = {k: v for k, v in os.environ.items() if k not in _LEAKY_ENV}
    merged.update({"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1", **(env or {})})
    argv = [os.fspath(venv_python(venv)), "-m", "pytest", *map(os.fspath, args)]
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
            argv, cwd=cwd, env=merged, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return TestRun(124, "", f"pytest timed out after {timeout:.0f}s")
    output = proc.stdout + proc.stderr
    return TestRun(proc.returncode, output, _summary(proc.returncode, output))


def _summary(returncode: int, output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    last = lines[-1].strip("= ") if lines else f"pytest exited with {returncode}"
    if returncode == 5:
        return f"collected no tests ({last})"
    failed = [
        line.split(" - ")[0].split(" ", 1)[-1]
        for line in lines
        if line.startswith(("FAILED ", "ERROR "))
    ]
    return f"{last}: {', '.join(failed[:5])}" if failed else last
