"""The target workspace's environment: the interpreter that runs everything needing Django.

monorel may run from an environment of its own (``uv tool install monorel``, ``uvx --from
monorel``, a pip venv) that has no Django and none of the workspace's packages. What
imports the workspace's code under its settings (the ``makemigrations`` check) or builds
venvs like it (``rehearse``) runs in the workspace's environment instead, found in order:

1. ``$UV_PROJECT_ENVIRONMENT`` (relative to the root where it is relative) or
   ``<root>/.venv``, as ``uv sync`` makes it: its ``bin/python``;
2. the interpreter running monorel, where that one has what is needed (``uv run monorel``
   in a workspace whose environment lives elsewhere, or one venv holding both);
3. else ``TargetEnvMissing`` (MR080), with the fix ``uv sync``. Nothing is created here:
   a missing environment is the user's to make.

``python(root, needs_django=True)`` also refuses an environment without Django
(``TargetEnvLacksDjango``, MR081). Answers are kept per process.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from functools import cache
from pathlib import Path

from monorel.adapters import python as python_adapter
from monorel.errors import TargetEnvLacksDjango, TargetEnvMissing


def python(root: Path, *, needs_django: bool = False) -> str:
    """The workspace environment's interpreter (a path), checked for Django if asked."""
    return _resolve(root.resolve(), needs_django)


def environment_dir(root: Path) -> Path:
    """Where ``uv sync`` puts the workspace's environment."""
    configured = os.environ.get("UV_PROJECT_ENVIRONMENT")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else root / path
    return root / ".venv"


@cache
def _resolve(root: Path, needs_django: bool) -> str:
    env = environment_dir(root)
    interpreter = _interpreter(env)
    if interpreter is not None:
        if needs_django and not _has_django(env, interpreter):
            raise TargetEnvLacksDjango(
                f"the workspace environment {env} has no Django, so monorel cannot run "
                "Django's checks there",
                fix=f"run `uv sync --all-packages` in {root} (Django must be a dependency "
                "of the members that need it)",
            )
        return str(interpreter)
    if not needs_django or importlib.util.find_spec("django") is not None:
        return sys.executable
    raise TargetEnvMissing(
        f"the workspace {root} has no environment ({env} does not exist), and the one "
        f"running monorel ({sys.prefix}) has no Django: monorel runs Django in the "
        "workspace's environment",
        fix=f"run `uv sync --all-packages` in {root}, or run monorel from inside it: "
        f"`uv run --project {root} monorel ...`",
    )


def _interpreter(env: Path) -> Path | None:
    for candidate in (env / "bin" / "python", env / "Scripts" / "python.exe"):
        if candidate.is_file():
            return candidate
    return None


def _has_django(env: Path, interpreter: Path) -> bool:
    """Django in the environment's site-packages, else (a system-site-packages venv, an
    unusual layout) whatever its interpreter says."""
    patterns = ("lib/python*/site-packages/django/__init__.py", "Lib/site-packages/django")
    if any(next(env.glob(pattern), None) for pattern in patterns):
        return True
    return python_adapter.can_import(interpreter, "django")
