"""Run external commands and turn their failures into ``ToolError``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from monorel.errors import ToolError


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    fix: str = "",
    input_text: str | None = None,
    timeout: float | None = None,
    drop_env: Sequence[str] = (),
) -> str:
    """Run ``argv``; return stdout. Raise ``ToolError`` naming the command on failure.

    ``env`` is merged over the inherited environment; names in ``drop_env`` are removed
    from it first (e.g. credentials the caller replaces with its own).
    """
    args = [os.fspath(a) for a in argv]
    merged = {**os.environ, **env} if env is not None else None
    if drop_env:
        merged = {k: v for k, v in (merged or os.environ).items() if k not in drop_env}
        merged.update(env or {})
    try:
        proc = subprocess.run(
            args,
            cwd=cwd,
            env=merged,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ToolError(f"`{args[0]}` is not installed or not on PATH", fix=fix) from exc
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"`{' '.join(args)}` timed out after {timeout}s", fix=fix) from exc
    if proc.returncode != 0:
        output = (proc.stderr.strip() or proc.stdout.strip())[-4000:]
        raise ToolError(f"`{' '.join(args)}` exited with {proc.returncode}:\n{output}", fix=fix)
    return proc.stdout


def console_script(name: str, *, fix: str) -> str:
    """A console script installed next to the running interpreter (the workspace venv), else
    on PATH. ``ToolError`` with ``fix`` where there is none."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise ToolError(f"`{name}` is not installed", fix=fix)
    return found
