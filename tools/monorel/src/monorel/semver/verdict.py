"""The semver verdict: the bump a member's changes require since its last release."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from monorel import bumps, release_points
from monorel.adapters import git
from monorel.errors import UsageError
from monorel.layout import ImportPackage
from monorel.semver import api_diff, migrations, settings_checks
from monorel.semver.evidence import (
    OPERATOR_FRAGMENTS,
    Bump,
    Evidence,
    OperatorNote,
    Unclassified,
    bump_rank,
    strongest,
)
from monorel.workspace import Member, Workspace


@dataclass(frozen=True)
class Verdict:
    """What ``member`` needs, compared with ``baseline``.

    ``required``: the strongest evidence item. ``bump``: what the release must be,
    after the 0.x rule of ``monorel.bumps`` (before 1.0 a major counts as a minor and a
    minor as a patch).
    ``evidence``: strongest first. ``baseline`` is None for a member that was never
    released (nothing to compare: ``bump`` is "none", the first version is chosen by hand).
    """

    package: str
    baseline: str | None  # the tag, the --since ref, or the history commit compared with
    baseline_commit: str | None
    baseline_version: str | None
    required: Bump
    bump: Bump
    evidence: tuple[Evidence, ...]
    # migrations (or operations) whose effect could not be judged: each also counts as a
    # major in ``evidence``, and each is a problem until it is declared
    unclassified: tuple[Unclassified, ...] = ()
    operator_notes: tuple[OperatorNote, ...] = ()

    @property
    def pre_1_0(self) -> bool:
        return bumps.is_pre_1_0(self.baseline_version)

    def effective(self, bump: Bump) -> Bump:
        """``bump`` after the 0.x rule."""
        return bumps.effective(self.baseline_version, bump)

    def shortfall(self, given: Bump, fragment_types: Iterable[str]) -> list[str]:
        """Why fragments asking for ``given`` (of ``fragment_types``) are not enough.

        One line per evidence item that asks for more than ``given`` ("api.py removes
        create_invoice: major required, fragments give minor"), and per item whose
        required fragment type is missing. Empty when the fragments cover the verdict.
        """
        types = set(fragment_types)
        problems = [
            f"{item.summary} (declare its bump with a `# monorel: LEVEL -- reason` line in "
            "the migration, or its operation in [tool.monorel.migration-operations])"
            for item in self.unclassified
        ]
        for item in self.evidence:
            if item.kind == "migration.unclassified":
                continue  # said above, with what to do
            # compared after the 0.x rule on both sides: before 1.0 a feature fragment
            # (minor, counted as a patch) covers an additive change (likewise a patch)
            if bump_rank(self.effective(item.bump)) > bump_rank(self.effective(given)):
                problems.append(f"{item.subject}: {item.bump} required, fragments give {given}")
            if item.fragment_types and not types & set(item.fragment_types):
                problems.append(f"{item.subject}: {_fragment_need(item.fragment_types)}")
        return problems

    def as_dict(self) -> dict[str, object]:
        return {
            "package": self.package,
            "baseline": self.baseline,
            "baseline_commit": self.baseline_commit,
            "baseline_version": self.baseline_version,
            "required": self.required,
            "bump": self.bump,
            "evidence": [item.as_dict() for item in self.evidence],
            "unclassified": [item.as_dict() for item in self.unclassified],
            "operator_notes": [item.as_dict() for item in self.operator_notes],
        }


def required_bump(ws: Workspace, member: Member, since: str | None = None) -> Verdict:
    """The bump ``member``'s working tree requires against its last release point.

    Contract (for ``monorel plan`` and ``monorel semver``):
    - Baseline: ``since`` (any git ref) if given, else
      ``release_points.last_release(ws, member).commit``. A member with neither gets a
      ``Verdict`` with ``baseline=None``, ``bump="none"`` and no evidence (first release).
    - Compared: the baseline commit with the working tree as it is on disk, uncommitted
      and untracked files included. The public API and settings checks are read
      statically (``ast``, griffe); new and edited migrations are loaded by Django in a
      child process and their SQL run in a rolled-back transaction on PostgreSQL (see
      ``semver.migrations``). Nothing in the repository is written; a temporary export of
      the package at the baseline is removed before returning.
    - Evidence (each with the bump it requires on its own, strongest first):
      public API (``api.*``, see ``semver.api_diff``), migrations (``migration.*``,
      see ``semver.migrations``), new system check errors (``settings.*``, see
      ``semver.settings_checks``). When none of these apply but files under the
      import package changed, one ``code.changed`` item asks for a patch.
    - ``unclassified``: what the migration verdict could not judge (each also a major
      in the evidence); ``shortfall`` lists each until it is declared.
      ``operator_notes``: rewrites, long locks, data migrations, declarations: each needs
      a ``migration`` or ``breaking`` fragment, and ``monorel version`` writes them into
      the changelog.
    - ``Verdict.bump`` applies DESIGN.md's 0.x rule to the strongest item, judged by the
      baseline's version: before 1.0 a major becomes a minor.
    - ``Verdict.shortfall(given, fragment_types)`` says why fragments are not enough:
      an item requires more than they give, or an item's ``fragment_types`` (``breaking``
      for API breakages and new settings; ``breaking`` or ``migration`` for operator
      action; ``migration`` for a backfill) has no fragment.
    Raises ``UsageError`` (MR002) for a ``since`` that is not a commit,
    ``SourceParseError`` (MR030) for a public or checks module that does not parse,
    ``MigrationDeclarationError`` (MR033) for a malformed or unfounded declaration,
    ``PostgresUnavailable`` (MR034) when new migrations need a server and none can be
    had, ``ConfigError`` (MR001) for a bad ``[tool.monorel.migration-operations]``,
    ``ToolError`` (MR010) when git or the Django child fails.
    """
    baseline, commit, version = _baseline(ws, member, since)
    if commit is None:
        return Verdict(member.name, None, None, None, "none", "none", ())
    items: list[Evidence] = []
    unclassified: list[Unclassified] = []
    operator_notes: list[OperatorNote] = []
    # every import package of the member: migrations or API in a second one count too
    for package in member.import_packages:
        judged = _judge_package(ws, _package_view(member, package), commit)
        items += judged[0]
        unclassified += judged[1].unclassified
        operator_notes += judged[1].operator_notes
    evidence = tuple(sorted(items, key=_order))
    required = strongest([item.bump for item in evidence])
    effective = bumps.effective(version, required)
    return Verdict(
        member.name,
        baseline,
        commit,
        version,
        required,
        effective,
        evidence,
        tuple(unclassified),
        tuple(operator_notes),
    )


def _package_view(member: Member, package: ImportPackage) -> Member:
    """``member`` as seen from one of its import packages (its public modules there)."""
    if package.name == member.import_name and package.path == member.package_dir:
        return member
    own = tuple(m for m in member.public_modules if m.split(".", 1)[0] == package.name)
    return dataclasses.replace(
        member, import_name=package.name, package_dir=package.path, public_modules=own
    )


def _judge_package(
    ws: Workspace, member: Member, commit: str
) -> tuple[list[Evidence], migrations.MigrationVerdict]:
    """The evidence of one import package (``member.package_dir``) since ``commit``."""
    rel = member.package_dir.relative_to(ws.root).as_posix()
    src_rel = member.package_dir.parent.relative_to(ws.root)
    src = member.package_dir.parent
    with tempfile.TemporaryDirectory(prefix="monorel-semver-") as tmp:
        old_export: Path | None = None
        if git.tree_id(ws.root, commit, rel):
            old_export = git.export_tree(ws.root, commit, rel, Path(tmp))
        old_root = Path(tmp) / src_rel if old_export else None
        if member.package_dir.suffix == ".py":  # a top-level module: no migrations, no checks
            judged = migrations.MigrationVerdict()
            items = [*api_diff.compare(member.public_modules, old_root, src, ws.root)]
        else:
            # One after the other: CPython 3.11's ast.parse is not safe from two threads at
            # once ("AST constructor recursion depth mismatch"), and both sides parse Python.
            # The migration verdict first: its error is the one to report.
            judged = migrations.judge(ws, member, old_export, rel)
            items = [
                *api_diff.compare(member.public_modules, old_root, src, ws.root),
                *judged.evidence,
                *settings_checks.new_required_settings(old_export, member.package_dir, rel),
            ]
    if not items:
        items = _code_changes(ws, member, commit, rel)
    return items, judged


def _baseline(
    ws: Workspace, member: Member, since: str | None
) -> tuple[str | None, str | None, str | None]:
    """(label, commit, version at that point)."""
    if since is not None:
        if not git.ref_exists(ws.root, since):
            raise UsageError(
                f"--since {since!r} is not a commit in {ws.root}",
                fix=f"pass a tag (e.g. {member.tag()}), a branch or a commit",
            )
        commit = git.resolve(ws.root, since)
        return since, commit, release_points.version_at(ws, member, commit)
    point = ws.release_index.last_release(member)
    if point is None:
        return None, None, None
    label = member.tag(point.version) if point.source == "tag" else point.commit
    return label, point.commit, point.version


def _code_changes(ws: Workspace, member: Member, commit: str, rel: str) -> list[Evidence]:
    changed = git.changed_files(ws.root, commit, [rel])
    if not changed:
        return []
    count = len(changed)
    return [
        Evidence(
            kind="code.changed",
            path=rel,
            line=None,
            obj=member.import_name,
            description=(
                f"changes {count} file{'s' if count != 1 else ''} "
                "with no public API, migration or settings effect"
            ),
            bump="patch",
        )
    ]


def _order(item: Evidence) -> tuple[int, str, int, str]:
    return (-bump_rank(item.bump), item.path, item.line or 0, item.description)


def _fragment_need(types: tuple[str, ...]) -> str:
    names = " or ".join(f"`{t}`" for t in types)
    if set(types) <= set(OPERATOR_FRAGMENTS) and "migration" in types:
        return f"needs a {names} fragment that says what operators must do"
    return f"needs a {names} fragment"
