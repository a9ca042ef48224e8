"""One release at a time: an exclusive ``flock`` on ``<git common dir>/monorel/release.lock``.

The lock belongs to the process: the kernel drops it when the process ends, however it
ends (SIGKILL included), so a crashed release never leaves a lock to clean up. The file
holds the pid of the holder, for the message of the one that has to wait. It lives in
the git dir shared by every worktree of the repository, so two checkouts of one
repository cannot release at the same time either.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monorel.errors import ReleaseInProgress


def lock_path(common_dir: Path) -> Path:
    return common_dir / "monorel" / "release.lock"


@contextmanager
def held(common_dir: Path) -> Iterator[None]:
    """Hold the release lock, or raise ``ReleaseInProgress`` at once naming the holder."""
    path = lock_path(common_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise ReleaseInProgress(
            f"another release is in progress (pid {holder})",
            fix=f"wait until process {holder} ends (its lock goes with it), then run again",
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor releases the lock
