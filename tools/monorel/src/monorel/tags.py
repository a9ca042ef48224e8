"""Release tag names: one format (``[tool.monorel] tag-format``) for every tag made or read.

The format holds ``{dist}`` (the canonical distribution name) and ``{version}`` once
each, e.g. ``{dist}-v{version}`` (the default, ``billing-app-v2.4.1``), ``{dist}@{version}``
or ``release/{dist}/{version}``. ``monorel version`` makes tags with it, release points and
builds read them with it, and ``monorel tag resolve`` (release.yml's resolver) parses a
pushed tag with it, so no workflow hard-codes a format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

DEFAULT_FORMAT = "{dist}-v{version}"
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# what git refuses in a ref name (git check-ref-format), plus the glob characters
_BAD_REF = re.compile(r"[\s~^:?*\[\\]|\.\.|@\{|//|^/|/$|\.lock$|^\.|/\.")


@dataclass(frozen=True)
class TagFormat:
    template: str = DEFAULT_FORMAT

    def tag(self, dist: str, version: str) -> str:
        return self.template.replace("{dist}", dist).replace("{version}", version)

    def glob(self, dist: str) -> str:
        """A ``git tag --list`` pattern for every tag of ``dist``."""
        return self.tag(dist, "*")

    def workflow_glob(self) -> str:
        """A GitHub ``on.push.tags`` filter for every release tag (``*-v*`` by default)."""
        return self.template.replace("{dist}", "*").replace("{version}", "*")

    def version_of(self, dist: str, tag: str) -> str | None:
        """The version ``tag`` names for ``dist``; None when it is no release tag of ``dist``
        (another package's, or no valid version)."""
        before, _, after = self.tag(dist, "\0").partition("\0")
        if not (tag.startswith(before) and tag.endswith(after)) or len(tag) <= len(before + after):
            return None
        version = tag[len(before) : len(tag) - len(after)]
        return version if _valid(version) else None

    def split(self, tag: str) -> tuple[str, str] | None:
        """(dist, version) as the format spells them, whatever the workspace holds; the
        longest dist wins (``a-v-v1.0`` is a-v's 1.0 under ``{dist}-v{version}``)."""
        pattern = "".join(
            "(?P<dist>.+)"
            if part == "{dist}"
            else "(?P<version>[^/]+?)"
            if part == "{version}"
            else re.escape(part)
            for part in re.split(r"(\{dist\}|\{version\})", self.template)
        )
        match = re.fullmatch(pattern, tag)
        return (match["dist"], match["version"]) if match else None

    @property
    def shape(self) -> str:
        """The format for people: ``<dist-name>-v<version>``."""
        return self.template.replace("{dist}", "<dist-name>").replace("{version}", "<version>")

    def parse(self, tag: str, dists: Iterable[str]) -> tuple[str, str] | None:
        """(dist, version) of a release tag of one of ``dists``; the longest dist name wins
        where several fit (``foo-viewer-v1.0`` is foo-viewer's, not foo's)."""
        found = [(d, v) for d in dists if (v := self.version_of(d, tag)) is not None]
        return max(found, key=lambda item: len(item[0])) if found else None


def parse_format(raw: str) -> TagFormat | str:
    """The format, or what is wrong with it (for the configuration error)."""
    names = _PLACEHOLDER.findall(raw)
    unknown = sorted({n for n in names if n not in ("dist", "version")})
    if unknown:
        return f"unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}"
    for name in ("dist", "version"):
        if names.count(name) != 1:
            return f"{{{name}}} must appear exactly once"
    sample = TagFormat(raw).tag("billing-app", "1.2.0")
    if _BAD_REF.search(sample) or "{" in sample or "}" in sample:
        return f"{sample!r} is not a valid git tag name"
    return TagFormat(raw)


def _valid(version: str) -> bool:
    try:
        Version(version)
    except InvalidVersion:
        return False
    return True
