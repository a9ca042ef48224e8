"""MR-MIGRATION: migrations are owned by their app and point one way.

Read statically by ``monorel.migration_files`` (the reader the semver verdict uses too)
from each app's ``migrations/`` package:

* an operation on a model the app does not create in its own migrations (``AddField``
  with ``model_name``, ``AlterModelOptions``/``DeleteModel`` with ``name``...), an
  operation carrying another ``app_label``, or ``RunSQL`` naming another workspace app's
  table (``<label>_<model>`` or its ``db_table``) operates on another app's models;
* a dependency (or ``run_before``) on another member's app must follow a declared
  dependency, name an existing migration, and, when history tells the first released
  version that contains that migration, the declared range must start at it;
* the member-level graph of cross-package migration dependencies must be acyclic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from monorel import migration_files
from monorel.adapters import git
from monorel.checks.context import CheckContext
from monorel.checks.declared import lower_bound, requirement_line, suggested_range
from monorel.checks.django_apps import DjangoApp
from monorel.checks.findings import Finding
from monorel.workspace import Member

Dependency = migration_files.Dependency

RULE = "MR-MIGRATION"
NAME = "migrations"
SUMMARY = "migrations own their app's models; cross-app dependencies declared, bounded, acyclic"

_SPECIAL_NAMES = {"__first__", "__latest__"}


@dataclass(frozen=True)
class MigrationFile:
    app: DjangoApp
    source: migration_files.MigrationSource

    @property
    def path(self) -> Path:
        return self.source.path

    @property
    def dependencies(self) -> list[Dependency]:
        return self.source.dependencies

    @property
    def created(self) -> list[tuple[str, str | None]]:
        return self.source.created


@dataclass(frozen=True)
class _Edge:
    source: str  # member that depends
    target: str  # member depended on
    path: str
    line: int


def check(ctx: CheckContext) -> list[Finding]:
    files = [_read(ctx, app, path) for app in ctx.apps for path in app.migration_files()]
    files = [f for f in files if f is not None]
    models, tables = _app_models(files)
    findings: list[Finding] = []
    edges: list[_Edge] = []
    for mf in files:
        findings += _ownership(ctx, mf, models, tables)
        for dep in mf.dependencies:
            finding, edge = _dependency(ctx, mf, dep)
            if finding is not None:
                findings.append(finding)
            if edge is not None:
                edges.append(edge)
    findings += _cycles(edges)
    return findings


def _read(ctx: CheckContext, app: DjangoApp, path: Path) -> MigrationFile | None:
    tree = ctx.parse(path)
    if isinstance(tree, SyntaxError):
        return None  # MR-IMPORT reports unparsable modules
    return MigrationFile(app, migration_files.from_tree(path, tree))


def _app_models(files: list[MigrationFile]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Per app label: the models its migrations create, and their tables."""
    models: dict[str, set[str]] = {}
    tables: dict[str, set[str]] = {}
    for mf in files:
        label = mf.app.label
        own_models = models.setdefault(label, set())
        own_tables = tables.setdefault(label, set())
        for name, table in mf.created:
            own_models.add(name)
            own_tables.add(table or f"{label}_{name}")
    return models, tables


def _ownership(
    ctx: CheckContext, mf: MigrationFile, models: dict[str, set[str]], tables: dict[str, set[str]]
) -> list[Finding]:
    label = mf.app.label
    own = models.get(label, set())
    rel = ctx.rel(mf.path)
    findings = []
    for op in mf.source.all_operations():
        where = dict(path=rel, line=op.line, rule=RULE)
        if op.app_label and op.app_label != label:
            findings.append(
                Finding(
                    **where,
                    message=f"{op.kind} targets app {op.app_label!r} "
                    f"from a migration of app {label!r}",
                    fix=f"move the operation into a migration of {op.app_label!r}",
                )
            )
        elif op.model and op.model not in own:
            owner = next((lab for lab, names in sorted(models.items()) if op.model in names), None)
            whose = (
                f"a model of app {owner!r}" if owner else f"not created by {label!r}'s migrations"
            )
            findings.append(
                Finding(
                    **where,
                    message=f"{op.kind} operates on model {op.model!r} ({whose}) "
                    f"from a migration of app {label!r}",
                    fix=(
                        f"let {owner!r} own changes to its models "
                        "(expose what you need through its API)"
                        if owner
                        else f"operate only on models app {label!r} creates; create the model first"
                    ),
                )
            )
        for text in op.sql:
            for other, names in sorted(tables.items()):
                if other == label:
                    continue
                hit = next(
                    (t for t in sorted(names) if re.search(rf"\b{re.escape(t)}\b", text.lower())),
                    None,
                )
                if hit:
                    findings.append(
                        Finding(
                            **where,
                            message=f"RunSQL in a migration of app {label!r} touches "
                            f"table {hit!r} of app {other!r}",
                            fix=f"change {other!r}'s tables only in {other!r}'s migrations",
                        )
                    )
    return findings


def _dependency(
    ctx: CheckContext, mf: MigrationFile, dep: Dependency
) -> tuple[Finding | None, _Edge | None]:
    other = ctx.app(dep.label)
    member = mf.app.member
    if other is None or other.member.name == member.name:
        return None, None  # Django's own apps, third-party apps, or apps of the same member
    rel = ctx.rel(mf.path)
    # run_before turns the edge around: the other app's migration depends on this one
    source, target = (other.member, member) if dep.reverse else (member, other.member)
    where = dict(path=rel, line=dep.line, rule=RULE, target=target.name)
    edge = _Edge(source.name, target.name, rel, dep.line)
    how = (
        f"run_before ({dep.label!r}, {dep.name!r})"
        if dep.reverse
        else f"dependency ({dep.label!r}, {dep.name!r})"
    )
    if source.role == "library" and target.role == "host":
        return Finding(
            **where,
            message=f"migration {how} makes library {source.name} depend on {target.name}, "
            "the host",
            fix=f"remove it; {source.name}'s migrations may depend only on libraries it declares",
        ), edge
    if target.name not in ctx.ws.workspace_requirements(source):
        return Finding(
            **where,
            message=(
                f"migration {how} makes {source.name} depend on {target.name}, "
                f"which {source.name} does not declare in [project].dependencies"
            ),
            fix=f'declare "{suggested_range(target)}" in {ctx.rel(source.pyproject)}, '
            "or remove the dependency",
        ), edge
    if dep.reverse or dep.name in _SPECIAL_NAMES:
        return None, edge
    migration = other.migrations_dir / f"{dep.name}.py"
    if not migration.is_file():
        return Finding(
            **where,
            message=f"migration dependency ({dep.label!r}, {dep.name!r}) names no migration "
            f"of {target.name}",
            fix=f"depend on an existing migration in {ctx.rel(other.migrations_dir)}",
        ), edge
    return _lower_bound(ctx, mf, target, migration, dep), edge


def _lower_bound(
    ctx: CheckContext, mf: MigrationFile, target: Member, migration: Path, dep: Dependency
) -> Finding | None:
    source = mf.app.member
    first = _first_release_with(ctx, target, migration)
    if first is None:
        return None  # history does not tell (the migration is not released yet)
    requirement = ctx.ws.workspace_requirements(source)[target.name]
    bound = lower_bound(requirement.specifier)
    if bound is not None and bound >= Version(first):
        return None
    upper = [s for s in requirement.specifier if s.operator in ("<", "<=")]
    wanted = ",".join([f">={first}", *(str(s) for s in upper)])
    return Finding(
        path=ctx.rel(source.pyproject),
        line=requirement_line(source, target.name),
        rule=RULE,
        message=(
            f'"{requirement}" admits {target.name} releases without migration '
            f"({dep.label!r}, {dep.name!r}), first released in {target.name} {first} "
            f"(needed by {ctx.rel(mf.path)}:{dep.line})"
        ),
        fix=f'declare "{target.name}{wanted}"',
    )


def _first_release_with(ctx: CheckContext, member: Member, path: Path) -> str | None:
    rel = ctx.rel(path)
    for point in ctx.releases(member):
        if rel in git.list_tree(ctx.ws.root, point.commit, rel):
            return point.version
    return None


def _cycles(edges: list[_Edge]) -> list[Finding]:
    graph: dict[str, list[_Edge]] = {}
    for edge in sorted(edges, key=lambda e: (e.source, e.target, e.path, e.line)):
        graph.setdefault(edge.source, []).append(edge)
    findings: list[Finding] = []
    reported: set[frozenset[str]] = set()
    for start in sorted(graph):
        cycle = _cycle_from(graph, start)
        if cycle is None or frozenset(e.source for e in cycle) in reported:
            continue
        reported.add(frozenset(e.source for e in cycle))
        chain = " -> ".join([*(e.source for e in cycle), cycle[0].source])
        places = ", ".join(f"{e.path}:{e.line}" for e in cycle)
        findings.append(
            Finding(
                path=cycle[0].path,
                line=cycle[0].line,
                rule=RULE,
                message=f"cross-package migration dependencies form a cycle: {chain} ({places})",
                fix="make the migrations depend one way, along the declared package dependencies",
            )
        )
    return findings


def _cycle_from(graph: dict[str, list[_Edge]], start: str) -> list[_Edge] | None:
    """The first cycle through ``start`` found depth-first, as its edges."""
    stack: list[tuple[str, list[_Edge]]] = [(start, [])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for edge in reversed(graph.get(node, [])):
            if edge.target == start:
                return [*path, edge]
            if edge.target not in seen:
                seen.add(edge.target)
                stack.append((edge.target, [*path, edge]))
    return None
