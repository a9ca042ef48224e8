"""A pushed release tag, resolved for the release workflow, and its changelog section.

``resolve`` reads the tag with the workspace's ``tag-format`` and refuses (``TagRefused``,
exit 1) a tag that does not name a released member at the version its pyproject.toml
declares in this checkout; ``release_notes`` cuts that version's section from the
member's changelog (towncrier writes "## 2.4.1 (2025-01-31)"). ``monorel tag`` and
``.github/scripts/release_tag.py`` both call these, so no workflow spells a tag format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from monorel.errors import TagRefused
from monorel.workspace import Workspace

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")


@dataclass(frozen=True)
class Release:
    package: str
    version: str
    prerelease: bool
    changelog: Path


def resolve(ws: Workspace, tag: str) -> Release:
    fmt = ws.config.tag_format
    parts = fmt.split(tag)
    if parts is None:
        raise TagRefused(
            f"tag {tag!r} is not of the form {fmt.shape}", fix=_FIX.format(shape=fmt.shape)
        )
    name, version = parts
    member = ws.members.get(canonicalize_name(name))
    if member is None:
        raise TagRefused(
            f"tag {tag!r} names {name!r}, which is not a workspace member "
            f"(members: {', '.join(sorted(ws.members))})",
            fix=_FIX.format(shape=fmt.shape),
        )
    if not member.released:
        raise TagRefused(f"tag {tag!r}: {member.name} is not a released package", fix=_FIX_RELEASE)
    if member.version != version:
        raise TagRefused(
            f"tag {tag!r} says {member.name} {version}, but "
            f"{member.pyproject.relative_to(ws.root)} says {member.version}; "
            "tag the commit that `monorel version` made",
            fix="delete the tag and push the one `monorel version --yes` made",
        )
    try:
        prerelease = Version(version).is_prerelease
    except InvalidVersion as exc:
        raise TagRefused(
            f"tag {tag!r}: {version!r} is not a valid version", fix=_FIX_RELEASE
        ) from exc
    return Release(member.name, version, prerelease, member.changelog_file)


_FIX = "push the tags `monorel version --yes` makes ({shape}, [tool.monorel] tag-format)"
_FIX_RELEASE = "release with `monorel version --yes`, which tags released packages only"


def changelog_section(text: str, version: str) -> str:
    """The body under the heading that names ``version`` first ("## 2.4.1 (2025-01-31)") or
    after the name (towncrier's default, "# billing-app 2.4.1 (2025-01-31)"), up to the next
    heading of the same or a higher level."""
    lines = text.splitlines()
    start = level = None
    for index, line in enumerate(lines):
        match = _HEADING.match(line)
        if match is None:
            continue
        if start is None:
            words = match.group(2).split()
            if version in (w.removeprefix("v") for w in words[:2]):
                start, level = index + 1, len(match.group(1))
        elif len(match.group(1)) <= level:
            return "\n".join(lines[start:index]).strip()
    if start is None:
        raise TagRefused(
            f"no '{version}' section in the changelog",
            fix="release with `monorel version --yes`, which writes the section",
        )
    return "\n".join(lines[start:]).strip()


def release_notes(release: Release) -> str:
    try:
        text = release.changelog.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise TagRefused(f"{release.changelog} does not exist", fix=_FIX_RELEASE) from exc
    try:
        notes = changelog_section(text, release.version)
    except TagRefused as exc:
        raise TagRefused(f"{release.changelog}: {exc}", fix=exc.fix) from exc
    if not notes:
        raise TagRefused(
            f"{release.changelog}: the {release.version} section is empty", fix=_FIX_RELEASE
        )
    return notes
