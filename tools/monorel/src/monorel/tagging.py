"""The tags of a release commit, read from the commit itself, and making them in one step.

A commit *releases* a member when it changes the member's ``[project] version`` (against
its first parent) and its changelog has a section for the new version: what
``monorel version`` commits, and also what a release pull request merged into main
(merge commit, squash or rebase: the first parent is main as it was) holds. Its tags are
``<dist-name>-v<version>``. ``create`` makes the missing ones as annotated tag objects and
then creates them all in one ``git update-ref --stdin`` transaction: all or none.
"""

from __future__ import annotations

from dataclasses import dataclass

from monorel import release_points
from monorel.adapters import git
from monorel.changelog import has_section
from monorel.errors import ReleaseHistoryMissing, ReleaseRefused
from monorel.workspace import Member, Workspace


@dataclass(frozen=True)
class ReleaseTag:
    member: str
    version: str
    name: str  # "<dist-name>-v<version>"
    points_at: str | None  # the commit an existing tag of that name points at; None: absent

    @property
    def ref(self) -> str:
        return f"refs/tags/{self.name}"


def released_at(ws: Workspace, commit: str) -> list[ReleaseTag]:
    """The members ``commit`` releases, in dependency order, with their tags' state."""
    parent = git.first_parent(ws.root, commit)
    if parent is None and git.recorded_parents(ws.root, commit):
        raise ReleaseHistoryMissing(
            f"what {commit[:12]} releases cannot be told: its parent is not in this clone "
            "(a shallow clone)",
            fix="fetch its parent too (git fetch --deepen=1, or actions/checkout with "
            "fetch-depth: 0)",
        )
    if parent is None:
        return []  # a root commit brings a project in; it releases nothing
    found: list[ReleaseTag] = []
    existing = git.tag_commits(ws.root)
    for member in ws.topological_order():
        if not member.released:
            continue
        version = release_points.version_at(ws, member, commit)
        if version is None:
            continue
        before = release_points.version_at(ws, member, parent)
        if before == version or not _has_section_at(ws, member, commit, version):
            continue
        name = member.tag(version)
        points_at = existing.get(name) or (
            git.tag_commit(ws.root, name) if name in existing else None
        )
        found.append(ReleaseTag(member.name, version, name, points_at))
    return found


def create(ws: Workspace, commit: str, tags: list[ReleaseTag]) -> list[str]:
    """Make every tag of ``tags`` that does not exist yet, at ``commit``, in one step.

    Refuses (``ReleaseRefused``, nothing made) where a tag exists on another commit.
    Returns the names of the tags it made.
    """
    elsewhere = [t for t in tags if t.points_at is not None and t.points_at != commit]
    if elsewhere:
        raise ReleaseRefused(
            "release tags exist on other commits: "
            + ", ".join(f"{t.name} -> {t.points_at[:12]}" for t in elsewhere if t.points_at),
            fix=f"commit {commit[:12]} releases these versions too: if the tags are wrong, "
            "delete them (git tag -d NAME) and run again; else bump past those versions",
        )
    missing = [t for t in tags if t.points_at is None]
    objects = [
        (t.ref, git.make_tag_object(ws.root, t.name, commit, message(t)), None) for t in missing
    ]
    if objects:
        git.update_refs(ws.root, objects)
    return [t.name for t in missing]


def message(tag: ReleaseTag) -> str:
    return f"{tag.member} {tag.version}\n"


def _has_section_at(ws: Workspace, member: Member, commit: str, version: str) -> bool:
    changelog = member.changelog_file.relative_to(ws.root).as_posix()
    return has_section(git.show(ws.root, commit, changelog), version)
