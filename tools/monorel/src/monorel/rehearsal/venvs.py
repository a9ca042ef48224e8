"""Virtual environments for rehearsal legs, made with uv and reused while their content is equal.

A venv is keyed by everything that decides its content: the interpreter, the sha256 of
each wheel, the third-party requirements and the constraints. Legs only read from a venv
(run Django and pytest in it), so one venv serves every leg and every later rehearsal
that asks for the same content. A file lock per key makes a second process wait for the
first to finish filling it; a ``.complete`` marker tells a finished venv from a broken one.

Layers: the legs of a rehearsal differ only in our wheels, so the third-party packages
(Django, psycopg, pytest: almost all the files, and all the bytecode to compile) live in
one shared *base* venv, and each leg's venv holds just our wheels plus a ``.pth`` line
that adds the base's site-packages after its own. A probe run by the leg's python then
checks every requirement of our wheels against what it imports; where one is not met (an
old release wanting another Django), the leg gets a complete venv of its own instead,
installed and resolved by uv as a whole, so uv's resolution error is what the user sees.

A new base venv's python imports what the legs' processes import once (``_warm_bytecode``),
so that the legs that start together find Django's bytecode written instead of each
compiling it at the same moment (where bytecode is written at all).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from monorel.adapters import uv
from monorel.adapters._process import run
from monorel.errors import ToolError

_COMPLETE = ".monorel-complete"
_BASE_PTH = "_monorel_base.pth"
_PROBE = Path(__file__).with_name("_requires_probe.py")
_WARM = Path(__file__).with_name("_warm_bytecode.py")
_ISOLATED_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DJANGO_SETTINGS_MODULE")


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
            if not spec.wheels or not _layered(spec, venvs, target):
                shutil.rmtree(target, ignore_errors=True)
                _install_whole(spec, target)
            (target / _COMPLETE).write_text("", encoding="utf-8")
    return target / "bin" / "python"


def _install_whole(spec: VenvSpec, target: Path) -> None:
    uv.create_venv(target, python=spec.python)
    constraints = None
    if spec.constraints:
        constraints = target / "constraints.txt"
        constraints.write_text(spec.constraints, encoding="utf-8")
    everything = [*map(str, spec.wheels), *spec.requirements]
    if everything:  # a build venv of a backend that declares no requirements stays empty
        uv.pip_install(target, everything, constraints=constraints, offline=spec.offline)


def _layered(spec: VenvSpec, venvs: Path, target: Path) -> bool:
    """Our wheels in ``target`` over the shared base venv; False where a requirement of
    them is not met there (the caller then installs a whole venv)."""
    metadata = [_wheel_metadata(w) for w in spec.wheels]
    base_spec = replace(spec, wheels=(), requirements=_third_party(spec, metadata))
    base = venvs / f"base-{base_spec.key()}"
    with _locked(venvs / f"{base.name}.lock"):
        if not (base / _COMPLETE).is_file():
            shutil.rmtree(base, ignore_errors=True)
            _install_whole(base_spec, base)
            _warm_bytecode(base)
            (base / _COMPLETE).write_text("", encoding="utf-8")
    python = uv.create_venv(target, python=spec.python)
    # addsitedir, not a bare path: the base's own .pth files are processed too
    line = f"import site; site.addsitedir({str(_site_packages(base))!r})\n"
    (_site_packages(target) / _BASE_PTH).write_text(line, encoding="utf-8")
    uv.pip_install(target, list(map(str, spec.wheels)), no_deps=True, offline=spec.offline)
    names = [m["Name"] for m in metadata]
    try:
        run([python, _PROBE, *names], drop_env=_ISOLATED_ENV)
    except ToolError:
        return False
    return True


def _warm_bytecode(base: Path) -> None:
    """Write the bytecode every leg process needs, once (see ``_warm_bytecode.py``)."""
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return  # nothing would be written: each process compiles in memory either way
    with contextlib.suppress(ToolError):  # only a speed-up: a leg compiles what is missing
        run([base / "bin" / "python", _WARM], drop_env=_ISOLATED_ENV, timeout=120)


def _third_party(spec: VenvSpec, metadata: list[Message]) -> tuple[str, ...]:
    """The spec's requirements and those of its wheels (``metadata``, in the spec's order)
    that name no wheel of the spec.

    Requirements of extras are left out: nothing here installs a wheel with extras."""
    ours = {canonicalize_name(m["Name"]) for m in metadata}
    found = set(spec.requirements)
    for wheel in metadata:
        for raw in wheel.get_all("Requires-Dist") or []:
            try:
                requirement = Requirement(raw)
            except InvalidRequirement:
                continue  # the whole install that follows a failed probe reports it
            if canonicalize_name(requirement.name) in ours:
                continue
            if requirement.marker and "extra" in str(requirement.marker):
                continue
            found.add(raw)
    return tuple(sorted(found))


def _wheel_metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return HeaderParser().parsestr(archive.read(name).decode("utf-8"))


def _site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python*/site-packages"))
    if len(found) != 1:
        raise ToolError(f"{venv} has {len(found)} site-packages directories, expected one")
    return found[0]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
