"""Apply a release plan to the workspace, all or nothing.

In order: new versions into each released member's pyproject; moved pins and ranges
into the dependents' pyprojects (plus a ``+monorel-dependencies.misc.md`` fragment
for a released dependent, so its changelog says why it was released); ``uv lock``;
``towncrier build`` per released package (fragments consumed); one commit holding the
whole release, then one annotated tag ``<dist>-v<version>`` per released package.

One commit rather than one per package keeps every tag on a tree where all versions,
pins and the lock agree. Before anything is written the tree must be clean, every
fragment valid and no release tag taken. If any step fails, the created tags are
deleted, the branch is reset to the starting commit and every touched file is restored
byte for byte: the repository is as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tomlkit
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from monorel.adapters import git, towncrier, uv
from monorel.errors import (
    DirtyTreeError,
    MonorelError,
    ReleaseRefused,
    SemverShortfall,
    UnclassifiedMigrations,
)
from monorel.planning import PackagePlan, Plan
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
    tags: tuple[str, ...]
    changes: tuple[FileChange, ...]


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
        out.append(
            FileChange(
                _rel(ws, member.changelog_file),
                f"## {p.next_version} section from {len(p.fragments)} fragment(s) "
                + ("+ dependency note " if "dependency" in p.reasons else "")
                + "(fragments removed)",
            )
        )
    out.append(FileChange("uv.lock", "refreshed (uv lock)"))
    return out


def apply(ws: Workspace, plan: Plan) -> Release:
    """Write the release; on any failure put everything back and re-raise."""
    preflight(ws, plan)
    start = git.head(ws.root)
    touched = _touched_paths(ws, plan)
    snapshot = {path: (path.read_bytes() if path.exists() else None) for path in touched}
    tags: list[str] = []
    try:
        _write_versions(ws, plan)
        _write_requirements(ws, plan)
        _write_dependency_fragments(ws, plan)
        uv.lock(ws.root)
        for p in plan.releases:
            member = ws.member(p.name)
            assert p.next_version is not None
            towncrier.build(
                ws.root,
                member_dir=member.path,
                config=member.pyproject,
                name=member.name,
                version=p.next_version,
            )
        git.add_all(ws.root, _staged_paths(ws, plan))
        commit = git.commit(ws.root, commit_message(ws, plan))
        for p in plan.releases:
            assert p.tag is not None
            git.annotated_tag(ws.root, p.tag, tag_message(p))
            tags.append(p.tag)
    except BaseException as exc:
        _rollback(ws, start, snapshot, tags)
        if isinstance(exc, MonorelError):
            exc.message += "\nrolled back: no commit, no tag, every file as it was"
        raise
    return Release(commit=commit, tags=tuple(tags), changes=tuple(changes(ws, plan)))


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


def _touched_paths(ws: Workspace, plan: Plan) -> list[Path]:
    paths: set[Path] = {ws.root / "uv.lock"}
    for p in plan.releases:
        member = ws.member(p.name)
        paths |= {member.pyproject, member.changelog_file, member.changelog_dir}
        paths |= {ws.root / f.path for f in p.fragments}
        paths.add(member.changelog_dir / DEPENDENCY_FRAGMENT)
        paths |= {member.changelog_dir / name for name in operator_notes.fragments(p.verdict)}
    for c in plan.requirement_changes():
        paths.add(ws.member(c.dependent).pyproject)
    return sorted(p for p in paths if not p.is_dir())


def _staged_paths(ws: Workspace, plan: Plan) -> list[str]:
    """The touched members' directories and the lock (the tree was clean before)."""
    names = {p.name for p in plan.releases} | {c.dependent for c in plan.requirement_changes()}
    return sorted({ws.member(n).relpath(ws.root) for n in names} | {"uv.lock"})


def _write_versions(ws: Workspace, plan: Plan) -> None:
    for p in plan.releases:
        member = ws.member(p.name)
        doc = tomlkit.parse(member.pyproject.read_text(encoding="utf-8"))
        doc["project"]["version"] = p.next_version
        member.pyproject.write_text(tomlkit.dumps(doc), encoding="utf-8")


def _write_requirements(ws: Workspace, plan: Plan) -> None:
    for c in plan.requirement_changes():
        pyproject = ws.member(c.dependent).pyproject
        doc = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
        deps = doc["project"]["dependencies"]
        for i, item in enumerate(deps):
            if canonicalize_name(Requirement(str(item)).name) == c.dependency:
                deps[i] = c.new
        pyproject.write_text(tomlkit.dumps(doc), encoding="utf-8")


def _write_dependency_fragments(ws: Workspace, plan: Plan) -> None:
    by_dependent: dict[str, list[str]] = {}
    for c in plan.requirement_changes():
        by_dependent.setdefault(c.dependent, []).append(c.new)
    for p in plan.releases:
        # the semver verdict's operator notes go under "Migrations" (monorel.semver)
        for name, text in operator_notes.fragments(p.verdict).items():
            ws.member(p.name).changelog_dir.mkdir(parents=True, exist_ok=True)
            (ws.member(p.name).changelog_dir / name).write_text(text, encoding="utf-8")
        if "dependency" not in p.reasons:
            continue
        member = ws.member(p.name)
        member.changelog_dir.mkdir(parents=True, exist_ok=True)
        news = by_dependent.get(p.name, [])
        text = "Requires " + ", ".join(f"`{r}`" for r in news) + "."
        (member.changelog_dir / DEPENDENCY_FRAGMENT).write_text(text + "\n", encoding="utf-8")


def _rollback(
    ws: Workspace, start: str, snapshot: dict[Path, bytes | None], tags: list[str]
) -> None:
    for tag in tags:
        git.delete_tag(ws.root, tag)
    git.reset_hard(ws.root, start)
    for path, data in snapshot.items():
        if data is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(data)


def _rel(ws: Workspace, path: Path) -> str:
    return path.relative_to(ws.root).as_posix()
