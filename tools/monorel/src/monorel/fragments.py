"""towncrier fragments of a member: where they are, which types it knows, which are valid.

A fragment is a file directly in the member's fragment directory
(``[tool.towncrier] directory``, default ``changelog.d``) named ``<slug>.<type>.md``,
``<slug>.<type>.<n>.md`` or, for an entry without an issue, ``+<slug>.<type>[.<n>].md``,
where ``<type>`` is one of the member's ``[[tool.towncrier.type]]`` directories (or
``[tool.towncrier.fragment.<type>]`` tables; towncrier's defaults when neither is set).
Files towncrier ignores (``.gitkeep``, ``README.md``, ``ignore = [...]``) are skipped.

A fragment is a regular file of at most 64 KiB of UTF-8 text. A symbolic link (whatever
its name), a directory, a fifo or device, a bigger file or bytes that are not UTF-8 are
invalid, and nothing is ever read through a link: entries are judged by ``lstat`` and
opened with ``O_NOFOLLOW`` (a link to a credentials file must not end up in a changelog).
A fragment directory that is itself a link is invalid as a whole.

Every member also knows ``skip`` (``+<slug>.skip.md``): monorel's type for a change that
releases nothing (``monorel.bumps``: no bump). towncrier never renders it (``monorel init``
writes ``ignore = ["*.skip.md"]``); ``monorel version`` removes it with the others.

This is the one place fragment types are validated: a type the member's towncrier
configuration does not know, and one ``monorel.bumps`` gives no bump level, are both
invalid fragments here, for ``check``, ``plan`` and ``version`` alike.

``scan(member)`` reports valid and invalid fragments; ``collect(member)`` returns the
valid ones and raises ``FragmentError`` on the first invalid one.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monorel import bumps
from monorel.errors import FragmentError
from monorel.workspace import Member

# towncrier's defaults when a project configures no types
DEFAULT_TYPES = ("feature", "bugfix", "doc", "removal", "misc")
SKIP = "skip"  # monorel's own type: a change that releases nothing
MAX_FRAGMENT_BYTES = 64 * 1024
_IGNORED = (".gitignore", ".gitkeep", ".keep", "readme", "readme.md", "readme.rst")
_NAME = re.compile(
    r"^(?P<orphan>\+)?(?P<slug>[A-Za-z0-9_][A-Za-z0-9_-]*)"
    r"\.(?P<type>[A-Za-z][A-Za-z0-9_-]*)(?:\.(?P<counter>\d+))?\.md$"
)


@dataclass(frozen=True)
class Fragment:
    path: Path
    slug: str  # the issue number or free slug ("" never: orphans keep theirs)
    type: str  # e.g. "feature"
    counter: int  # the optional ``.<n>`` (0 when absent)
    orphan: bool  # named ``+<slug>...``: no issue link in the changelog
    text: str


@dataclass(frozen=True)
class InvalidFragment:
    path: Path
    problem: str
    fix: str


@dataclass(frozen=True)
class FragmentScan:
    fragments: tuple[Fragment, ...]
    invalid: tuple[InvalidFragment, ...]


def types(member: Member) -> tuple[str, ...]:
    """The fragment types the member's towncrier configuration knows (``skip`` aside: every
    member knows that one)."""
    config = _towncrier(member)
    if "type" in config:
        return tuple(t.get("directory", str(t.get("name", "")).lower()) for t in config["type"])
    if "fragment" in config:
        return tuple(sorted(config["fragment"]))
    return DEFAULT_TYPES


def scan(member: Member) -> FragmentScan:
    """Every file in the member's fragment directory, sorted by name, as valid or invalid."""
    directory = member.changelog_dir
    if directory.is_symlink():
        return FragmentScan((), (_linked_directory(directory),))
    if not directory.is_dir():
        return FragmentScan((), ())
    known = types(member)
    config = _towncrier(member)
    ignored = (*_IGNORED, *(str(p).lower() for p in config.get("ignore", [])))
    orphan_prefix = config.get("orphan_prefix", "+")
    valid: list[Fragment] = []
    invalid: list[InvalidFragment] = []
    for path in sorted(directory.iterdir()):
        if path.is_symlink():  # even under an ignored name: towncrier or the sdist may read it
            invalid.append(_link(path))
            continue
        skip = _NAME.match(path.name.removeprefix(orphan_prefix) if orphan_prefix else path.name)
        is_skip = skip is not None and skip["type"] == SKIP
        # towncrier is told to ignore skip fragments; monorel reads them all the same
        if not is_skip and any(fnmatch.fnmatch(path.name.lower(), p) for p in ignored):
            continue
        problem = _problem(path, known, orphan_prefix)
        if isinstance(problem, InvalidFragment):
            invalid.append(problem)
        else:
            valid.append(problem)
    return FragmentScan(tuple(valid), tuple(invalid))


def collect(member: Member) -> list[Fragment]:
    """The member's valid fragments; ``FragmentError`` names the first invalid one."""
    found = scan(member)
    if found.invalid:
        first = found.invalid[0]
        raise FragmentError(f"{first.path}: {first.problem}", fix=first.fix)
    return list(found.fragments)


def _problem(path: Path, known: tuple[str, ...], orphan_prefix: str) -> Fragment | InvalidFragment:
    shape = (
        f"<slug>.<type>.md or {orphan_prefix}<slug>.<type>.md, <type> one of: {', '.join(known)}"
    )
    if path.is_dir():
        return InvalidFragment(
            path, "a directory among the fragments", f"move its files up into {path.parent.name}/"
        )
    if not stat.S_ISREG(path.lstat().st_mode):
        return InvalidFragment(
            path, "not a regular file (a fifo, socket or device)", "replace it with a text file"
        )
    name = path.name
    orphan = bool(orphan_prefix) and name.startswith(orphan_prefix)
    candidate = "+" + name[len(orphan_prefix) :] if orphan else name
    match = _NAME.match(candidate)
    if match is None:
        without_extension = _NAME.match(f"{candidate}.md")
        if without_extension and without_extension["type"] in known:
            return InvalidFragment(path, "no .md extension", f"rename it to {name}.md")
        return InvalidFragment(path, "not a fragment name", f"rename it to {shape}")
    if match["type"] not in known and match["type"] != SKIP:
        return InvalidFragment(
            path, f"unknown fragment type {match['type']!r}", f"rename it to {shape}"
        )
    if match["type"] not in bumps.FRAGMENT_BUMPS:
        levels = ", ".join(bumps.FRAGMENT_BUMPS)
        return InvalidFragment(
            path,
            f"fragment type {match['type']!r} has no bump level",
            f"use a type monorel knows ({levels}), and configure it in [tool.towncrier]",
        )
    text = _read_text(path)
    if isinstance(text, InvalidFragment):
        return text
    if not text.strip():
        return InvalidFragment(path, "empty fragment", "write the changelog entry into it")
    return Fragment(
        path=path,
        slug=match["slug"],
        type=match["type"],
        counter=int(match["counter"] or 0),
        orphan=orphan,
        text=text,
    )


def _read_text(path: Path) -> str | InvalidFragment:
    """The fragment's text, read without following a link, or why it cannot be a fragment."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # replaced by a link since it was listed
            return _link(path)
        return InvalidFragment(path, f"cannot be read ({exc.strerror})", "fix its permissions")
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return InvalidFragment(
                path, "not a regular file (a fifo, socket or device)", "replace it with a text file"
            )
        data = handle.read(MAX_FRAGMENT_BYTES + 1)
    if len(data) > MAX_FRAGMENT_BYTES:
        return InvalidFragment(
            path,
            f"{max(info.st_size, len(data))} bytes, more than a fragment may hold (64 KiB)",
            "shorten it to the changelog entry (a few lines; link to longer documentation)",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return InvalidFragment(
            path,
            f"not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r})",
            "save it as UTF-8",
        )


def _link(path: Path) -> InvalidFragment:
    return InvalidFragment(
        path,
        "a symbolic link (fragments must be regular files; monorel does not read through links)",
        f"remove the link and write the changelog entry into a regular file {path.name}",
    )


def _linked_directory(directory: Path) -> InvalidFragment:
    return InvalidFragment(
        directory,
        "the fragment directory is a symbolic link (monorel does not read through links)",
        f"make {directory.name}/ a real directory inside the package",
    )


def _towncrier(member: Member) -> Mapping[str, Any]:
    return member.towncrier
