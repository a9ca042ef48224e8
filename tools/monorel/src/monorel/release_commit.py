"""How a release reaches the repository: prepared aside, then published in one step.

1. Staging: a linked worktree of HEAD in a temporary directory (``git worktree add
   --detach``, named ``monorel-release-*``). Everything the release writes (versions,
   pins, ``uv.lock``, changelogs) is written there, never in the repository's own
   working tree.
2. Objects: ``git commit`` in the staging worktree, so the repository's own hooks
   (pre-commit, commit-msg) judge the release commit as they judge any other, makes the
   commit object on that worktree's detached HEAD; ``git mktag`` makes the annotated tag
   objects. No branch or tag moves.
3. Journal: ``<git common dir>/monorel/release.json`` records the ref updates and the
   commits before and after, before anything moves.
4. Publish: the branch and every tag in one ``git update-ref --stdin`` transaction (all
   or none), then the working tree and index brought from the old commit to the release
   (``git read-tree -m -u``), then the journal removed.

Until step 4, SIGINT, SIGTERM and SIGHUP roll back: the staging worktree is removed and
the objects stay unreferenced (``git gc`` drops them); nothing the repository shows has
changed. During step 4 these signals wait until it is done, and are then reported: the
release is whole. After SIGKILL, the journal or a leftover staging worktree tells the
next run what happened (``monorel.release_recovery``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType

from monorel.adapters import git

STAGING_PREFIX = "monorel-release-"
JOURNAL_SCHEMA = "monorel.release-journal/1"
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class Journal:
    """What a release is about to change, written before it changes anything."""

    ref: str  # the branch that moves, e.g. "refs/heads/main"
    old: str | None  # its value before (None: the branch is created)
    new: str  # the release commit
    base: str  # the commit the release was made on
    tags: dict[str, str]  # "refs/tags/<name>" -> the annotated tag object
    worktree: str | None  # the working tree brought to ``new``; None: a --branch release
    pid: int = field(default_factory=os.getpid)
    schema: str = JOURNAL_SCHEMA

    def updates(self) -> list[tuple[str, str, str | None]]:
        return [(self.ref, self.new, self.old)] + [(t, o, None) for t, o in self.tags.items()]

    @property
    def tag_names(self) -> list[str]:
        return [t.removeprefix("refs/tags/") for t in self.tags]


def journal_path(common_dir: Path) -> Path:
    return common_dir / "monorel" / "release.json"


def save_journal(common_dir: Path, journal: Journal) -> None:
    path = journal_path(common_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.tmp")
    with partial.open("w", encoding="utf-8") as handle:
        json.dump(asdict(journal), handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)  # the journal is either the old one, absent, or whole


def load_journal(common_dir: Path) -> Journal | None:
    """The journal of an unfinished release; None where there is none.

    ``ValueError`` for a journal that cannot be read (the caller names it).
    """
    path = journal_path(common_dir)
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != JOURNAL_SCHEMA:
        raise ValueError(f"{path}: not a {JOURNAL_SCHEMA} journal")
    return Journal(**data)


def remove_journal(common_dir: Path) -> None:
    journal_path(common_dir).unlink(missing_ok=True)


# -- staging ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staging:
    """A linked worktree of the release's base commit, where the release is written."""

    repo: Path  # a directory of the repository's own worktree
    top: Path  # the staging worktree's top
    prefix: str  # where the workspace lies in the repository ("" or "sub/dir/")

    @property
    def workspace_root(self) -> Path:
        return self.top / self.prefix if self.prefix else self.top

    def place(self, ws_root: Path, path: Path) -> Path:
        """``path`` of the workspace at ``ws_root``, inside the staging worktree."""
        return self.workspace_root / path.relative_to(ws_root)

    def commit(self, paths: list[str], message: str) -> str:
        """Stage ``paths`` (relative to the workspace) and commit them; hooks run."""
        git.add_all(self.workspace_root, paths)
        return git.commit(self.workspace_root, message)

    def tag_object(self, name: str, commit: str, message: str) -> str:
        return git.make_tag_object(self.top, name, commit, message)


@contextmanager
def staging(root: Path, base: str) -> Iterator[Staging]:
    """A staging worktree of ``base``, removed on the way out whatever happens."""
    top = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX))
    try:
        git.worktree_add(root, top, base)
        yield Staging(repo=root, top=top, prefix=git.show_prefix(root))
    finally:
        with held_signals():  # a second Ctrl-C must not leave the worktree half-removed
            try:
                git.worktree_remove(root, top)
            finally:
                shutil.rmtree(top, ignore_errors=True)


def leftover_stagings(root: Path) -> list[Path]:
    """Staging worktrees an earlier release left registered (it was killed)."""
    return [p for p in git.worktrees(root)[1:] if p.name.startswith(STAGING_PREFIX)]


# -- publishing ---------------------------------------------------------------------------


def publish(common_dir: Path, root: Path, journal: Journal, guard: SignalGuard | None) -> None:
    """Journal, one ref transaction, the working tree: the release appears in one step.

    Signals are held back throughout. ``ToolError`` from the transaction means nothing
    moved (the journal is removed); a failure after it leaves the journal for
    ``release_recovery`` to finish, and is re-raised.
    """
    with held_signals():
        save_journal(common_dir, journal)
        try:
            git.update_refs(root, journal.updates())
        except BaseException:
            remove_journal(common_dir)
            raise
        if guard is not None:
            guard.published = True
        if journal.worktree is not None:
            git.fast_forward_tree(Path(journal.worktree), journal.base, journal.new)
        remove_journal(common_dir)


# -- signals ------------------------------------------------------------------------------


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP while a release was being prepared.

    A BaseException, so that no ``except Exception`` on the way swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signal_name = signal.Signals(signum).name


class SignalGuard:
    """While entered, SIGINT, SIGTERM and SIGHUP raise ``Interrupted``; once ``published``
    is set they are only recorded in ``late`` (the release is whole, nothing to undo)."""

    def __init__(self) -> None:
        self.published = False
        self.late: str | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> SignalGuard:
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._handle) for s in _SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.published:
            self.late = signal.Signals(signum).name
            return
        raise Interrupted(signum)


@contextmanager
def held_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP wait (blocked) until the block is done; children
    started inside inherit the mask, so git finishes its transaction too."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
