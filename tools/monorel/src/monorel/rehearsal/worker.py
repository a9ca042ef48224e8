"""A ``_steps.py`` process in a rehearsal venv, driven one command at a time.

The old side of a leg runs two commands (set up the old database; later, run the old
release's contract tests on the upgraded one) and the new side two (upgrade; then the
contract tests), each side in one process: one interpreter start and one
``django.setup()`` per side instead of one per step. The process reads a command per
line on stdin and prints ``@@monorel-done <command>`` when it finished; its steps write
their results to ``steps-<command>.json``. Its stderr goes to a log file, so a chatty
process never blocks on a full pipe.

The host is not installed: its source directory goes on PYTHONPATH and its settings
module is named in DJANGO_SETTINGS_MODULE; the database is given as DATABASE_URL.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import time
from pathlib import Path

_STEPS_SCRIPT = Path(__file__).with_name("_steps.py")
_DONE = b"@@monorel-done"
# the caller's virtualenv and Django settings must not leak into the leg
_DROPPED_ENV = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "DJANGO_SETTINGS_MODULE"}
_OUTPUT_KEPT = 8000


def leg_env(pythonpath: tuple[Path, ...], settings: str, url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _DROPPED_ENV}
    env.update(
        PYTHONPATH=os.pathsep.join(str(p) for p in pythonpath),
        DJANGO_SETTINGS_MODULE=settings,
        DATABASE_URL=url,
        PYTHONUNBUFFERED="1",
    )
    return env


class Worker:
    """One ``_steps.py`` process; ``close`` it (or use it as a context manager)."""

    def __init__(
        self, python: Path, config: Path, *, env: dict[str, str], cwd: Path, timeout: float
    ) -> None:
        self._timeout = timeout
        self._log_path = config.with_suffix(f".{python.parent.parent.name}.log")
        self._log = open(self._log_path, "wb")  # noqa: SIM115 - closed in close()
        self._proc = subprocess.Popen(
            [str(python), str(_STEPS_SCRIPT), str(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            cwd=cwd,
            env=env,
        )
        self._buffer = b""

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, command: str) -> str | None:
        """Run ``command``; None when it finished, else why the process did not (it died,
        or it ran out of time), with the end of its output."""
        return self.send(command) or self.wait(command)

    def send(self, line: str) -> str | None:
        """Send a command (or ``go``) without waiting; None, or why it could not."""
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(line.encode() + b"\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            return self._ended("the process had ended")
        return None

    def wait(self, command: str) -> str | None:
        """Wait until ``command`` finished (see ``run``)."""
        assert self._proc.stdout is not None
        deadline = time.monotonic() + self._timeout
        fd = self._proc.stdout.fileno()
        while True:
            marker = self._buffer.find(_DONE + b" " + command.encode() + b"\n")
            if marker >= 0:
                self._buffer = self._buffer[marker:].split(b"\n", 1)[1]
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._proc.kill()
                return self._ended(f"timed out after {self._timeout:.0f}s")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return self._ended(f"exited with status {self._proc.wait()}")
            self._buffer += chunk

    def close(self) -> None:
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self._proc.stdin.close()  # end of input: the process exits
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._log.close()

    def _ended(self, why: str) -> str:
        self._log.flush()
        log = self._log_path.read_text(encoding="utf-8", errors="replace")
        output = self._buffer.decode("utf-8", "replace") + log
        return f"{why}\n{output}"[-_OUTPUT_KEPT:]


def steps_of(work_dir: Path, command: str) -> list[dict]:
    """The steps ``command`` reported (see ``_steps.py``); [] when it reported none."""
    path = work_dir / f"steps-{command}.json"
    if not path.is_file():
        return []
    return json.loads(path.read_text(encoding="utf-8"))["steps"]
