"""Virtual environments for rehearsal legs, made with uv and reused while their content is equal.

A venv is keyed by everything that decides its content: the interpreter, the sha256 of
each wheel, the third-party requirements and the constraints. Legs only read from a venv
(run Django and pytest in it), so one venv serves every leg and every later rehearsal
that asks for the same content. A file lock per key makes a second process wait for the
first to finish filling it; a ``.complete`` marker tells a finished venv from a broken one.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from monorel.adapters import uv

_COMPLETE = ".monorel-complete"


@dataclass(frozen=True)
class VenvSpec:
    """What goes into one venv."""

    python: str  # interpreter for `uv venv --python`
    wheels: tuple[Path, ...]  # our packages, exact files
    requirements: tuple[str, ...]  # third-party requirements (the host's, pytest, ...)
    constraints: str = ""  # requirements.txt text pinning third-party versions (from uv.lock)
    offline: bool = False

    def key(self) -> str:
        digest = hashlib.sha256()
        payload = {
            "python": self.python,
            "wheels": sorted(
                f"{w.name}:{hashlib.sha256(w.read_bytes()).hexdigest()}" for w in self.wheels
            ),
            "requirements": sorted(self.requirements),
            "constraints": self.constraints,
        }
        digest.update(json.dumps(payload, sort_keys=True).encode())
        return digest.hexdigest()[:16]


def ensure(spec: VenvSpec, cache_dir: Path) -> Path:
    """A venv with exactly ``spec`` installed; created on first use, then reused. Its python."""
    venvs = cache_dir / "venvs"
    venvs.mkdir(parents=True, exist_ok=True)
    target = venvs / spec.key()
    with _locked(venvs / f"{target.name}.lock"):
        if not (target / _COMPLETE).is_file():
            shutil.rmtree(target, ignore_errors=True)  # a half-made venv of a killed run
            uv.create_venv(target, python=spec.python)
            constraints = None
            if spec.constraints:
                constraints = target / "constraints.txt"
                constraints.write_text(spec.constraints, encoding="utf-8")
            uv.pip_install(
                target,
                [*map(str, spec.wheels), *spec.requirements],
                constraints=constraints,
                offline=spec.offline,
            )
            (target / _COMPLETE).write_text("", encoding="utf-8")
    return target / "bin" / "python"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
