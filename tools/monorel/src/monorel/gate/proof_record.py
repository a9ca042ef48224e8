"""The record of the last passed proof of `monorel ship --local`: what lets a ship with
nothing new say "the proof still holds" instead of proving the same files again.

A record holds the sha256 of every index file the proof used (each released package at
its current version) and one digest of everything else that decides the proof
(``inputs_digest``): the consumer template, the host's contract tests, every workspace
member's directory (the suites' sources and configuration, the rehearsed packages'
sources, migrations, seeds and fragments), the workspace's pyproject.toml and uv.lock,
the release tags (the rehearsals build old releases from them), the running monorel, the
Python and the proof's options; and the digest of the wheelhouse the consumer installed
its third-party wheels from (``wheelhouse_digest``, read after the proof: the proof fills
it). A record is reused only when all three are exactly what they are now; any change
means the proof runs again.

It lives at ``<state-dir>/gate/last-proof.json``, is written atomically (a temporary file
renamed over it) after a proof passed, and removed before a proof runs, so that a proof
that fails never leaves an older pass behind for the same inputs. A record that cannot be
read is ``Corrupt``: the caller discards it with a warning and the proof runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from monorel.adapters import git
from monorel.gate import consumer
from monorel.workspace import Workspace

_FORMAT = 1
_RECORD = Path("gate") / "last-proof.json"
# never part of what a proof reads: environments, caches (the host's suite runs in place and
# leaves hypothesis's example database behind), build output, local databases
_SKIP_DIRS = frozenset(
    {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
     ".hypothesis", "node_modules", "build", "dist", ".tox", ".nox"}
)  # fmt: skip
_SKIP_SUFFIXES = (".pyc", ".pyo", ".sqlite3", ".egg-info")
_CHUNK = 1 << 20


class Corrupt(Exception):
    """The record file exists but is not a record this monorel wrote."""


@dataclass(frozen=True)
class ProofRecord:
    inputs: str  # inputs_digest() when the proof started
    wheelhouse: str  # wheelhouse_digest() after it passed
    files: dict[str, str]  # filename -> sha256 of every index file the proof used
    proved_at: str  # when it passed, ISO 8601 UTC
    proofs: tuple[str, ...]  # the proofs that passed

    @property
    def digest(self) -> str:
        """One short name for what was proven: the inputs and every file."""
        text = (
            self.inputs
            + self.wheelhouse
            + "".join(f"\n{n} {d}" for n, d in sorted(self.files.items()))
        )
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def holds_for(self, inputs: str, wheelhouse: str, files: dict[str, str]) -> str | None:
        """None when this proof covers exactly what is given; else why not."""
        if files != self.files:
            return "the files on the index are not the ones it proved"
        if inputs != self.inputs:
            return "its inputs changed (consumer, contract tests, sources or configuration)"
        if wheelhouse != self.wheelhouse:
            return "the third-party wheels in the wheelhouse changed"
        return None


@dataclass(frozen=True)
class Verdict:
    """Whether a ship with nothing new reuses the recorded proof."""

    reused: ProofRecord | None  # the record that still holds; None: the proof runs
    why: str = ""  # why the proof runs
    warning: str = ""  # a record that could not be read was discarded


def judge(
    record: Path, *, inputs: str, wheelhouse: str, files: dict[str, str], reprove: bool
) -> Verdict:
    """Reuse the record at ``record`` only if it covers exactly these inputs and files."""
    warning = ""
    try:
        last = load(record)
    except Corrupt as exc:
        warning = f"discarded the proof record {record}: {exc}; the proof runs"
        discard(record)
        last = None
    if last is None:
        return Verdict(None, "no proof recorded", warning)
    why = last.holds_for(inputs, wheelhouse, files)
    if why is not None:
        return Verdict(None, why)
    if reprove:
        return Verdict(None, "--reprove")
    return Verdict(last)


def path(ws: Workspace) -> Path:
    return ws.state_dir / _RECORD


def load(record: Path) -> ProofRecord | None:
    """The record at ``record``; None if there is none; ``Corrupt`` if it is unreadable."""
    try:
        text = record.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise Corrupt(f"cannot read it ({exc})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Corrupt(f"not JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise Corrupt(f"not a format {_FORMAT} proof record")
    inputs, wheelhouse, files = data.get("inputs"), data.get("wheelhouse"), data.get("files")
    proved_at, proofs = data.get("proved_at"), data.get("proofs")
    if not (
        isinstance(inputs, str)
        and len(inputs) == 64
        and isinstance(wheelhouse, str)
        and len(wheelhouse) == 64
        and isinstance(files, dict)
        and files
        and all(isinstance(k, str) and isinstance(v, str) and v for k, v in files.items())
        and isinstance(proved_at, str)
        and isinstance(proofs, list)
        and all(isinstance(p, str) for p in proofs)
    ):
        raise Corrupt("a field is missing or of the wrong type")
    return ProofRecord(inputs, wheelhouse, dict(files), proved_at, tuple(proofs))


def save(record: Path, proof: ProofRecord) -> None:
    """Write ``proof`` to ``record`` atomically: readers see the old file or the new one."""
    record.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "format": _FORMAT,
        "inputs": proof.inputs,
        "wheelhouse": proof.wheelhouse,
        "files": dict(sorted(proof.files.items())),
        "proved_at": proof.proved_at,
        "proofs": list(proof.proofs),
    }
    fd, temporary = tempfile.mkstemp(dir=record.parent, prefix=".last-proof-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, record)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def discard(record: Path) -> None:
    record.unlink(missing_ok=True)


def inputs_digest(ws: Workspace, *, db: str) -> str:
    """sha256 over everything besides the index files that decides the gate's proof."""
    template, contracts = consumer.consumer_sources(ws)
    digest = hashlib.sha256()

    def add(label: str, value: str) -> None:
        digest.update(f"{label}\0{value}\n".encode())

    options = {
        "db": db,
        "python": sys.version,
        "executable": sys.executable,
        "platform": platform.platform(),
    }
    add("options", json.dumps(options, sort_keys=True))
    trees = [template, contracts, *(m.path for m in ws.members.values())]
    trees += [Path(__file__).resolve().parent.parent]  # the monorel that runs the proof
    state = ws.state_dir.resolve()  # caches and builds, never a source (a member at the root)
    for tree in sorted({t.resolve() for t in trees}):
        for file in _files(tree, skip=state):
            add(f"file {file}", _sha256(file))
    for name in ("pyproject.toml", "uv.lock"):
        file = ws.root / name
        add(f"root {name}", _sha256(file) if file.is_file() else "absent")
    if git.is_repository(ws.root):
        for tag, commit in git.tag_commits(ws.root).items():
            add(f"tag {tag}", commit or git.tag_commit(ws.root, tag))
    else:
        add("tags", "not a git repository")
    return digest.hexdigest()


def wheelhouse_digest(ws: Workspace) -> str:
    """sha256 over the name and bytes of every file in ``<state-dir>/wheelhouse``."""
    digest = hashlib.sha256()
    wheelhouse = ws.state_dir / consumer.WHEELHOUSE
    for file in sorted(wheelhouse.iterdir()) if wheelhouse.is_dir() else []:
        if file.is_file():
            digest.update(f"{file.name}\0{_sha256(file)}\n".encode())
    return digest.hexdigest()


def _files(tree: Path, *, skip: Path) -> Iterator[Path]:
    """Every file below ``tree`` a proof could read, in a stable order."""
    if tree.is_file():
        yield tree
        return
    for directory, dirs, names in os.walk(tree):
        here = Path(directory)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIP_DIRS and not d.endswith(_SKIP_SUFFIXES) and here / d != skip
        )
        for name in sorted(_kept(names)):
            file = here / name
            if file.is_file():
                yield file


def _kept(names: Iterable[str]) -> Iterator[str]:
    return (n for n in names if not n.endswith(_SKIP_SUFFIXES))


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
