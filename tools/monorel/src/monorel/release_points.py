"""Where each package was last released, and which versions it released before.

A release point is the tag ``<dist-name>-v<version>`` (``[tool.monorel] tag-format``).
Where a repository has no such tags (a clone made without them, as many CI checkouts
are), history tells: the commit that set ``[project] version`` of the member's
pyproject.toml, or, where the changelog got its section for that version only later
(fragments consumed by a towncrier build after the bump), the first commit whose
changelog has that section.

Every command that reads release points asks ``Workspace.release_index`` (a
``ReleaseIndex``), which refuses with ``HistoryMissing`` (MR040, exit 2) where the clone
lacks the history they need: a shallow clone cut before the commit that set a version,
or a changelog naming releases that neither tags nor history show. Missing history is
an error, never "nothing was released".
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from packaging.version import InvalidVersion, Version

from monorel.adapters import git
from monorel.changelog import has_section
from monorel.changelog import versions as changelog_versions
from monorel.errors import HistoryMissing
from monorel.workspace import Member, Workspace

_FETCH = (
    "fetch the whole history: git fetch --unshallow --tags "
    "(GitHub Actions: actions/checkout with fetch-depth: 0)"
)


@dataclass(frozen=True)
class ReleasePoint:
    version: str
    commit: str
    source: Literal["tag", "history"]

    @property
    def ref(self) -> str:
        return self.commit


def released_versions(ws: Workspace, member: Member) -> list[ReleasePoint]:
    """Every release of ``member``, oldest first. Tags win over history for the same version.

    Raises ``HistoryMissing`` where the clone lacks the history (see ``ReleaseIndex``).
    """
    return ws.release_index.released_versions(member)


def last_release(ws: Workspace, member: Member) -> ReleasePoint | None:
    """The release point of the member's current version, else its newest earlier release."""
    return ws.release_index.last_release(member)


def released_versions_all(ws: Workspace) -> dict[str, list[ReleasePoint]]:
    """``released_versions`` of every member, reading the tags once."""
    index = ws.release_index
    return {name: index.released_versions(member) for name, member in ws.members.items()}


@dataclass(frozen=True)
class _History:
    """The release points history shows for one member, and where a shallow clone cuts it."""

    points: list[ReleasePoint]  # oldest version first
    cut: str | None  # the shallow boundary commit that carries the member's pyproject.toml
    uncertain: frozenset[str]  # versions first seen at the cut: set there, or earlier?


class ReleaseIndex:
    """Release points of many members from one read of the tags; the one place that
    decides whether the clone holds the history they need.

    All tags come from one ``for-each-ref``; ``last_release`` of a member with release
    tags needs no history at all. Each answer is kept, so ask once per run.

    History is missing (``HistoryMissing``, exit 2), never silently short, when:

    - the clone is shallow and the cut (a commit whose parents were not fetched) carries
      the member's pyproject.toml: where the version seen there was set, and every earlier
      release, lie behind the cut. ``released_versions`` then always fails;
      ``last_release`` and ``release_point`` fail when the point they answer with is the
      version first seen at the cut (a shallow clone deep enough to see the last version
      bump keeps working, and so does one with the release tag);
    - the member's changelog has a section for a version before the current one that
      neither a tag nor the history of its pyproject.toml shows: a clone or import
      without the commits and tags of earlier releases (``released_versions``).

    A complete clone without tags keeps working: history alone gives the release points.
    """

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._released: dict[str, list[ReleasePoint]] = {}
        self._histories: dict[str, _History] = {}

    def released_versions(self, member: Member) -> list[ReleasePoint]:
        if member.name not in self._released:
            history = self._history(member)
            if history.cut is not None:
                raise _shallow(member, history)
            points = _merged(history.points, self._tag_points(member))
            self._check_changelog(member, points)
            self._released[member.name] = points
        return self._released[member.name]

    def last_release(self, member: Member) -> ReleasePoint | None:
        tagged = self._tag_points(member)
        if not tagged:
            history = self._history(member)
            points = _merged(history.points, [])
            if points and points[-1].version in history.uncertain:
                raise _shallow(member, history)
            return points[-1] if points else None
        newest = max(_parse(p.version) or Version("0") for p in tagged)
        at_newest = [p for p in tagged if _parse(p.version) == newest]
        if len(at_newest) == 1:
            return at_newest[0]
        # tags spelling one version twice ("1.0", "1.0.0"): the order comes from history
        return [p for p in self.released_versions(member) if p.source == "tag"][-1]

    def release_point(self, member: Member, version: str) -> ReleasePoint | None:
        """Where ``version`` of the member was released (its tag, else history); None when
        it was not released. Raises ``HistoryMissing`` when a shallow clone cannot tell."""
        tagged = [p for p in self._tag_points(member) if p.version == version]
        if tagged:
            return tagged[-1]
        history = self._history(member)
        found = [p for p in history.points if p.version == version]
        if history.cut is not None and (not found or version in history.uncertain):
            raise _shallow(member, history)
        return found[-1] if found else None

    @cached_property
    def _tags(self) -> dict[str, str | None]:
        return git.tag_commits(self.ws.root)

    @cached_property
    def _has_commits(self) -> bool:
        return git.is_repository(self.ws.root) and git.ref_exists(self.ws.root, "HEAD")

    @cached_property
    def _boundary(self) -> frozenset[str]:
        return git.shallow_boundary(self.ws.root) if self._has_commits else frozenset()

    def _history(self, member: Member) -> _History:
        if member.name not in self._histories:
            self._histories[member.name] = _history(
                self.ws, member, has_commits=self._has_commits, boundary=self._boundary
            )
        return self._histories[member.name]

    def _tag_points(self, member: Member) -> list[ReleasePoint]:
        names = [t for t in self._tags if member.version_of_tag(t) is not None]
        return [
            ReleasePoint(version, self._tags[tag] or git.tag_commit(self.ws.root, tag), "tag")
            for tag, version in _versions_of(member, names)
        ]

    def _check_changelog(self, member: Member, points: list[ReleasePoint]) -> None:
        if not self._has_commits:
            return  # outside git nothing was released here (documented): no history to miss
        known = {_parse(p.version) for p in points}
        current = _parse(member.version)
        missing = [
            version
            for version in _changelog_versions(member)
            # the current version's own section may be written before its commit (a release
            # being made): only earlier releases must be in history
            if _parse(version) not in known and (current is None or _parse(version) < current)
        ]
        if missing:
            changelog = member.changelog_file.relative_to(self.ws.root).as_posix()
            pyproject = member.pyproject.relative_to(self.ws.root).as_posix()
            raise HistoryMissing(
                f"{member.name}: {changelog} has sections for {', '.join(missing)}, which "
                f"neither a release tag nor the history of {pyproject} shows: "
                "history is missing",
                fix=f"{_FETCH}; releases made before this repository's history began need "
                f"their tags (git tag {member.tag(missing[0])} <commit>)",
            )


def _shallow(member: Member, history: _History) -> HistoryMissing:
    assert history.cut is not None
    seen = ", ".join(sorted(history.uncertain)) or "?"
    return HistoryMissing(
        f"{member.name}: this clone is shallow, cut at commit {history.cut[:12]} where "
        f"{member.name} is at {seen}; where that version was released, and every earlier "
        "release, lie behind the cut: history is missing",
        fix=_FETCH,
    )


def _versions_of(member: Member, tags: list[str]) -> list[tuple[str, str]]:
    """(tag, version) of the member's tags that name a valid version, in the given order."""
    found = [(tag, member.version_of_tag(tag)) for tag in tags]
    return [(tag, version) for tag, version in found if version is not None]


def _merged(history: list[ReleasePoint], tagged: list[ReleasePoint]) -> list[ReleasePoint]:
    """History then tags, oldest version first; a tag replaces history of its version."""
    found: dict[str, ReleasePoint] = {}
    for point in [*history, *tagged]:
        found[point.version] = point
    return sorted(found.values(), key=lambda p: _parse(p.version) or Version("0"))


def _history(
    ws: Workspace, member: Member, *, has_commits: bool, boundary: frozenset[str]
) -> _History:
    if not has_commits:
        # no repository, or one without commits yet: nothing was released
        return _History([], None, frozenset())
    rel = member.pyproject.relative_to(ws.root).as_posix()
    bumps: list[tuple[str, str]] = []
    previous_version: str | None = None
    touching = git.commits_touching(ws.root, rel)
    # a shallow cut shows as a root commit that adds every file it has
    cut = next((commit for commit in touching if commit in boundary), None)
    # oldest first, so each bump is the first commit that carried the version
    for commit in reversed(touching):
        version = _version_at_path(ws, commit, rel)
        if version is not None and version != previous_version:
            bumps.append((version, commit))
        previous_version = version
    changelog = member.changelog_file.relative_to(ws.root).as_posix()
    ends = [commit for _, commit in bumps[1:]] + ["HEAD"]
    points = [
        ReleasePoint(version, _released_at(ws, changelog, version, commit, end), "history")
        for (version, commit), end in zip(bumps, ends, strict=True)
    ]
    uncertain = frozenset(version for version, commit in bumps if commit in boundary)
    return _History(points, cut, uncertain)


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


def _changelog_versions(member: Member) -> list[str]:
    """The version each heading of the member's changelog names first (in file order)."""
    try:
        return changelog_versions(member.changelog_file.read_text(encoding="utf-8"))
    except OSError:
        return []


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
