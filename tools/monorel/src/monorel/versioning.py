"""Apply a release plan to the workspace, all or nothing, in one step.

What a release writes: new versions into each released member's pyproject; moved pins
and ranges into the dependents' pyprojects (plus a ``+monorel-dependencies.misc.md``
fragment for a released dependent, so its changelog says why it was released); ``uv
lock``; ``towncrier build`` per released package (fragments consumed; ``skip`` fragments,
which towncrier is told to ignore, removed by monorel at a final release). One commit holds
the whole release, and one annotated tag ``<dist>-v<version>`` per released package
points at it: every tag sits on a tree where all versions, pins and the lock agree.

How it is written (``monorel.release_commit``): in a staging worktree of HEAD, committed
there with the repository's own hooks, tagged with tag objects only; then the branch and
every tag move in one ``git update-ref --stdin`` transaction and the working tree
follows. Before anything is written the tree must be clean, every fragment valid, no
release tag taken and no workspace member left using a name the release removes. A
failure or SIGINT/SIGTERM/SIGHUP before the transaction leaves the repository exactly as
it was; after SIGKILL the next run finishes or names what is left
(``monorel.release_recovery``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tomlkit
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from monorel import bumps, fragments, release_commit
from monorel import changelog as changelog_text
from monorel.adapters import git, towncrier, uv
from monorel.errors import (
    DirtyTreeError,
    MonorelError,
    PartialRelease,
    ReleaseBreaksMember,
    ReleaseInterrupted,
    ReleaseRefused,
    SemverShortfall,
    UnclassifiedMigrations,
)
from monorel.planning import PackagePlan, Plan
from monorel.release_commit import Journal, Staging
from monorel.semver import operator_notes
from monorel.workspace import Workspace

DEPENDENCY_FRAGMENT = "+monorel-dependencies.misc.md"


@dataclass(frozen=True)
class FileChange:
    path: str  # relative to the root
    what: str


@dataclass(frozen=True)
class Release:
    commit: str
    ref: str  # the branch that now points at it
    tags: tuple[str, ...]
    changes: tuple[FileChange, ...]
    late_signal: str | None = None  # a signal that arrived while it was published


def preflight(ws: Workspace, plan: Plan) -> None:
    """Refuse, before anything is written, what `apply` could not finish."""
    # monorel's own state dir (builds, devpi) is not part of the tree being released
    state = ws.state_dir.as_posix().removeprefix(ws.root.as_posix()).strip("/") + "/"
    dirty = [p for p in git.dirty_paths(ws.root) if not p.startswith(state)]
    if dirty:
        shown = ", ".join(dirty[:10]) + (" ..." if len(dirty) > 10 else "")
        raise DirtyTreeError(
            f"the working tree has uncommitted changes: {shown}",
            fix="commit or remove them, then run `monorel version` again",
        )
    unclassified = [
        f"{p.name}: {item.summary}"
        for p in plan.packages
        if p.verdict
        for item in p.verdict.unclassified
    ]
    if unclassified:
        raise UnclassifiedMigrations(
            "migrations the semver verdict could not judge:\n  " + "\n  ".join(unclassified),
            fix="declare each one's bump with a `# monorel: LEVEL -- reason` line in the "
            "migration, or its operation in [tool.monorel.migration-operations]",
        )
    if plan.problems:
        raise SemverShortfall(
            "the fragments ask for less than the changes require:\n  " + "\n  ".join(plan.problems),
            fix="add fragments of the required type (see `monorel semver PKG` for the evidence)",
        )
    unconfigured = [
        p.name for p in plan.releases if "towncrier" not in ws.member(p.name).data.get("tool", {})
    ]
    if unconfigured:
        raise ReleaseRefused(
            f"no [tool.towncrier] in {', '.join(unconfigured)}: towncrier would write the "
            "changelog to NEWS.rst, and the release reads CHANGELOG.md",
            fix='run `monorel init --yes`, or add [tool.towncrier] filename = "CHANGELOG.md"',
        )
    if plan.broken:
        raise ReleaseBreaksMember(
            "the release would break other workspace members:\n  " + "\n  ".join(plan.broken),
            fix="update them to the new API in the same release (or keep the names); "
            "`monorel check --rule imports` lists every use",
        )
    taken = [p.tag for p in plan.releases if p.tag and git.tags(ws.root, p.tag)]
    if taken:
        raise ReleaseRefused(
            f"release tags already exist: {', '.join(taken)}",
            fix="the versions were released before: bump the package versions past them",
        )


def changes(ws: Workspace, plan: Plan) -> list[FileChange]:
    """What `apply` writes, for the dry run and the commit message."""
    out: list[FileChange] = []
    for p in plan.releases:
        member = ws.member(p.name)
        rel = _rel(ws, member.pyproject)
        out.append(FileChange(rel, f"version {p.current_version} -> {p.next_version}"))
    for c in plan.requirement_changes():
        rel = _rel(ws, ws.member(c.dependent).pyproject)
        out.append(FileChange(rel, f"{c.old} -> {c.new}"))
    for p in plan.releases:
        member = ws.member(p.name)
        if "dependency" in p.reasons:
            out.append(
                FileChange(_rel(ws, member.changelog_dir / DEPENDENCY_FRAGMENT), "new fragment")
            )
        for name in operator_notes.fragments(p.verdict):
            out.append(FileChange(_rel(ws, member.changelog_dir / name), "operator note"))
        assert p.next_version is not None
        out.append(
            FileChange(
                _rel(ws, member.changelog_file),
                f"## {p.next_version} section from {len(p.fragments)} fragment(s) "
                + ("+ dependency note " if "dependency" in p.reasons else "")
                + (
                    "(fragments kept for the final)"
                    if bumps.is_prerelease(p.next_version)
                    else "(fragments removed)"
                ),
            )
        )
    out.append(FileChange("uv.lock", "refreshed (uv lock)"))
    return out


def apply(ws: Workspace, plan: Plan, *, branch: str | None = None, tag: bool = True) -> Release:
    """Write the release and publish it in one step; on any failure or signal before that,
    nothing has changed and the error says so.

    ``branch``: commit to that branch (created or moved) instead of the current one; the
    working tree and the current branch stay as they are. ``tag`` False: no tags (``monorel
    tag`` makes them once the commit is where it belongs).
    """
    preflight(ws, plan)
    base = git.head(ws.root)
    current = git.current_branch(ws.root)
    ref = f"refs/heads/{branch}" if branch else current
    if ref is None:
        raise ReleaseRefused(
            "HEAD is detached: there is no branch for the release commit",
            fix="check out the branch to release (git switch main), or pass --branch NAME",
        )
    in_place = ref == current
    old = base if in_place else git.ref_value(ws.root, ref)
    with release_commit.SignalGuard() as guard:
        try:
            with release_commit.staging(ws.root, base) as stage:
                _write_release(ws, plan, stage)
                commit = stage.commit(_staged_paths(ws, plan), commit_message(ws, plan))
                tags = {
                    f"refs/tags/{p.tag}": stage.tag_object(p.tag, commit, tag_message(p))
                    for p in plan.releases
                    if tag and p.tag
                }
            journal = Journal(
                ref=ref,
                old=old,
                new=commit,
                base=base,
                tags=tags,
                worktree=str(git.top_level(ws.root)) if in_place else None,
            )
            release_commit.publish(git.common_dir(ws.root), ws.root, journal, guard)
        except release_commit.Interrupted as exc:
            raise ReleaseInterrupted(
                f"interrupted by {exc.signal_name} before the release was published\n"
                + _ROLLED_BACK,
                fix="run `monorel version --yes` again when you are ready",
            ) from None
        except MonorelError as exc:
            if guard.published:  # the refs moved; only the working tree did not follow
                raise PartialRelease(
                    f"released {commit[:12]} ({', '.join(journal.tag_names) or ref}), but the "
                    f"working tree could not be brought to it: {exc.message}",
                    fix="commit or stash what is in the way, then run `monorel version --yes` "
                    "again to finish",
                ) from exc
            exc.message += f"\n{_ROLLED_BACK}"
            raise
    return Release(
        commit=commit,
        ref=ref,
        tags=tuple(journal.tag_names),
        changes=tuple(changes(ws, plan)),
        late_signal=guard.late,
    )


_ROLLED_BACK = "rolled back: no commit, no tag, every file as it was"


def _write_release(ws: Workspace, plan: Plan, stage: Staging) -> None:
    """Everything the release commit holds, written into the staging worktree."""
    _write_versions(ws, plan, stage)
    _write_requirements(ws, plan, stage)
    _write_dependency_fragments(ws, plan, stage)
    _remove_skip_fragments(ws, plan, stage)
    uv.lock(stage.workspace_root)
    _write_changelogs(ws, plan, stage)


def commit_message(ws: Workspace, plan: Plan) -> str:
    title = "Release " + ", ".join(f"{p.name} {p.next_version}" for p in plan.releases)
    body = [
        f"{p.name} {p.current_version} -> {p.next_version} ({p.bump}: {', '.join(p.reasons)})"
        for p in plan.releases
    ]
    body += [f"{c.dependent}: {c.old} -> {c.new}" for c in plan.requirement_changes()]
    return title + "\n\n" + "\n".join(body) + "\n"


def tag_message(p: PackagePlan) -> str:
    lines = [f"{p.name} {p.next_version}", ""]
    lines += [f"- {f.type}: {Path(f.path).name}" for f in p.fragments]
    if "dependency" in p.reasons:
        lines.append("- misc: dependency requirements moved")
    return "\n".join(lines) + "\n"


def _staged_paths(ws: Workspace, plan: Plan) -> list[str]:
    """The touched members' directories and the lock (the tree was clean before)."""
    names = {p.name for p in plan.releases} | {c.dependent for c in plan.requirement_changes()}
    return sorted({ws.member(n).relpath(ws.root) for n in names} | {"uv.lock"})


def _write_versions(ws: Workspace, plan: Plan, stage: Staging) -> None:
    for p in plan.releases:
        pyproject = stage.place(ws.root, ws.member(p.name).pyproject)
        doc = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
        doc["project"]["version"] = p.next_version
        pyproject.write_text(tomlkit.dumps(doc), encoding="utf-8")


def _write_requirements(ws: Workspace, plan: Plan, stage: Staging) -> None:
    for c in plan.requirement_changes():
        pyproject = stage.place(ws.root, ws.member(c.dependent).pyproject)
        doc = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
        deps = doc["project"]["dependencies"]
        for i, item in enumerate(deps):
            if canonicalize_name(Requirement(str(item)).name) == c.dependency:
                deps[i] = c.new
        pyproject.write_text(tomlkit.dumps(doc), encoding="utf-8")


def _write_dependency_fragments(ws: Workspace, plan: Plan, stage: Staging) -> None:
    """Fragments the release writes itself, before towncrier runs: the dependency note of
    a dependent (and the place for other generated notes). They go into the staging
    worktree (``stage.place``), never into the repository's working tree."""
    by_dependent: dict[str, list[str]] = {}
    for c in plan.requirement_changes():
        by_dependent.setdefault(c.dependent, []).append(c.new)
    for p in plan.releases:
        # the semver verdict's operator notes go under "Migrations" (monorel.semver)
        notes = operator_notes.fragments(p.verdict)
        if notes:
            notes_dir = stage.place(ws.root, ws.member(p.name).changelog_dir)
            notes_dir.mkdir(parents=True, exist_ok=True)
            for name, text in notes.items():
                (notes_dir / name).write_text(text, encoding="utf-8")
        if "dependency" not in p.reasons:
            continue
        directory = stage.place(ws.root, ws.member(p.name).changelog_dir)
        directory.mkdir(parents=True, exist_ok=True)
        news = by_dependent.get(p.name, [])
        text = "Requires " + ", ".join(f"`{r}`" for r in news) + "."
        (directory / DEPENDENCY_FRAGMENT).write_text(text + "\n", encoding="utf-8")


def _remove_skip_fragments(ws: Workspace, plan: Plan, stage: Staging) -> None:
    """``skip`` fragments are monorel's (towncrier ignores them): a final release consumes
    them with the others; a pre-release keeps them, as towncrier keeps its fragments."""
    for p in plan.releases:
        if p.next_version is None or bumps.is_prerelease(p.next_version):
            continue
        for f in p.fragments:
            if f.type == fragments.SKIP:
                stage.place(ws.root, ws.root / f.path).unlink()


def _write_changelogs(ws: Workspace, plan: Plan, stage: Staging) -> None:
    """towncrier's section per released package.

    A pre-release series keeps its fragments until the final: each pre-release replaces
    the series' earlier pre-release sections with one built from all of them (``--keep``),
    and the final replaces them with its own section and consumes the fragments.
    """
    for p in plan.releases:
        member = ws.member(p.name)
        assert p.next_version is not None
        changelog = stage.place(ws.root, member.changelog_file)
        if changelog.is_file():
            text = changelog.read_text(encoding="utf-8")
            kept = changelog_text.without_open_prereleases(text)
            if kept != text:
                changelog.write_text(kept, encoding="utf-8")
        towncrier.build(
            stage.workspace_root,
            member_dir=stage.place(ws.root, member.path),
            config=stage.place(ws.root, member.pyproject),
            name=member.name,
            version=p.next_version,
            keep=bumps.is_prerelease(p.next_version),
        )


def _rel(ws: Workspace, path: Path) -> str:
    return path.relative_to(ws.root).as_posix()
