"""The cache of ``monorel check``: each rule's result per member, keyed by what decides it.

An entry is ``scope -> (key, value)``: the scope names a rule and what it covers
(``makemigrations:billing-app``, ``django-refs:accounts-app``, ``imports``), the key is a
sha256 over exactly the inputs that decide the result (file contents, configuration,
the versions of monorel and of the target environment), and the value is what the rule
computed (its findings, or the raw output of a Django child). A key that differs in any
input misses, so an entry is never trusted across a change; nothing is judged by time.

Everything lives in one JSON file, ``<state-dir>/check-cache.json``, written atomically
(a temporary file, then a rename) at the end of a run, with only the entries this run
used, so entries of removed members do not pile up. A file that cannot be read or is
not a cache of this format is discarded with a warning on stderr and the run checks
everything: a cache can cost time, never a wrong answer. ``--no-cache`` neither reads
nor writes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TypeAlias

from monorel import state_dir, target_env
from monorel.checks.findings import Finding
from monorel.errors import MonorelError
from monorel.workspace import Workspace

SCHEMA = "monorel.check-cache/1"
FILE_NAME = "check-cache.json"

Json: TypeAlias = None | bool | int | float | str | list["Json"] | dict[str, "Json"]


class CorruptEntry(ValueError):
    """A cached value that does not have the shape its rule wrote."""


@dataclass
class CheckCache:
    """The entries of one run. ``path`` None: caching is off (every lookup misses)."""

    path: Path | None
    entries: dict[str, tuple[str, Json]] = field(default_factory=dict)
    used: dict[str, tuple[str, Json]] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    _files: dict[Path, str] = field(default_factory=dict, repr=False)
    _dirs: dict[Path, str] = field(default_factory=dict, repr=False)

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def get(self, scope: str, key: str) -> Json | None:
        """The value stored under ``scope`` for exactly ``key``, else None (a miss). An
        empty key (the inputs could not be told) always misses and is never stored."""
        entry = self.entries.get(scope)
        if self.path is None or not key or entry is None or entry[0] != key:
            self.misses += 1
            return None
        self.hits += 1
        self.used[scope] = entry
        return entry[1]

    def put(self, scope: str, key: str, value: Json) -> None:
        if self.path is not None and key:
            self.used[scope] = (key, value)

    def findings(self, scope: str, key: str) -> list[Finding] | None:
        """Cached findings of ``scope``, or None (a miss, or an entry of another shape)."""
        value = self.get(scope, key)
        if value is None:
            return None
        try:
            return findings_from_json(value)
        except CorruptEntry:
            self.used.pop(scope, None)
            self.hits -= 1
            self.misses += 1
            return None

    def put_findings(self, scope: str, key: str, findings: Sequence[Finding]) -> None:
        self.put(scope, key, [_finding_json(f) for f in findings])

    def file_digest(self, path: Path) -> str:
        """sha256 of the file's bytes (``-`` for a missing or unreadable file), once a run."""
        if path not in self._files:
            try:
                self._files[path] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                self._files[path] = "-"
        return self._files[path]

    def listing_digest(self, directory: Path) -> str:
        """sha256 of the names in ``directory`` (``-`` when it cannot be listed): a new
        module that would shadow an imported one changes it."""
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            return "-"
        return hashlib.sha256("\0".join(names).encode()).hexdigest()

    def tree_digest(self, root: Path, paths: Iterable[Path]) -> str:
        """One digest of many files: each one's path (relative to ``root``) and content."""
        h = hashlib.sha256()
        for path in sorted(set(paths)):
            h.update(_relative(root, path).encode() + b"\0" + self.file_digest(path).encode())
        return h.hexdigest()

    def directory_digest(self, root: Path, directory: Path) -> str:
        """One digest of every ``.py`` file under ``directory`` (recursively, without
        ``__pycache__``), by path relative to ``root`` and content; once a run."""
        if directory not in self._dirs:
            h = hashlib.sha256(_relative(root, directory).encode())
            for rel, path in _python_files(directory):
                h.update(b"\0" + rel.encode() + b"\0" + self.file_digest(path).encode())
            self._dirs[directory] = h.hexdigest()
        return self._dirs[directory]

    def save(self, *, keep_unused: bool) -> None:
        """Write the entries used in this run (and, for a partial run, the others too)."""
        if self.path is None:
            return
        entries = {**self.entries, **self.used} if keep_unused else dict(self.used)
        data = {
            "schema": SCHEMA,
            "entries": {scope: {"key": k, "value": v} for scope, (k, v) in sorted(entries.items())},
        }
        try:
            state_dir.ensure(self.path.parent)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError as exc:
            # the findings are printed already and right: a cache that cannot be written
            # only means the next run checks everything
            print(
                f"monorel: warning: could not write the check cache {self.path}: {exc}",
                file=sys.stderr,
            )


def disabled() -> CheckCache:
    return CheckCache(None)


def load(ws: Workspace) -> CheckCache:
    """The workspace's cache; a damaged file is discarded with a warning on stderr."""
    path = ws.state_dir / FILE_NAME
    if not path.exists():
        return CheckCache(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} file")
        raw = data["entries"]
        if not isinstance(raw, dict):
            raise ValueError("its entries are not a table")
        entries: dict[str, tuple[str, Json]] = {}
        for scope, entry in raw.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
                raise ValueError(f"entry {scope!r} has no key")
            entries[scope] = (entry["key"], entry.get("value"))
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        print(
            f"monorel: warning: discarded the check cache {path} ({exc}); checking everything",
            file=sys.stderr,
        )
        return CheckCache(path)
    return CheckCache(path, entries)


def digest(*parts: object) -> str:
    """sha256 of the parts' JSON (sorted keys): a key from plain values."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@cache
def tool_digest() -> str:
    """monorel's version and the digest of its own code: a rule that changes misses."""
    package = Path(__file__).parent
    h = hashlib.sha256(_monorel_version().encode())
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" not in path.parts:
            h.update(path.relative_to(package).as_posix().encode() + b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()


def environment_digest(root: Path) -> str:
    """The target environment as Django runs in it: interpreter, Python, and every
    installed distribution with its version (Django's among them). Empty when it cannot
    be told: keys made from it are empty, so nothing is read or stored."""
    try:
        interpreter = Path(target_env.python(root, needs_django=True))
    except MonorelError:
        return ""
    env = interpreter.parent.parent
    sites = sorted(env.glob("lib/python*/site-packages")) + sorted(env.glob("Lib/site-packages"))
    if sites:
        installed = sorted(p.name for site in sites for p in site.glob("*.dist-info"))
        config = env / "pyvenv.cfg"
        venv = config.read_text(encoding="utf-8", errors="replace") if config.is_file() else ""
        return digest(str(interpreter), [str(s) for s in sites], installed, venv)
    # monorel's own interpreter (no environment directory of its own): what it imports
    installed = sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions())
    return digest(str(interpreter), sys.version, installed)


def findings_from_json(value: Json) -> list[Finding]:
    if not isinstance(value, list):
        raise CorruptEntry("findings are not a list")
    found = []
    for item in value:
        if not isinstance(item, dict):
            raise CorruptEntry("a finding is not a table")
        path, line, rule = item.get("path"), item.get("line"), item.get("rule")
        message, fix, target = item.get("message"), item.get("fix"), item.get("target")
        if not (
            isinstance(path, str)
            and (line is None or (isinstance(line, int) and not isinstance(line, bool)))
            and isinstance(rule, str)
            and isinstance(message, str)
            and isinstance(fix, str)
            and (target is None or isinstance(target, str))
        ):
            raise CorruptEntry("a finding lacks a field")
        found.append(Finding(path, line, rule, message, fix, target))
    return found


def _finding_json(finding: Finding) -> dict[str, Json]:
    return {
        "path": finding.path,
        "line": finding.line,
        "rule": finding.rule,
        "message": finding.message,
        "fix": finding.fix,
        "target": finding.target,
    }


def _python_files(directory: Path) -> list[tuple[str, Path]]:
    """(path relative to ``directory``, path) of every ``.py`` file below it, sorted."""
    found: list[tuple[str, Path]] = []
    pending = [("", str(directory))]
    while pending:
        prefix, current = pending.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue  # not a directory (or unreadable): it holds no module to import
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_dir():
                if entry.name != "__pycache__":
                    pending.append((rel + "/", entry.path))
            elif entry.name.endswith(".py"):
                found.append((rel, Path(entry.path)))
    return sorted(found)


def _relative(root: Path, path: Path) -> str:
    text, base = path.as_posix(), root.as_posix().rstrip("/") + "/"
    return text[len(base) :] if text.startswith(base) else text


def _monorel_version() -> str:
    try:
        return metadata.version("monorel")
    except metadata.PackageNotFoundError:
        return "unknown"
