"""monorel's own command line, run in a child process: the only module that does.

The gate runs `monorel rehearse` this way, next to other proofs on worker threads: a child
has its own stdout, its own thread pool and its own Django processes, and its outcome is
its exit code and output, exactly as a user running the command would see them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Outcome:
    returncode: int
    output: str  # stdout, then stderr


def run(root: Path, args: Sequence[str], *, timeout: float = 1800) -> Outcome:
    """``python -m monorel --root ROOT ARGS`` with the interpreter running monorel."""
    argv = [sys.executable, "-m", "monorel", "--root", str(root), *args]
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
            argv, cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return Outcome(124, f"`monorel {' '.join(args)}` timed out after {timeout:.0f}s")
    return Outcome(proc.returncode, proc.stdout + proc.stderr)
