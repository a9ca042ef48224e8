"""Where each package was last released, and which versions it released before.

A release point is the tag ``<dist-name>-v<version>``. Where a repository has no
such tags (a clone made without them, as many CI checkouts are), history tells: the
commit that set ``[project] version`` of the member's pyproject.toml, or, where the
changelog got its section for that version only later (fragments consumed by a
towncrier build after the bump), the first commit whose changelog has that section.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from packaging.version import InvalidVersion, Version

from monorel.adapters import git
from monorel.changelog import has_section
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
    history = _history_points(ws, member)
    tagged = [
        ReleasePoint(version, git.tag_commit(ws.root, tag), "tag")
        for tag, version in _versions_of(member, git.tags(ws.root, f"{member.tag_prefix}*"))
    ]
    return _merged(history, tagged)


def last_release(ws: Workspace, member: Member) -> ReleasePoint | None:
    """The release point of the member's current version, else its newest earlier release."""
    points = released_versions(ws, member)
    tagged = [p for p in points if p.source == "tag"]
    if tagged:
        return tagged[-1]
    return points[-1] if points else None


def released_versions_all(ws: Workspace) -> dict[str, list[ReleasePoint]]:
    """``released_versions`` of every member, reading the tags once."""
    index = ReleaseIndex(ws)
    return {name: index.released_versions(member) for name, member in ws.members.items()}


class ReleaseIndex:
    """``released_versions`` / ``last_release`` of many members from one read of the tags.

    Equal results to the functions, in a few git processes instead of several per member:
    all tags come from one ``for-each-ref``; ``last_release`` of a member with release
    tags needs no history at all. Each answer is kept, so ask once per run.
    """

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._released: dict[str, list[ReleasePoint]] = {}

    def released_versions(self, member: Member) -> list[ReleasePoint]:
        if member.name not in self._released:
            history = _history_points(ws=self.ws, member=member, has_commits=self._has_commits)
            self._released[member.name] = _merged(history, self._tag_points(member))
        return self._released[member.name]

    def last_release(self, member: Member) -> ReleasePoint | None:
        tagged = self._tag_points(member)
        if not tagged:
            points = self.released_versions(member)
            return points[-1] if points else None
        newest = max(_parse(p.version) or Version("0") for p in tagged)
        at_newest = [p for p in tagged if _parse(p.version) == newest]
        if len(at_newest) == 1:
            return at_newest[0]
        # tags spelling one version twice ("1.0", "1.0.0"): the order comes from history
        return [p for p in self.released_versions(member) if p.source == "tag"][-1]

    @cached_property
    def _tags(self) -> dict[str, str | None]:
        return git.tag_commits(self.ws.root)

    @cached_property
    def _has_commits(self) -> bool:
        return git.is_repository(self.ws.root) and git.ref_exists(self.ws.root, "HEAD")

    def _tag_points(self, member: Member) -> list[ReleasePoint]:
        names = [t for t in self._tags if t.startswith(member.tag_prefix)]
        return [
            ReleasePoint(version, self._tags[tag] or git.tag_commit(self.ws.root, tag), "tag")
            for tag, version in _versions_of(member, names)
        ]


def _versions_of(member: Member, tags: list[str]) -> list[tuple[str, str]]:
    """(tag, version) of the member's tags that name a valid version, in the given order."""
    found = [(tag, tag.removeprefix(member.tag_prefix)) for tag in tags]
    return [(tag, version) for tag, version in found if _parse(version) is not None]


def _merged(history: list[ReleasePoint], tagged: list[ReleasePoint]) -> list[ReleasePoint]:
    """History then tags, oldest version first; a tag replaces history of its version."""
    found: dict[str, ReleasePoint] = {}
    for point in [*history, *tagged]:
        found[point.version] = point
    return sorted(found.values(), key=lambda p: _parse(p.version) or Version("0"))


def _history_points(
    ws: Workspace, member: Member, has_commits: bool | None = None
) -> list[ReleasePoint]:
    if has_commits is None:
        has_commits = git.is_repository(ws.root) and git.ref_exists(ws.root, "HEAD")
    if not has_commits:
        return []  # no repository, or one without commits yet: nothing was released
    rel = member.pyproject.relative_to(ws.root).as_posix()
    bumps: list[tuple[str, str]] = []
    previous_version: str | None = None
    # oldest first, so each bump is the first commit that carried the version
    for commit in reversed(git.commits_touching(ws.root, rel)):
        version = _version_at_path(ws, commit, rel)
        if version is not None and version != previous_version:
            bumps.append((version, commit))
        previous_version = version
    changelog = member.changelog_file.relative_to(ws.root).as_posix()
    ends = [commit for _, commit in bumps[1:]] + ["HEAD"]
    return [
        ReleasePoint(version, _released_at(ws, changelog, version, commit, end), "history")
        for (version, commit), end in zip(bumps, ends, strict=True)
    ]


def _released_at(ws: Workspace, changelog: str, version: str, bump: str, end: str) -> str:
    """The bump commit, or the first commit before ``end`` whose changelog has the version's
    section: a release whose changelog was built after the bump happened there, and the
    changes between the two are in that section (their fragments were consumed)."""
    if has_section(git.show(ws.root, bump, changelog), version):
        return bump
    for commit in git.commits_between(ws.root, bump, end, changelog):
        if has_section(git.show(ws.root, commit, changelog), version):
            return commit
    return bump  # the changelog never got the section: the bump is all history tells


def version_at(ws: Workspace, member: Member, commit: str) -> str | None:
    """The member's ``[project] version`` at ``commit``; None where it had none."""
    return _version_at_path(ws, commit, member.pyproject.relative_to(ws.root).as_posix())


def _version_at_path(ws: Workspace, commit: str, rel: str) -> str | None:
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
