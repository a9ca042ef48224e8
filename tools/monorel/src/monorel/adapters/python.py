"""A consumer venv's python: the only module that runs ``python -m venv`` and code in it.

The consumer must see only what pip installed: the variables that would point it back
at the workspace (``DJANGO_SETTINGS_MODULE`` of a surrounding pytest run, ``PYTHONPATH``,
``VIRTUAL_ENV``) are removed from its environment.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
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
) -> str:
    """``<venv>/bin/python ARGS`` in ``cwd``; returns stdout, ``ToolError`` on failure."""
    return run(
        [venv_python(venv), *args],
        cwd=cwd,
        env={"PYTHONDONTWRITEBYTECODE": "1"},
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
