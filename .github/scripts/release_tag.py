"""Resolve a release tag for release.yml, and cut its changelog section.

    uv run python .github/scripts/release_tag.py resolve billing-app-v2.4.1
        package=billing-app / version=2.4.1 / prerelease=false lines, for $GITHUB_OUTPUT;
        refused (exit 1) when the tag does not name a released workspace package at the
        version its pyproject.toml declares in this checkout.
    uv run python .github/scripts/release_tag.py notes billing-app-v2.4.1
        the "## 2.4.1 ..." section of the package's CHANGELOG.md, for the GitHub release;
        refused (exit 1) when the section is missing or empty.
    uv run python .github/scripts/release_tag.py gate accounts-app-v1.1.0 billing-app-v2.0.0rc1
        finals=... / prereleases=... / prerelease_tags=... lines (packages separated by
        spaces), for $GITHUB_OUTPUT: the finals go through `monorel gate` to stable, the
        pre-releases to the dev index only; refused (exit 1) when any tag is, as above.

Tags are `<dist-name>-v<version>` and dist names may contain "-v" themselves
("foo-viewer-v1.0.0"), so the tag splits on its last "-v".
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from monorel import workspace
from monorel.errors import MonorelError
from packaging.version import InvalidVersion, Version

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")


class ReleaseTagError(Exception):
    """The tag cannot be released from this checkout."""


@dataclass(frozen=True)
class Release:
    package: str
    version: str
    prerelease: bool
    changelog: Path


def split_tag(tag: str) -> tuple[str, str]:
    name, sep, version = tag.rpartition("-v")
    if not sep or not name or not version:
        raise ReleaseTagError(f"tag {tag!r} is not of the form <dist-name>-v<version>")
    return name, version


def resolve(ws: workspace.Workspace, tag: str) -> Release:
    name, version = split_tag(tag)
    member = ws.members.get(name)
    if member is None:
        raise ReleaseTagError(
            f"tag {tag!r} names {name!r}, which is not a workspace member "
            f"(members: {', '.join(sorted(ws.members))})"
        )
    if not member.released:
        raise ReleaseTagError(f"tag {tag!r}: {member.name} is not a released package")
    if member.version != version:
        raise ReleaseTagError(
            f"tag {tag!r} says {member.name} {version}, but "
            f"{member.pyproject.relative_to(ws.root)} says {member.version}; "
            "tag the commit that `monorel version` made"
        )
    try:
        prerelease = Version(version).is_prerelease
    except InvalidVersion as exc:
        raise ReleaseTagError(f"tag {tag!r}: {version!r} is not a valid version") from exc
    return Release(
        package=member.name,
        version=version,
        prerelease=prerelease,
        changelog=member.changelog_file,
    )


def changelog_section(text: str, version: str) -> str:
    """The body under the heading that starts with ``version``, up to the next heading of
    the same or a higher level; towncrier writes "## 2.4.1 (2025-01-31)"."""
    lines = text.splitlines()
    start = level = None
    for index, line in enumerate(lines):
        match = _HEADING.match(line)
        if match is None:
            continue
        if start is None:
            words = match.group(2).split()
            if words and words[0].removeprefix("v") == version:
                start, level = index + 1, len(match.group(1))
        elif len(match.group(1)) <= level:
            return "\n".join(lines[start:index]).strip()
    if start is None:
        raise ReleaseTagError(f"no '{version}' section in the changelog")
    return "\n".join(lines[start:]).strip()


def release_notes(release: Release) -> str:
    try:
        text = release.changelog.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ReleaseTagError(f"{release.changelog} does not exist") from exc
    try:
        notes = changelog_section(text, release.version)
    except ReleaseTagError as exc:
        raise ReleaseTagError(f"{release.changelog}: {exc}") from exc
    if not notes:
        raise ReleaseTagError(f"{release.changelog}: the {release.version} section is empty")
    return notes


def gate_outputs(releases: list[Release], tags: list[str]) -> list[str]:
    """The $GITHUB_OUTPUT lines of `gate`: which packages are gated, which go to dev only."""
    finals = [r.package for r in releases if not r.prerelease]
    pre = [(r.package, tag) for r, tag in zip(releases, tags, strict=True) if r.prerelease]
    return [
        f"finals={' '.join(finals)}",
        f"prereleases={' '.join(p for p, _ in pre)}",
        f"prerelease_tags={' '.join(t for _, t in pre)}",
    ]


def main(argv: list[str]) -> int:
    gate = len(argv) >= 2 and argv[0] == "gate"
    if not gate and (len(argv) != 2 or argv[0] not in ("resolve", "notes")):
        print("usage: release_tag.py resolve|notes TAG | gate TAG...", file=sys.stderr)
        return 2
    action, tags = argv[0], argv[1:]
    try:
        ws = workspace.load(Path.cwd())
        releases = [resolve(ws, tag) for tag in tags]
        if gate:
            print("\n".join(gate_outputs(releases, tags)))
        elif action == "resolve":
            release = releases[0]
            print(f"package={release.package}")
            print(f"version={release.version}")
            print(f"prerelease={str(release.prerelease).lower()}")
        else:
            print(release_notes(releases[0]))
    except MonorelError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except ReleaseTagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
