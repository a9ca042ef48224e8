"""MR-MIGRATION: migrations are owned by their app and point one way.

Read with ``ast`` from each app's ``migrations/`` package:

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

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import Version

from monorel.adapters import git
from monorel.checks.context import CheckContext
from monorel.checks.declared import lower_bound, requirement_line, suggested_range
from monorel.checks.django_apps import DjangoApp
from monorel.checks.findings import Finding
from monorel.workspace import Member

RULE = "MR-MIGRATION"
NAME = "migrations"
SUMMARY = "migrations own their app's models; cross-app dependencies declared, bounded, acyclic"

_FIELD_OPERATIONS = {
    "AddField",
    "AlterField",
    "RemoveField",
    "RenameField",
    "AddIndex",
    "RemoveIndex",
    "RenameIndex",
    "AddConstraint",
    "RemoveConstraint",
    "AlterConstraint",
}
_MODEL_OPERATIONS = {
    "DeleteModel",
    "AlterModelOptions",
    "AlterModelTable",
    "AlterModelTableComment",
    "AlterUniqueTogether",
    "AlterIndexTogether",
    "AlterModelManagers",
    "AlterOrderWithRespectTo",
}
_SPECIAL_NAMES = {"__first__", "__latest__"}


@dataclass(frozen=True)
class Operation:
    kind: str
    model: str | None  # lowercased model name it targets, if any
    app_label: str | None  # an explicit app_label= it carries
    sql: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Dependency:
    label: str
    name: str
    line: int
    reverse: bool = False  # from run_before: the other app depends on this one


@dataclass
class MigrationFile:
    app: DjangoApp
    path: Path
    operations: list[Operation] = field(default_factory=list)
    dependencies: list[Dependency] = field(default_factory=list)
    created: list[tuple[str, str | None]] = field(default_factory=list)  # (model, db_table)


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


def parse_migration(tree: ast.Module) -> tuple[list[Operation], list[Dependency]]:
    """Operations and dependencies of a migration module's ``class Migration``."""
    operations: list[Operation] = []
    dependencies: list[Dependency] = []
    for node in tree.body:
        if not (isinstance(node, ast.ClassDef) and node.name == "Migration"):
            continue
        for stmt in node.body:
            if not isinstance(stmt, ast.Assign):
                continue
            names = {t.id for t in stmt.targets if isinstance(t, ast.Name)}
            if "operations" in names:
                operations += _operations(stmt.value)
            if "dependencies" in names or "run_before" in names:
                dependencies += _dependencies(stmt.value, reverse="run_before" in names)
    return operations, dependencies


def _read(ctx: CheckContext, app: DjangoApp, path: Path) -> MigrationFile | None:
    tree = ctx.parse(path)
    if isinstance(tree, SyntaxError):
        return None  # MR-IMPORT reports unparsable modules
    operations, dependencies = parse_migration(tree)
    return MigrationFile(app, path, operations, dependencies, _created(tree))


def _operations(value: ast.expr) -> list[Operation]:
    found: list[Operation] = []
    if not isinstance(value, ast.List | ast.Tuple):
        return found
    for call in value.elts:
        if not isinstance(call, ast.Call):
            continue
        kind = (
            call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        )
        kwargs = {k.arg: k.value for k in call.keywords if k.arg}
        if kind == "SeparateDatabaseAndState":
            for position, key in enumerate(("database_operations", "state_operations")):
                inner = kwargs.get(key) or (
                    call.args[position] if len(call.args) > position else None
                )
                if inner is not None:
                    found += _operations(inner)
            continue
        model = None
        if kind in _FIELD_OPERATIONS:
            model = _arg(call, 0, "model_name")
        elif kind in _MODEL_OPERATIONS:
            model = _arg(call, 0, "name")
        elif kind == "RenameModel":
            model = _arg(call, 0, "old_name")
        sql: tuple[str, ...] = ()
        if kind == "RunSQL":
            sql = tuple(
                s
                for node in (kwargs.get("sql"), kwargs.get("reverse_sql"), *call.args[:2])
                if node is not None
                for s in _strings(node)
            )
        label = kwargs.get("app_label")
        found.append(
            Operation(
                kind=kind,
                model=model.lower() if model else None,
                app_label=_const(label) if label is not None else None,
                sql=sql,
                line=call.lineno,
            )
        )
    return found


def _dependencies(value: ast.expr, *, reverse: bool) -> list[Dependency]:
    found = []
    if isinstance(value, ast.List | ast.Tuple):
        for item in value.elts:
            if isinstance(item, ast.Tuple) and len(item.elts) == 2:
                label, name = (_const(e) for e in item.elts)
                if label and name:
                    found.append(Dependency(label, name, item.lineno, reverse))
    return found


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


def _created(tree: ast.Module) -> list[tuple[str, str | None]]:
    """(model, db_table) for CreateModel / RenameModel(new_name) / AlterModelTable."""
    created: list[tuple[str, str | None]] = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute | ast.Name):
            continue
        kind = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id
        if kind == "CreateModel":
            name = _arg(call, 0, "name")
            if name:
                created.append((name.lower(), _db_table(call)))
        elif kind == "RenameModel":
            name = _arg(call, 1, "new_name")
            if name:
                created.append((name.lower(), None))
        elif kind == "AlterModelTable":
            name, table = _arg(call, 0, "name"), _arg(call, 1, "table")
            if name and table:
                created.append((name.lower(), table))
    return created


def _db_table(call: ast.Call) -> str | None:
    options = next((k.value for k in call.keywords if k.arg == "options"), None)
    if isinstance(options, ast.Dict):
        for key, value in zip(options.keys, options.values, strict=True):
            if _const(key) == "db_table":
                return _const(value)
    return None


def _ownership(
    ctx: CheckContext, mf: MigrationFile, models: dict[str, set[str]], tables: dict[str, set[str]]
) -> list[Finding]:
    label = mf.app.label
    own = models.get(label, set())
    rel = ctx.rel(mf.path)
    findings = []
    for op in mf.operations:
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


def _arg(call: ast.Call, position: int, keyword: str) -> str | None:
    for k in call.keywords:
        if k.arg == keyword:
            return _const(k.value)
    return _const(call.args[position]) if len(call.args) > position else None


def _const(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _strings(node: ast.AST) -> list[str]:
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]
