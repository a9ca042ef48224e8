"""The release plan: what changed since each package's release point, and what to release.

For each released member, in dependency order:

- its changed files since its release point (``release_points.last_release``: the tag
  ``<dist>-v<version>``, else the commit that set the version), or since ``--since REF``;
- its pending towncrier fragments (everything in ``changelog.d/``: towncrier consumes
  them on release) - an invalid fragment stops the plan (``FragmentError``);
- the bump: ``bump_for`` (the fragment types' levels, from ``monorel.bumps``), raised to
  at least a patch when one of its own workspace requirements has to move because a
  dependency leaves its range;
- the semver verdict (``monorel.semver.required_bump``) for every changed package:
  the plan records its evidence, and ``problems`` lists each item the fragments ask
  too little for ("api.py removes create_invoice: major required, fragments give
  minor"); ``monorel plan`` then exits 1 and ``monorel version`` refuses;
- the next version: ``bumps.next_version``. Before 1.0 the version moves one place less:
  a breaking change bumps the minor, everything else the patch (0.4.2 -> 0.5.0 / 0.4.3).
  With ``pre`` (``--pre a|b|rc``) every released package gets the next pre-release of
  that kind instead (1.4.0 + feature -> 1.5.0rc1, then 1.5.0rc2); from a pre-release the
  plan stays in its series unless the fragments ask for more (1.5.0rc1 + feature ->
  1.5.0, + breaking -> 2.0.0), since a pre-release keeps its fragments for the final;
- for each breaking public-API change, the other members that use the removed or changed
  name (``api_usage.breaks``: "breaks host: apps/host/src/host/webhooks.py:12 imports
  webhook_payload"); a use of a name the module no longer has, or one that cannot be told,
  is listed in ``broken``: ``monorel plan`` then exits 1 and ``monorel version`` refuses;
- the dependents whose requirement on it must move: an exact pin (the host's
  ``accounts-app==1.0.0``) always follows the new version; a range moves only when the
  new version falls outside it (``>=1.0,<2`` -> ``>=2.0,<3`` for 2.0.0, kept for 1.1.0;
  ``>=2.0.0rc1,<3`` for 2.0.0rc1), or when a final release leaves a range that still
  names a pre-release (``>=2.0.0rc1,<3`` -> ``>=2.0,<3`` for 2.0.0).

Deterministic and offline: it reads the working tree and git, nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from monorel import api_usage, bumps, fragments, release_points
from monorel.adapters import git
from monorel.errors import FragmentError, UsageError
from monorel.tags import TagFormat
from monorel.workspace import Member, Workspace

if TYPE_CHECKING:
    from monorel import semver

SCHEMA = "monorel.plan/1"
Bump = bumps.Bump
# a dependent whose requirement moved is re-released with this bump (its metadata changed)
DEPENDENCY_BUMP: Bump = "patch"


@dataclass(frozen=True)
class PlannedFragment:
    path: str  # relative to the workspace root, posix
    type: str


@dataclass(frozen=True)
class RequirementChange:
    dependent: str  # the member whose pyproject declares the requirement
    dependency: str  # the member being released
    old: str  # as written in the dependent's pyproject
    new: str  # what it becomes (== old when it is kept)
    kind: Literal["pin", "range"]

    @property
    def moves(self) -> bool:
        return self.old != self.new


@dataclass(frozen=True)
class PackagePlan:
    name: str
    path: str
    current_version: str
    release_point: release_points.ReleasePoint | None
    changed_files: tuple[str, ...]
    fragments: tuple[PlannedFragment, ...]
    bump: Bump | None
    reasons: tuple[str, ...]  # "fragments" and/or "dependency"
    next_version: str | None
    dependents: tuple[RequirementChange, ...]
    verdict: semver.Verdict | None = None  # None when nothing in the package changed
    problems: tuple[str, ...] = ()  # where the fragments ask for less than the verdict
    breaks: tuple[api_usage.Break, ...] = ()  # members using a name a breaking change touches
    tag_format: TagFormat = TagFormat()  # [tool.monorel] tag-format

    @property
    def releases(self) -> bool:
        return self.next_version is not None

    @property
    def tag(self) -> str | None:
        return self.tag_format.tag(self.name, self.next_version) if self.next_version else None


@dataclass(frozen=True)
class Plan:
    since: str | None
    packages: tuple[PackagePlan, ...]  # changed or affected packages, dependency order

    @property
    def releases(self) -> tuple[PackagePlan, ...]:
        return tuple(p for p in self.packages if p.releases)

    def package(self, name: str) -> PackagePlan:
        key = canonicalize_name(name)
        return next(p for p in self.packages if p.name == key)

    @property
    def problems(self) -> list[str]:
        """Every shortfall of fragments against the semver verdict, prefixed by package."""
        return [f"{p.name}: {problem}" for p in self.packages for problem in p.problems]

    @property
    def broken(self) -> list[str]:
        """Every use, by another member, of a name a breaking change removed (or of which
        that cannot be told), prefixed by package: the release would break the workspace."""
        return [f"{p.name}: {b.problem}" for p in self.packages for b in p.breaks if b.problem]

    def requirement_changes(self) -> list[RequirementChange]:
        """Every requirement that moves, in dependency order of the released package."""
        return [c for p in self.releases for c in p.dependents if c.moves]

    def to_json(self) -> dict:
        """The release job's input. Stable: fields are only ever added."""
        return {
            "schema": SCHEMA,
            "since": self.since,
            "order": [p.name for p in self.releases],
            "problems": self.problems,
            "broken": self.broken,
            "packages": [_package_json(p) for p in self.packages],
        }


def compute(ws: Workspace, *, since: str | None = None, pre: bumps.PreKind | None = None) -> Plan:
    """The plan for the workspace as it is now (working tree included); ``pre``: every
    release is a pre-release of that kind."""
    if since is not None:
        if not git.ref_exists(ws.root, since):
            raise UsageError(f"--since {since}: no such commit", fix="pass a branch, tag or sha")
        since = git.resolve(ws.root, since)
    next_versions: dict[str, str] = {}
    packages: list[PackagePlan] = []
    usage: api_usage.UsageIndex | None = None  # read once, and only for a breaking change
    for member in ws.topological_order():
        if not member.released:
            continue
        point = _release_point(ws, member) if since is None else None
        base = since or (point.commit if point else None)
        changed = _changed_files(ws, member, base)
        pending = pending_fragments(ws, member)
        if since is not None and not changed:
            pending = []  # --since: only what changed after REF releases on its own
        moved_deps = [
            dep
            for dep, req in ws.workspace_requirements(member).items()
            if dep in next_versions and requirement_after(req, next_versions[dep]) is not None
        ]
        reasons: list[str] = []
        declared = bump_for(member, pending)
        bump = declared
        # a pre-release keeps its fragments for the final: the next pre-release of the
        # series needs a fragment the last one did not have (the level still counts all)
        stale = pre is not None and bumps.is_prerelease(member.version)
        if stale and not any(f.path in changed for f in pending):
            bump = "none"
        if bump != "none":
            reasons.append("fragments")
        if moved_deps:
            reasons.append("dependency")
            bump = bumps.strongest((bump, DEPENDENCY_BUMP))
        next_version = bumps.next_version(member.version, bump, pre) if bump != "none" else None
        if not (changed or pending or next_version):
            continue
        # imported here: griffe costs every other command ~0.1 s of start-up
        from monorel.semver import required_bump

        verdict = required_bump(ws, member, since=base) if changed else None
        problems = verdict.shortfall(declared, {f.type for f in pending}) if verdict else []
        breaks: list[api_usage.Break] = []
        if verdict is not None and any(e.kind.startswith("api.") for e in verdict.evidence):
            usage = usage or api_usage.UsageIndex(ws)
            breaks = api_usage.breaks(usage, member, verdict.evidence)
        if next_version is not None:
            next_versions[member.name] = next_version
        packages.append(
            PackagePlan(
                name=member.name,
                path=member.relpath(ws.root),
                current_version=member.version,
                release_point=point,
                changed_files=tuple(changed),
                fragments=tuple(pending),
                bump=bumps.effective(member.version, bump) if next_version else None,
                reasons=tuple(reasons),
                next_version=next_version,
                dependents=tuple(_dependents(ws, member, next_version)),
                verdict=verdict,
                problems=tuple(problems),
                breaks=tuple(breaks),
                tag_format=member.tag_format,
            )
        )
    return Plan(since=since, packages=tuple(packages))


def bump_for(member: Member, fragments: Sequence[PlannedFragment]) -> Bump:
    """The level a member's pending fragments declare (before the 0.x rule); "none" when
    there are none, or only ``skip`` ones."""
    return bumps.for_fragment_types(f.type for f in fragments)


def requirement_after(req: Requirement, new_version: str) -> str | None:
    """``req`` rewritten to admit ``new_version``, or None when it can stay as it is.

    Exact pins follow the new version; a range moves only when the new version falls
    outside it, to ``>=X.Y,<X+1`` (``>=0.Y,<0.Y+1`` before 1.0; from the pre-release
    itself, ``>=X.Y.ZrcN,<X+1``, for a pre-release), or when a final version leaves a range
    that names a pre-release. Extras and markers stay.
    """
    v = Version(new_version)
    if _is_pin(req):
        if Version(next(iter(req.specifier)).version) == v:
            return None
        spec = f"=={new_version}"
    elif req.specifier.contains(new_version, prereleases=True) and (
        v.is_prerelease or not _names_prerelease(req)
    ):
        return None
    else:
        upper = f"{v.major + 1}" if v.major >= 1 else f"0.{v.minor + 1}"
        lower = new_version if v.is_prerelease else f"{v.major}.{v.minor}"
        spec = f">={lower},<{upper}"
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    marker = f"; {req.marker}" if req.marker else ""
    return f"{req.name}{extras}{spec}{marker}"


def pending_fragments(ws: Workspace, member: Member) -> list[PlannedFragment]:
    """The member's towncrier fragments, sorted; ``FragmentError`` names every invalid one
    (``fragments.scan`` validates the types, bump levels included)."""
    found = fragments.scan(member)
    problems = [f"{_rel(ws, bad.path)}: {bad.problem} ({bad.fix})" for bad in found.invalid]
    if problems:
        raise FragmentError(
            "invalid changelog fragments:\n  - " + "\n  - ".join(problems),
            fix="rename or fix them (types: "
            + ", ".join(bumps.FRAGMENT_BUMPS)
            + "); nothing changed",
        )
    return [PlannedFragment(_rel(ws, f.path), f.type) for f in found.fragments]


def _rel(ws: Workspace, path: Path) -> str:
    return path.relative_to(ws.root).as_posix()


def _dependents(ws: Workspace, member: Member, next_version: str | None) -> list[RequirementChange]:
    if next_version is None:
        return []
    changes = []
    dependents = ws.topological_order([d.name for d in ws.dependents(member.name)])
    for dependent in dependents:
        req = ws.workspace_requirements(dependent)[member.name]
        old = _raw_requirement(dependent, member.name)
        changes.append(
            RequirementChange(
                dependent=dependent.name,
                dependency=member.name,
                old=old,
                new=requirement_after(req, next_version) or old,
                kind="pin" if _is_pin(req) else "range",
            )
        )
    return changes


def _raw_requirement(member: Member, dependency: str) -> str:
    """The requirement on ``dependency`` as written in ``member``'s pyproject."""
    for raw in member.raw_dependencies:
        if canonicalize_name(Requirement(raw).name) == dependency:
            return raw
    raise KeyError(dependency)


def _release_point(ws: Workspace, member: Member) -> release_points.ReleasePoint | None:
    if not git.is_repository(ws.root):
        return None
    return ws.release_index.last_release(member)


def _changed_files(ws: Workspace, member: Member, base: str | None) -> list[str]:
    rel = member.relpath(ws.root)
    if not git.is_repository(ws.root):
        return []
    return git.changed_files(ws.root, base or git.empty_tree(ws.root), [rel])


def _names_prerelease(req: Requirement) -> bool:
    return any(Version(s.version.removesuffix(".*")).is_prerelease for s in req.specifier)


def _is_pin(req: Requirement) -> bool:
    specs = list(req.specifier)
    return len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version


def _package_json(p: PackagePlan) -> dict:
    point = p.release_point
    return {
        "name": p.name,
        "path": p.path,
        "current_version": p.current_version,
        "release_point": (
            {"version": point.version, "commit": point.commit, "source": point.source}
            if point
            else None
        ),
        "changed_files": list(p.changed_files),
        "fragments": [{"path": f.path, "type": f.type} for f in p.fragments],
        "bump": p.bump,
        "reasons": list(p.reasons),
        "next_version": p.next_version,
        "tag": p.tag,
        "semver": p.verdict.as_dict() if p.verdict else None,
        "problems": list(p.problems),
        "breaks": [b.as_dict() for b in p.breaks],
        "dependents": [
            {
                "name": c.dependent,
                "kind": c.kind,
                "requirement": c.old,
                "new_requirement": c.new,
                "moves": c.moves,
            }
            for c in p.dependents
        ],
    }
