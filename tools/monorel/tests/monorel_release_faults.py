"""Faults injected into a real ``monorel version --yes`` running in its own process.

A run waits at the one point the test names (``MONOREL_FAULT_AT``), in a git hook or a
fake ``uv`` that announces itself (``<point>.running`` in the fault dir) and then waits
until the test creates the ``go`` file, or until its parent is gone; every other point
passes. The test then sends a signal to the monorel
process (or SIGKILL to its whole process group, as a crash would) at exactly that point:

- ``pre-commit``: the repository's hook on the release commit (the staging worktree);
- ``uv``: ``uv lock`` (``UV`` points monorel at the fake, which then runs the real uv);
- ``prepared`` / ``committed``: git's reference-transaction hook inside the publishing
  ``update-ref`` transaction: ref locks held and nothing moved, or every ref moved and
  the working tree not yet.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from monorel_release_support import git_env

_WAIT = """\
if [ "$MONOREL_FAULT_AT" = "{point}" ]; then
    touch "$MONOREL_FAULT_DIR/{point}.running"
    while [ ! -e "$MONOREL_FAULT_DIR/go" ] && kill -0 "$PPID" 2>/dev/null; do sleep 0.05; done
fi
"""
HOOKS = {
    "pre-commit": "#!/bin/sh\n" + _WAIT.format(point="pre-commit"),
    # consumes the ref updates on stdin; waits only in the publishing transaction of main,
    # at the state ($1) the test names
    "reference-transaction": (
        "#!/bin/sh\nrefs=$(cat)\n"
        'case "$refs" in *refs/heads/main*) ;; *) exit 0 ;; esac\n' + _WAIT.format(point="$1")
    ),
}


def install_hooks(root: Path) -> None:
    for name, text in HOOKS.items():
        hook = root / ".git" / "hooks" / name
        hook.write_text(text, encoding="utf-8")
        hook.chmod(0o755)


def fake_uv(directory: Path) -> Path:
    """A ``uv`` that waits like a hook, then runs the real one."""
    real = shutil.which("uv")
    assert real is not None, "uv is not on PATH"
    script = directory / "uv"
    script.write_text("#!/bin/sh\n" + _WAIT.format(point="uv") + f'exec "{real}" "$@"\n')
    script.chmod(0o755)
    return script


STARTED: list[VersionRun] = []  # every run started, for ``stop_all`` after each test


def stop_all() -> None:
    """SIGKILL the process group of every run still going (a test that failed midway)."""
    while STARTED:
        run = STARTED.pop()
        if run.process.poll() is None:
            run.crash()
            run.process.wait()


@dataclass
class VersionRun:
    """``monorel version ARGS`` in its own session, its output in files."""

    process: subprocess.Popen[bytes]
    faults: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_at(self, name: str, timeout: float = 120) -> None:
        """Until the run waits at the fault point ``name`` (fails the test if it ends first)."""
        marker = self.faults / f"{name}.running"
        deadline = time.monotonic() + timeout
        while not marker.exists():
            code = self.process.poll()
            assert code is None, f"the run ended ({code}) before {name}:\n{self.output()}"
            assert time.monotonic() < deadline, f"the run never reached {name}"
            time.sleep(0.05)

    def go(self) -> None:
        (self.faults / "go").touch()

    def signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def crash(self) -> None:
        """SIGKILL to the run and every process it started, as a machine or OOM kill does."""
        os.killpg(self.pid, signal.SIGKILL)

    def finish(self, timeout: float = 300) -> tuple[int, str]:
        code = self.process.wait(timeout=timeout)
        return code, self.output()

    def output(self) -> str:
        return (self.faults / "out").read_text() + (self.faults / "err").read_text()


def start_version(
    root: Path,
    faults: Path,
    *args: str,
    at: str = "",
    uv: Path | None = None,
) -> VersionRun:
    """Start ``monorel --root ROOT version ARGS``, to wait at the fault point ``at``."""
    if faults.exists():
        shutil.rmtree(faults)
    faults.mkdir(parents=True)
    env = {**git_env(), "MONOREL_FAULT_DIR": str(faults), "MONOREL_FAULT_AT": at}
    env.pop("UV", None)
    if uv is not None:
        env["UV"] = str(uv)
    with (faults / "out").open("wb") as out, (faults / "err").open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "monorel", "--root", str(root), "version", *args],
            stdout=out,
            stderr=err,
            env=env,
            start_new_session=True,  # its own process group: crash() kills all of it
        )
    run = VersionRun(process, faults)
    STARTED.append(run)
    return run


def crash_at(root: Path, faults: Path, point: str) -> None:
    """Start ``version --yes``, wait until it is at ``point``, and crash it there."""
    run = start_version(root, faults, "--yes", at=point)
    run.wait_at(point)
    run.crash()
    run.finish()


def run_version(root: Path, faults: Path, *args: str) -> tuple[int, str]:
    """A run that waits nowhere, to its end."""
    return start_version(root, faults, *args).finish()
