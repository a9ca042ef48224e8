"""Which members a change affects: the ones it touches and, transitively, their dependents.

For a pull request (``--since origin/main``) the base is the merge base of REF and HEAD,
and every file changed since it counts, committed or not. A file inside a member affects
that member; a file outside every member (the root pyproject, uv.lock, workflows, CI
scripts) affects all of them, except documentation at the root (``*.md``, ``docs/``),
which no test reads. Then every member that depends on an affected one, through its
declared workspace dependencies, is affected too, so a library's change also tests the
host that pins it. What cannot be known (a ref that is not there, history a shallow
clone lacks) is an error, never "nothing affected".
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from monorel.adapters import git
from monorel.errors import UsageError
from monorel.workspace import Workspace

SCHEMA = "monorel.affected/1"
# files outside every member that affect none of them
_ROOT_DOCS = ("*.md", "docs/*", "LICENSE*")


@dataclass(frozen=True)
class AffectedMember:
    name: str
    path: str
    role: str
    released: bool
    changed: tuple[str, ...]  # its own changed files (root-relative)
    because: tuple[str, ...]  # "changed", the workspace files, or the members it depends on


@dataclass(frozen=True)
class Affected:
    since: str
    base: str
    workspace_files: tuple[str, ...]  # changed files outside every member (affect all)
    members: tuple[AffectedMember, ...]  # in dependency order

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.members]

    def to_json(self) -> dict[str, object]:
        return {
            "schema": SCHEMA,
            "since": self.since,
            "base": self.base,
            "all": bool(self.workspace_files),
            "workspace_files": list(self.workspace_files),
            "members": [
                {
                    "name": m.name,
                    "path": m.path,
                    "role": m.role,
                    "released": m.released,
                    "changed": list(m.changed),
                    "because": list(m.because),
                }
                for m in self.members
            ],
        }


def compute(ws: Workspace, since: str) -> Affected:
    if not git.is_repository(ws.root) or not git.ref_exists(ws.root, since):
        raise UsageError(
            f"--since {since}: no such git ref in {ws.root}",
            fix="name a branch, tag or commit that exists (in CI: fetch it, fetch-depth: 0)",
        )
    try:
        base = git.merge_base(ws.root, since, "HEAD")
    except Exception as exc:  # noqa: BLE001 - git's message says why; the fix is history
        raise UsageError(
            f"--since {since}: no merge base with HEAD, so what changed is unknown",
            fix="fetch the full history (actions/checkout with fetch-depth: 0)",
        ) from exc
    changed: dict[str, list[str]] = {}
    outside: list[str] = []
    for path in git.changed_since(ws.root, base):
        member = ws.member_of_path(path)
        if member is not None:
            changed.setdefault(member.name, []).append(path)
        elif not any(fnmatch.fnmatchcase(path, pattern) for pattern in _ROOT_DOCS):
            outside.append(path)
    because: dict[str, list[str]] = {}
    for name in changed:
        because[name] = ["changed"]
    if outside:
        for name in ws.members:
            because.setdefault(name, []).append("workspace files")
    # dependencies first: a member's dependents come after it, so one pass collects all
    for member in ws.topological_order():
        for dependency in sorted(ws.workspace_requirements(member)):
            if dependency in because and dependency not in because.get(member.name, []):
                because.setdefault(member.name, []).append(dependency)
    members = tuple(
        AffectedMember(
            name=m.name,
            path=m.relpath(ws.root),
            role=m.role,
            released=m.released,
            changed=tuple(changed.get(m.name, [])),
            because=tuple(because[m.name]),
        )
        for m in ws.topological_order()
        if m.name in because
    )
    return Affected(since=since, base=base, workspace_files=tuple(outside), members=members)
