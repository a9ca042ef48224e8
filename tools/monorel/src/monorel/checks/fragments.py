"""MR-FRAGMENT: a member changed since its release point carries a valid towncrier fragment.

The release point is the member's last release (``release_points.last_release``: tag,
else the commit that set its version); any fragment present then counts, since towncrier
consumes fragments at release. With ``--since REF`` (a pull-request check) the base is
the merge base of REF and HEAD, and only a fragment added or edited since then counts.
Changes count committed or not, untracked files included, except in the fragment
directory itself and under the member's ``ignore-paths`` (default ``tests/**`` and
``docs/**``: what never reaches the wheel needs no release). Every member with a
fragment directory or a ``[tool.towncrier]`` table is checked, and every released one;
invalid fragment names and unknown types are findings wherever they are.

A ``skip`` fragment (``+<slug>.skip.md``, ``monorel add --empty``) says a change releases
nothing. It stays until the member's next release, so it covers only what changed up to
the commit that added it (or everything while it is uncommitted): a later change needs a
fragment of its own. A released member without ``[tool.towncrier]`` is a finding too:
towncrier would write its changelog to NEWS.rst, where release.yml does not look.

A release consumes fragments: a member whose version in the tree is not the one at the
base and whose changelog has a section for it is being released by this tree (the release
commit ``monorel version`` makes, run through the repository's pre-commit hook, or a
release pull request checked with ``--since``); its changes are in that section, so it
needs no fragment. Likewise a pyproject whose only change is ``==`` pins on workspace
members, at the versions the tree holds (what a release writes into the host), is not a
change of its own.
"""

from __future__ import annotations

import tomllib
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from monorel import fragments, release_points
from monorel.adapters import git
from monorel.changelog import has_section
from monorel.checks.context import CheckContext
from monorel.checks.findings import Finding
from monorel.errors import UsageError
from monorel.workspace import Member

RULE = "MR-FRAGMENT"
NAME = "fragments"
SUMMARY = "members changed since their release point carry a valid towncrier fragment"


def check(ctx: CheckContext) -> list[Finding]:
    base = _since_base(ctx)
    findings: list[Finding] = []
    for member in ctx.ws.members.values():
        if not _checked(member):
            continue
        found = fragments.scan(member)
        for bad in found.invalid:
            findings.append(
                Finding(
                    path=ctx.rel(bad.path),
                    line=None,
                    rule=RULE,
                    message=f"invalid fragment of {member.name}: {bad.problem}",
                    fix=bad.fix,
                )
            )
        finding = _missing(ctx, member, base, found.fragments)
        if finding is not None:
            findings.append(finding)
        if member.released and "towncrier" not in member.data.get("tool", {}):
            findings.append(_no_towncrier(ctx, member))
    return findings


def _no_towncrier(ctx: CheckContext, member: Member) -> Finding:
    return Finding(
        path=ctx.rel(member.pyproject),
        line=1,
        rule=RULE,
        message=f"{member.name} is released but has no [tool.towncrier]: towncrier would "
        "write its changelog to NEWS.rst, and the release reads CHANGELOG.md",
        fix='run `monorel init --yes`, or add [tool.towncrier] with filename = "CHANGELOG.md" '
        'and directory = "changelog.d"',
    )


def _checked(member: Member) -> bool:
    if member.released or member.changelog_dir.is_dir():
        return True
    return "towncrier" in member.data.get("tool", {})


def _skip_coverage(ctx: CheckContext, skips: tuple[fragments.Fragment, ...]) -> str | None:
    """The newest commit that added or changed one of the skip fragments; None while one
    of them is not committed yet (it covers the working tree as it is)."""
    rels = [ctx.rel(f.path) for f in skips]
    dirty = set(git.dirty_paths(ctx.ws.root))
    if any(rel in dirty for rel in rels):
        return None
    return git.last_commit(ctx.ws.root, rels)


def _since_base(ctx: CheckContext) -> str | None:
    if ctx.since is None:
        return None
    if not ctx.in_git or not git.ref_exists(ctx.ws.root, ctx.since):
        raise UsageError(
            f"--since {ctx.since}: no such git ref in {ctx.ws.root}",
            fix="name a branch, tag or commit that exists (fetch it first in CI)",
        )
    return git.merge_base(ctx.ws.root, ctx.since, "HEAD")


def _missing(
    ctx: CheckContext,
    member: Member,
    since_base: str | None,
    present: tuple[fragments.Fragment, ...],
) -> Finding | None:
    releasing = [f for f in present if f.type != fragments.SKIP]
    if since_base is None and releasing:
        return None  # fragments are consumed at release: any present one is unreleased
    if since_base is not None:
        base, described = since_base, f"since {ctx.since} (merge base {since_base[:12]})"
    else:
        point = ctx.last_release(member)
        if point is None:
            return None  # never released and no --since: nothing to compare with
        base = point.commit
        described = f"since its release {point.version} ({point.source} {point.commit[:12]})"
        if present:  # skip fragments only: they cover what came before them
            covered = _skip_coverage(ctx, present)
            if covered is None:
                return None
            if not git.is_ancestor(ctx.ws.root, covered, base):
                base = covered
                described = f"since its skip fragment ({covered[:12]})"
    if _released_by_the_tree(ctx, member, base):
        return None
    fragment_dir = ctx.rel(member.changelog_dir)
    changed = ctx.changed_files(base, member)
    pyproject = ctx.rel(member.pyproject)
    member_dir = member.relpath(ctx.ws.root) + "/"
    code = [
        p
        for p in changed
        if not p.startswith(f"{fragment_dir}/")
        and not member.ignores(p.removeprefix(member_dir))
        and not (p == pyproject and _only_release_pins(ctx, member, base))
    ]
    if not code:
        return None
    if since_base is not None and any(ctx.rel(f.path) in changed for f in present):
        return None  # a pull request adds (or edits) its own fragment
    shown = ", ".join(code[:3]) + (f" and {len(code) - 3} more" if len(code) > 3 else "")
    missing = "adds no fragment" if since_base is not None else "has no fragment"
    return Finding(
        path=fragment_dir,
        line=None,
        rule=RULE,
        message=f"{member.name} changed {described} ({shown}) but {missing}",
        fix=(
            # a "+" names no issue: towncrier would render "<slug>" as an issue link "(#slug)"
            f"add {fragment_dir}/+<slug>.<type>.md describing the change, or "
            f"<issue>.<type>.md to link an issue (types: {', '.join(fragments.types(member))})"
        ),
    )


def _released_by_the_tree(ctx: CheckContext, member: Member, base: str) -> bool:
    """The tree moves the member's version past ``base`` and its changelog has the section."""
    if release_points.version_at(ctx.ws, member, base) == member.version:
        return False
    try:
        text = member.changelog_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return has_section(text, member.version)


def _only_release_pins(ctx: CheckContext, member: Member, base: str) -> bool:
    """The member's pyproject differs from ``base`` only in ``==`` pins on workspace
    members that name the versions those members have in the tree."""
    text = git.show(ctx.ws.root, base, ctx.rel(member.pyproject))
    if text is None:
        return False
    try:
        old = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    if not _pins_at_tree_versions(ctx, member.data):
        return False
    return _without_pins(ctx, old) == _without_pins(ctx, member.data)


def _pins_at_tree_versions(ctx: CheckContext, data: Any) -> bool:
    """Every ``==`` pin on a workspace member in ``data`` names its version in the tree."""
    for raw in data.get("project", {}).get("dependencies", []):
        req = _pin(ctx, raw)
        if req is not None:
            version = next(iter(req.specifier)).version
            if version != ctx.ws.members[canonicalize_name(req.name)].version:
                return False
    return True


def _without_pins(ctx: CheckContext, data: Any) -> Any:
    project = dict(data.get("project", {}))
    deps = project.get("dependencies", [])
    project["dependencies"] = [raw for raw in deps if _pin(ctx, raw) is None]
    return {**data, "project": project}


def _pin(ctx: CheckContext, raw: str) -> Requirement | None:
    """``raw`` as an ``==`` pin on a workspace member, else None."""
    try:
        req = Requirement(raw)
    except InvalidRequirement:
        return None
    specs = list(req.specifier)
    known = canonicalize_name(req.name) in ctx.ws.members
    return req if known and len(specs) == 1 and specs[0].operator == "==" else None
