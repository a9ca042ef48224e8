"""Where each package was last released, and which versions it released before.

A release point is the tag ``<dist-name>-v<version>``; where a repository has no
such tags, it is the commit that set the version in history (the commit that
last changed ``[project] version`` of the member's pyproject.toml).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Literal

from packaging.version import InvalidVersion, Version

from monorel.adapters import git
from monorel.workspace import Member, Workspace


@dataclass(frozen=True)
class ReleasePoint:
    version: str
    commit: str
    source: Literal["tag", "history"]

    @property
    def ref(self) -> str:
        return self.commit


def released_versions(ws: Workspace, member: Member) -> list[ReleasePoint]:
    """Every release of ``member``, oldest first. Tags win over history for the same version."""
    found: dict[str, ReleasePoint] = {}
    for point in _history_points(ws, member):
        found[point.version] = point
    for tag in git.tags(ws.root, f"{member.tag_prefix}*"):
        version = tag.removeprefix(member.tag_prefix)
        if _parse(version) is None:
            continue
        found[version] = ReleasePoint(version, git.tag_commit(ws.root, tag), "tag")
    return sorted(found.values(), key=lambda p: _parse(p.version) or Version("0"))


def last_release(ws: Workspace, member: Member) -> ReleasePoint | None:
    """The release point of the member's current version, else its newest earlier release."""
    points = released_versions(ws, member)
    tagged = [p for p in points if p.source == "tag"]
    if tagged:
        return tagged[-1]
    return points[-1] if points else None


def _history_points(ws: Workspace, member: Member) -> list[ReleasePoint]:
    if not git.is_repository(ws.root) or not git.ref_exists(ws.root, "HEAD"):
        return []  # no repository, or one without commits yet: nothing was released
    rel = member.pyproject.relative_to(ws.root).as_posix()
    points: list[ReleasePoint] = []
    previous_version: str | None = None
    # oldest first, so each point is the first commit that carried the version
    for commit in reversed(git.commits_touching(ws.root, rel)):
        version = _version_at(ws, commit, rel)
        if version is not None and version != previous_version:
            points.append(ReleasePoint(version, commit, "history"))
        previous_version = version
    return points


def _version_at(ws: Workspace, commit: str, rel: str) -> str | None:
    text = git.show(ws.root, commit, rel)
    if text is None:
        return None
    try:
        return str(tomllib.loads(text)["project"]["version"])
    except (tomllib.TOMLDecodeError, KeyError):
        return None


def _parse(version: str) -> Version | None:
    try:
        return Version(version)
    except InvalidVersion:
        return None
