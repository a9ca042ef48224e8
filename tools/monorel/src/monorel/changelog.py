"""A member's CHANGELOG as text: which versions have a section, and taking sections out.

A section starts at a heading that names its version as a word (Markdown ``## 1.5.0
(2026-01-31)`` or ``# billing-app 1.5.0rc1 (...)``, or a reST title over an underline of
one repeated punctuation character) and ends at the next heading of the same or a higher
level. ``1.5.0`` names neither ``1.5.0rc1`` nor ``11.5.0``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from packaging.version import InvalidVersion, Version

# a reST section underline: one punctuation character, three times or more
_UNDERLINE = re.compile(r"([=\-~^*+])\1{2,}\s*")
_MARKDOWN = re.compile(r"^(#{1,6})\s")
# a version as a word of a heading: at least two numbers (a date's "2026-01-31" is not)
_VERSION = re.compile(r"(?<![\w.])(\d+(?:\.\d+)+(?:(?:a|b|rc)\d+)?)(?![\w.])")


def has_section(text: str | None, version: str) -> bool:
    """Whether a heading of ``text`` names ``version``."""
    if text is None:
        return False
    named = _names(version)
    return any(named(title) for title, _level, _start, _end in _headings(text.splitlines()))


def versions(text: str) -> list[str]:
    """The version each heading of ``text`` names first, in file order, each once."""
    found: list[str] = []
    for title, *_ in _headings(text.splitlines()):
        version = heading_version(title)
        if version is not None and version not in found:
            found.append(version)
    return found


def heading_version(title: str) -> str | None:
    """The first valid version a heading names as a word; None where it names none."""
    return next((v for v in _VERSION.findall(title) if _parse(v) is not None), None)


def headings(text: str) -> list[tuple[str, int, int, int]]:
    """(title, level, first line, last line) of each heading of ``text``, level 1 the
    highest (see ``_headings``)."""
    return _headings(text.splitlines())


def remove_sections(text: str, named: Callable[[str], bool]) -> str:
    """``text`` without the sections whose heading ``named`` accepts (heading included)."""
    lines = text.splitlines(keepends=True)
    plain = [line.rstrip("\r\n") for line in lines]
    headings = _headings(plain)
    drop: set[int] = set()
    for index, (title, level, start, _end) in enumerate(headings):
        if not named(title):
            continue
        stop = next((h[2] for h in headings[index + 1 :] if h[1] <= level), len(lines))
        drop.update(range(start, stop))
    return "".join(line for number, line in enumerate(lines) if number not in drop)


def without_open_prereleases(text: str) -> str:
    """``text`` without the sections of pre-releases newer than its newest final version:
    the sections of a pre-release series whose fragments are still to be consumed."""
    named = [v for title, *_ in _headings(text.splitlines()) for v in _VERSION.findall(title)]
    versions = [v for v in map(_parse, named) if v is not None]
    finals = [v for v in versions if not v.is_prerelease]
    newest = max(finals, default=None)
    open_ = {str(v) for v in versions if v.is_prerelease and (newest is None or v > newest)}
    if not open_:
        return text
    pattern = "|".join(re.escape(v) for v in sorted(open_, key=len, reverse=True))
    return remove_sections(text, version_pattern(f"(?:{pattern})"))


def version_pattern(pattern: str) -> Callable[[str], bool]:
    """A heading test for versions matching the regular expression ``pattern`` as a word."""
    compiled = re.compile(rf"(?<![\w.]){pattern}(?![\w.])")
    return lambda title: compiled.search(title) is not None


def _names(version: str) -> Callable[[str], bool]:
    return version_pattern(re.escape(version))


def _headings(lines: list[str]) -> list[tuple[str, int, int, int]]:
    """(title, level, first line, last line) of each heading, level 1 the highest.

    Markdown: the number of "#". reST: the underline characters in the order they first
    appear (as reST itself ranks them: towncrier's version titles come before their
    categories' underlines).
    """
    found: list[tuple[str, int, int, int]] = []
    underlines: list[str] = []
    for number, line in enumerate(lines):
        below = lines[number + 1] if number + 1 < len(lines) else ""
        markdown = _MARKDOWN.match(line.lstrip())
        if markdown:
            found.append((line, len(markdown.group(1)), number, number))
        elif line.strip() and _UNDERLINE.fullmatch(below):
            char = below.strip()[0]
            if char not in underlines:
                underlines.append(char)
            found.append((line, underlines.index(char) + 1, number, number + 1))
    return found


def _parse(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None
