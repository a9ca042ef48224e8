"""The migration verdict: what a member's migrations since its release ask of operators.

``judge(ws, member, old_dir, rel_prefix)`` compares the migration files of the package at
the release point (``old_dir``, exported from git) with the working tree:

- **new** (in the tree, not at the release), **edited** (in both, bytes differ) and
  **deleted** (at the release, not in the tree) migrations, per Django app of the member;
- new and edited ones are loaded by Django itself (``adapters.django_.describe_migrations``:
  ``MigrationLoader`` under the member's settings, as ``migrate`` would see a database at
  the release point) and applied to a throwaway PostgreSQL schema, which gives for every
  operation its class, the change it makes to Django's model state and the SQL it runs;
- each operation is judged by ``operation_table`` (known? special?), its state change by
  ``state_rules``, each of its statements (parsed by PostgreSQL's grammar,
  ``adapters.pglast_``) by ``sql_rules``; RunPython: irreversible is a major,
  reversible a minor with an operator note; RunSQL without ``reverse_sql`` a major;
- squashes are judged by what they do to a database at the release point (Django's own
  squash rules decide whether it runs the squash or the originals);
- an edited released migration is judged by the SQL and state it produces compared with
  the release's version (run on the same state): other SQL is a major (databases that
  applied it keep the old schema), other state is judged by ``state_rules``, changed data
  code a minor with a note, anything else (formatting, comments, options that change
  neither) a patch;
- a deleted released migration is a major, unless a squash in the tree replaces it;
- a ``# monorel: LEVEL -- reason`` declaration (``semver.declarations``) sets the bump of
  its migration.

What cannot be judged is unclassified, with the reason: a migration that does not
import (the static reader, ``monorel.migration_files``, still names it and keeps the
graph whole), an unknown operation, a statement PostgreSQL's parser rejects or whose
effect SQL cannot show (``DO`` blocks), an operation that fails on PostgreSQL. Each also
counts as a major in ``evidence``, so ``required`` never under-states what is unknown.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monorel import migration_files, target_env
from monorel.adapters import django_
from monorel.bumps import Bump, rank, strongest
from monorel.checks.django_apps import discover
from monorel.checks.missing_migrations import import_path
from monorel.errors import MigrationDeclarationError, MonorelError
from monorel.semver import database, declarations, operation_table, state_rules
from monorel.semver.evidence import OPERATOR_FRAGMENTS, Evidence, OperatorNote, Unclassified
from monorel.workspace import Member, Workspace

if TYPE_CHECKING:
    # pglast (behind sql_rules) takes a sixth of a second to import: it loads where SQL is
    # judged, not for every verdict (most have no new migration)
    from monorel.semver import sql_rules

__all__ = ["PYTHON_ENV", "MigrationVerdict", "judge"]

# the interpreter of the members' environment (default: the workspace's, monorel.target_env);
# it needs Django, psycopg and the members' requirements, not monorel
PYTHON_ENV = "MONOREL_SEMVER_PYTHON"
# set to 1: each verdict prints where its time went to stderr (bench/migrations.py reads it)
TIMINGS_ENV = "MONOREL_SEMVER_TIMINGS"


@dataclass(frozen=True)
class MigrationVerdict:
    evidence: tuple[Evidence, ...] = ()
    unclassified: tuple[Unclassified, ...] = ()
    operator_notes: tuple[OperatorNote, ...] = ()


@dataclass(frozen=True)
class _File:
    """One migration file of the member: where it is and what the static reader saw."""

    label: str
    name: str
    path: Path
    repo_path: str
    module: str
    source: migration_files.MigrationSource | None
    read_error: str | None  # why the static reader could not read it


@dataclass
class _Findings:
    """What one migration gave, before its declaration applies."""

    file: _File
    evidence: list[Evidence] = field(default_factory=list)
    unclassified: list[Unclassified] = field(default_factory=list)
    notes: list[OperatorNote] = field(default_factory=list)

    def add(
        self,
        kind: str,
        description: str,
        bump: Bump,
        *,
        line: int | None = None,
        operation: str | None = None,
        statement: str | None = None,
        note: str = "",
        fragments: tuple[str, ...] | None = None,
    ) -> None:
        if fragments is None:
            fragments = OPERATOR_FRAGMENTS if (bump == "major" or note) else ()
        self.evidence.append(
            Evidence(
                kind,
                self.file.repo_path,
                line,
                self.file.module,
                description,
                bump,
                fragments,
                operation,
                statement,
            )
        )
        if note:
            self.notes.append(
                OperatorNote(
                    self.file.repo_path, line, self.file.module, operation, statement, note
                )
            )

    def unknown(
        self, reason: str, *, line: int | None = None, operation: str | None = None
    ) -> None:
        self.unclassified.append(
            Unclassified(self.file.repo_path, line, self.file.module, operation, reason)
        )


def judge(ws: Workspace, member: Member, old_dir: Path | None, rel_prefix: str) -> MigrationVerdict:
    """The migration verdict of ``member`` against the package exported at ``old_dir``
    (None where the package did not exist at the release point)."""
    started = time.perf_counter()
    phases: dict[str, float] = {}
    table = operation_table.from_config(ws.config.migration_operations)
    listing, released = _listing(member, old_dir)
    # the Django child starts now where it will be needed: it loads while the files are read
    with _child_ahead(ws, member, listing, released) as child:
        tree = _files(member, listing, rel_prefix)
        phases["read"] = time.perf_counter() - started
        new = [f for key, f in tree.items() if key not in released]
        edited = [
            f
            for key, f in tree.items()
            if key in released and f.path.read_bytes() != released[key].read_bytes()
        ]
        deleted = [key for key in released if key not in tree]
        results: list[_Findings] = []
        replaced_by_tree = {
            replaced
            for f in tree.values()
            if f.source is not None
            for replaced in f.source.replaces
        }
        for label, name in sorted(deleted):
            findings = _Findings(
                _File(
                    label,
                    name,
                    released[(label, name)],
                    f"{rel_prefix}/{released[(label, name)].relative_to(old_dir).as_posix()}"
                    if old_dir
                    else name,
                    _module(member, released[(label, name)], old_dir),
                    None,
                    None,
                )
            )
            if (label, name) in replaced_by_tree:
                findings.add(
                    "migration.deletes-replaced",
                    "deletes a released migration that a squash in the tree replaces",
                    "patch",
                )
            else:
                findings.add("migration.deletes-released", "deletes a released migration", "major")
            results.append(findings)
        judged = [f for f in new + edited if f.source is None or f.source.has_migration_class]
        if judged:
            results += _described(
                ws, member, table, tree, released, new, edited, judged, phases, child
            )
    verdict = _combine(results)
    if os.environ.get(TIMINGS_ENV) == "1":
        spent = time.perf_counter() - started
        phases["judge"] = spent - sum(v for k, v in phases.items() if "." not in k)
        shown = ", ".join(f"{name} {seconds:.2f}" for name, seconds in phases.items())
        print(f"monorel semver timings: {member.name}: {shown}", file=sys.stderr)
    return verdict


# ---------------------------------------------------------------- files


def _listing(
    member: Member, old_dir: Path | None
) -> tuple[list[tuple[str, Path]], dict[tuple[str, str], Path]]:
    """((label, path) of each of the tree's migration files, the release's files by
    (label, name))."""
    listing: list[tuple[str, Path]] = []
    released: dict[tuple[str, str], Path] = {}
    for app in discover(member):
        rel_dir = app.migrations_dir.relative_to(member.package_dir)
        listing += [(app.label, path) for path in app.migration_files()]
        old_migrations = old_dir / rel_dir if old_dir else None
        if old_migrations is not None and old_migrations.is_dir():
            for path in sorted(old_migrations.glob("*.py")):
                if path.name != "__init__.py":
                    released[(app.label, path.stem)] = path
    return listing, released


def _files(
    member: Member, listing: list[tuple[str, Path]], rel_prefix: str
) -> dict[tuple[str, str], _File]:
    """The tree's migration files by (label, name), read by the static reader."""
    tree: dict[tuple[str, str], _File] = {}
    for label, path in listing:
        source, error = _read(path)
        rel = path.relative_to(member.package_dir).as_posix()
        tree[(label, path.stem)] = _File(
            label,
            path.stem,
            path,
            f"{rel_prefix}/{rel}",
            _module(member, path, member.package_dir),
            source,
            error,
        )
    return tree


def _child_ahead(
    ws: Workspace,
    member: Member,
    listing: list[tuple[str, Path]],
    released: Mapping[tuple[str, str], Path],
) -> AbstractContextManager[django_.DescribeChild | None]:
    """The Django child, started where a new or edited migration may need it (left unused
    and stopped where none does)."""
    changed = any(
        (label, path.stem) not in released
        or path.read_bytes() != released[(label, path.stem)].read_bytes()
        for label, path in listing
    )
    if not changed or not member.django_settings:
        return contextlib.nullcontext()
    try:
        return django_.DescribeChild(cwd=ws.root, python=_python(ws))
    except MonorelError:
        return contextlib.nullcontext()  # the same error comes where the child is needed


def _python(ws: Workspace) -> str:
    return os.environ.get(PYTHON_ENV) or target_env.python(ws.root, needs_django=True)


def _module(member: Member, path: Path, package_dir: Path | None) -> str:
    rel = path.relative_to(package_dir).with_suffix("") if package_dir else Path(path.stem)
    return ".".join((member.import_name, *rel.parts))


def _read(path: Path) -> tuple[migration_files.MigrationSource | None, str | None]:
    try:
        return migration_files.read(path), None
    except SyntaxError as exc:
        return None, f"{type(exc).__name__}: {exc.msg} (line {exc.lineno})"


# ---------------------------------------------------------------- described by Django


def _described(
    ws: Workspace,
    member: Member,
    table: operation_table.OperationTable,
    tree: Mapping[tuple[str, str], _File],
    released: Mapping[tuple[str, str], Path],
    new: Sequence[_File],
    edited: Sequence[_File],
    judged: Sequence[_File],
    phases: dict[str, float],
    child: django_.DescribeChild | None,
) -> list[_Findings]:
    findings = {(f.label, f.name): _Findings(f) for f in judged}
    if not member.django_settings:
        for item in findings.values():
            item.unknown(
                f"{member.name} has no Django settings to load its migrations with (set "
                "DJANGO_SETTINGS_MODULE in its [tool.pytest.ini_options], or django-settings "
                f"in [tool.monorel.packages.{member.name}])"
            )
        return list(findings.values())
    labels = tuple(sorted({f.label for f in tree.values()}))
    count = len(new) + len(edited)
    started = time.perf_counter()
    where = database.for_verdict(f"{member.name}'s {count} new or edited migration(s)")
    phases["database"] = time.perf_counter() - started
    job = django_.DescribeJob(
        settings=member.django_settings,
        labels=labels,
        database=where,
        released={
            label: tuple(sorted(n for (lab, n) in released if lab == label)) for label in labels
        },
        edited={
            label: {f.name: released[(f.label, f.name)] for f in edited if f.label == label}
            for label in labels
        },
        static={
            label: {
                f.name: {
                    "dependencies": [
                        [d.label, d.name] for d in f.source.dependencies if not d.reverse
                    ],
                    "replaces": [list(r) for r in f.source.replaces],
                    "initial": f.source.initial,
                }
                for f in tree.values()
                if f.label == label and f.source is not None
            }
            for label in labels
        },
        pythonpath=import_path(ws, member),
    )
    python = _python(ws)
    started = time.perf_counter()
    [result] = django_.describe_migrations([job], cwd=ws.root, python=python, child=child)
    phases["child"] = time.perf_counter() - started
    for name, seconds in ((result.described or {}).get("seconds") or {}).items():
        phases[f"child.{name}"] = float(seconds)
    if result.described is None:
        for item in findings.values():
            item.unknown(
                f"Django could not load the migrations under {member.django_settings}: "
                f"{result.failure}"
            )
        return list(findings.values())
    described = result.described
    statuses: Mapping[str, str] = described["statuses"]
    import_errors: Mapping[str, str] = described["import_errors"]
    records = {(r["app"], r["name"]): r for r in described["migrations"]}
    edited_keys = {(f.label, f.name) for f in edited}
    out: list[_Findings] = []
    # released migrations that no longer import break every fresh install
    for key_text, error in sorted(import_errors.items()):
        label, name = key_text.split(".", 1)
        if (label, name) not in findings and (label, name) in tree:
            broken = _Findings(tree[(label, name)])
            broken.unknown(f"a released migration no longer imports: {error}")
            out.append(broken)
    from monorel.semver import sql_rules

    sql = sql_rules.SqlContext()
    # records come in the order migrate applies them: judge in that order (new tables)
    order = [key for key in records if key in findings] + [
        key for key in findings if key not in records
    ]
    for key in order:
        item = findings[key]
        key_text = f"{key[0]}.{key[1]}"
        status = statuses.get(key_text)
        failure = import_errors.get(key_text) or item.file.read_error
        if failure is not None:
            item.unknown(f"does not import: {failure}")
        elif status is None:
            item.unknown(
                f"Django does not load it under {member.django_settings} (app not installed, "
                "or MIGRATION_MODULES leaves it out)"
            )
        elif key in edited_keys:
            if key in records:
                _judge_edit(item, records[key], table)
            else:
                item.add(
                    "migration.edits-replaced",
                    "edits a released migration that a squash replaces (no database runs it)",
                    "patch",
                )
        elif status == "replaced":
            pass  # an unreleased migration replaced by a squash: the squash is judged
        elif status == "unused-squash":
            item.add(
                "migration.squash-unused",
                "is a squash that databases at the release point do not use (they applied "
                "some of what it replaces and run the others)",
                "patch",
            )
        elif status == "applied":
            item.add(
                "migration.squash-released",
                "squashes released migrations (databases that applied them skip it)",
                "patch",
            )
        else:
            _judge_new(item, records[key], table, sql)
        out.append(item)
    return out


def _judge_new(
    item: _Findings,
    record: Mapping[str, Any],
    table: operation_table.OperationTable,
    sql: sql_rules.SqlContext,
) -> None:
    if record.get("import_error"):
        item.unknown(f"does not import: {record['import_error']}")
        return
    sql.dropped_constraints = set()
    statements = record["statements"]
    errors = record["errors"]
    for index, op in enumerate(record["operations"]):
        line = item.file.source.operation_line(index) if item.file.source else None
        before = len(item.evidence), len(item.unclassified)
        _judge_operation(
            item,
            op,
            table,
            sql,
            line=line,
            atomic=record["atomic"],
            statements=[s for s in statements if s["op"] and s["op"][0] == index],
        )
        operation = _operation_name(op)
        rejected = any("parser rejects" in u.reason for u in item.unclassified[before[1] :])
        for failure in errors:
            # a statement the parser rejected fails on PostgreSQL too: said once
            if failure["op"] and failure["op"][0] == index and not rejected:
                item.unknown(
                    f"fails on PostgreSQL: {failure['error']}", line=line, operation=operation
                )
        if (len(item.evidence), len(item.unclassified)) == before:
            item.add(
                "migration.no-effect",
                f"{op['name']} changes nothing a database or its users see",
                "patch",
                line=line,
                operation=operation,
            )
    if not record["operations"]:
        item.add("migration.empty", "has no operations", "patch")


def _judge_operation(
    item: _Findings,
    op: Mapping[str, Any],
    table: operation_table.OperationTable,
    sql: sql_rules.SqlContext,
    *,
    line: int | None,
    atomic: bool,
    statements: list[Mapping[str, Any]],
) -> None:
    name = op["name"]
    operation = _operation_name(op)
    rule = table.lookup(op["class"], tuple(op["bases"]))
    start = len(item.evidence)
    if rule is None:
        item.unknown(
            f"{op['class']} is not an operation monorel knows: declare it in "
            "[tool.monorel.migration-operations] or with a `# monorel:` line",
            line=line,
            operation=operation,
        )
    elif rule.how == "run-python":
        _run_python(item, op, line, operation)
    elif rule.how == "run-sql":
        _run_sql(item, op, line, operation, statements)
    elif rule.how == "separate":
        _inner(item, op, table, line, operation)
    elif rule.how == "concurrent" and atomic:
        item.unknown(
            f"{name} cannot run inside a transaction: migrate fails unless the migration "
            "sets atomic = False",
            line=line,
            operation=operation,
        )
    for finding in state_rules.judge_changes(op.get("state", [])):
        item.add(
            finding.kind,
            f"{name} {finding.description}",
            finding.bump,
            line=line,
            operation=operation,
        )
    from monorel.adapters import pglast_
    from monorel.semver import sql_rules

    sql.old_types = _old_types(op.get("state", []))
    for statement in statements:
        try:
            actions = pglast_.actions(statement["sql"])
        except pglast_.SqlParseError as exc:
            item.unknown(
                f"PostgreSQL's parser rejects {statement['sql']!r}: {exc}",
                line=line,
                operation=operation,
            )
            continue
        for action in actions:
            for judged in sql_rules.judge(action, sql):
                if judged.unknown:
                    item.unknown(
                        judged.unknown + f": {action.statement}", line=line, operation=operation
                    )
                    continue
                item.add(
                    judged.kind,
                    f"{name} {judged.description}",
                    judged.bump,
                    line=line,
                    operation=operation,
                    statement=action.statement,
                    note=judged.note,
                )
    if rule is not None and rule.declared:
        _configured(item, rule, op, start, line, operation)


def _configured(
    item: _Findings,
    rule: operation_table.Rule,
    op: Mapping[str, Any],
    start: int,
    line: int | None,
    operation: str,
) -> None:
    """A configured operation: its level stands for what it does (capped findings kept)."""
    level: Bump = rule.how  # type: ignore[assignment]
    found = item.evidence[start:]
    shown = strongest(e.bump for e in found)
    if rank(shown) > rank(level) and not rule.reason:
        raise MigrationDeclarationError(
            f"[tool.monorel.migration-operations] declares {op['class']} {level}, but in "
            f"{item.file.repo_path} its SQL and state show {shown} "
            f"({found[0].description if found else ''}) and the entry gives no reason",
            fix=f'add reason = "..." to its entry, or declare it "{shown}"',
        )
    item.evidence[start:] = [_capped(e, level) for e in found]
    description = f"{op['name']} is declared {level} in [tool.monorel.migration-operations]"
    if rule.reason:
        description += f": {rule.reason}"
    item.add(
        "migration.configured", description, level, line=line, operation=operation, note=rule.note
    )


def _run_python(item: _Findings, op: Mapping[str, Any], line: int | None, operation: str) -> None:
    code = _short(item, op.get("code") or "?")
    if op.get("noop"):
        item.add(
            "migration.run-python-noop",
            "RunPython runs nothing (RunPython.noop)",
            "patch",
            line=line,
            operation=operation,
        )
    elif not op.get("reverse_code"):
        item.add(
            "migration.run-python-irreversible",
            f"RunPython {code} cannot be reversed (no reverse_code): a rollback needs a restore",
            "major",
            line=line,
            operation=operation,
        )
    else:
        item.add(
            "migration.run-python",
            f"RunPython {code} changes data (reversible)",
            "minor",
            line=line,
            operation=operation,
            note=f"runs data code {code} over existing rows (reversible: "
            f"{_short(item, op['reverse_code'])})",
        )


def _short(item: _Findings, dotted: str) -> str:
    """A function's name without its migration module (``forwards``, ``RunPython.noop``)."""
    for prefix in (f"{item.file.module}.", "django.db.migrations.operations.special."):
        if dotted.startswith(prefix):
            return dotted.removeprefix(prefix)
    return dotted


def _run_sql(
    item: _Findings,
    op: Mapping[str, Any],
    line: int | None,
    operation: str,
    statements: list[Mapping[str, Any]],
) -> None:
    if not op.get("reversible"):
        item.add(
            "migration.run-sql-irreversible",
            "RunSQL cannot be reversed (no reverse_sql): a rollback needs a restore",
            "major",
            line=line,
            operation=operation,
        )
    elif statements:
        item.add(
            "migration.run-sql",
            f"RunSQL runs {len(statements)} statement(s) of its own (reversible)",
            "minor",
            line=line,
            operation=operation,
        )


def _inner(
    item: _Findings,
    op: Mapping[str, Any],
    table: operation_table.OperationTable,
    line: int | None,
    operation: str,
) -> None:
    """SeparateDatabaseAndState: its database operations must be known; RunPython and
    RunSQL among them follow their rules. Its state change is judged with the container's."""
    for inner in op.get("database_operations", []):
        rule = table.lookup(inner["class"], tuple(inner["bases"]))
        what = f"{operation} / {_operation_name(inner)}"
        if rule is None:
            item.unknown(
                f"{inner['class']} (in database_operations) is not an operation monorel "
                "knows: declare it in [tool.monorel.migration-operations] or with a "
                "`# monorel:` line",
                line=line,
                operation=what,
            )
        elif rule.how == "run-python":
            _run_python(item, inner, line, what)
        elif rule.how == "run-sql" and not inner.get("reversible"):
            _run_sql(item, inner, line, what, [])
        elif rule.how == "separate":
            _inner(item, inner, table, line, what)


def _old_types(changes: list[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """(table, column) -> type before the operation, for its ALTER COLUMN TYPE statements."""
    types: dict[tuple[str, str], str] = {}
    for change in changes:
        if not change["before"]:
            continue
        for pair in change["fields"].values():
            before = pair["before"]
            if before and before.get("db_type"):
                types[(change["before"]["db_table"], before["column"])] = before["db_type"]
    return types


def _judge_edit(
    item: _Findings, record: Mapping[str, Any], table: operation_table.OperationTable
) -> None:
    """A released migration changed in place, judged against the release's version."""
    release = record["release"]
    if record.get("import_error"):
        item.unknown(f"does not import: {record['import_error']}")
        return
    if release.get("import_error"):
        item.unknown(f"its version at the release point does not import: {release['import_error']}")
        return
    for op in record["operations"]:
        if table.lookup(op["class"], tuple(op["bases"])) is None:
            item.unknown(
                f"{op['class']} is not an operation monorel knows",
                operation=_operation_name(op),
            )
    from monorel.adapters import pglast_

    tree_sql = [pglast_.canonical(s["sql"]) for s in record["statements"]]
    release_sql = [pglast_.canonical(s["sql"]) for s in release["statements"]]
    if tree_sql != release_sql:
        index = next(
            (i for i, (a, b) in enumerate(zip(tree_sql, release_sql, strict=False)) if a != b),
            min(len(tree_sql), len(release_sql)),
        )
        changed = (record["statements"] or release["statements"])[
            min(index, len(record["statements"] or release["statements"]) - 1)
        ]
        item.add(
            "migration.edits-released-sql",
            "edits a released migration: the SQL it runs changed (databases that applied it "
            "keep the old schema, new installs get the new one)",
            "major",
            statement=changed["sql"],
        )
        return
    state = state_rules.judge_changes(record.get("edit_state") or [])
    for finding in state:
        item.add(
            finding.kind,
            f"edits a released migration: {finding.description}",
            finding.bump,
        )
    if state:
        return
    tree_ops = [(o["arguments"], o.get("fingerprint")) for o in record["operations"]]
    release_ops = [(o["arguments"], o.get("fingerprint")) for o in release["operations"]]
    if [f for _, f in tree_ops] != [f for _, f in release_ops]:
        item.add(
            "migration.edits-released-code",
            "changes the code a released migration runs, not its SQL or state (databases "
            "that applied it keep its result)",
            "minor",
            note="changes the data code of a released migration: databases that applied it "
            "keep what the old code did",
        )
    elif tree_ops != release_ops:
        item.add(
            "migration.edits-released-operations",
            "changes a released migration's operations without changing its SQL or state",
            "patch",
        )
    else:
        item.add(
            "migration.edits-released-source",
            "edits a released migration's source without changing what it does",
            "patch",
        )


def _operation_name(op: Mapping[str, Any]) -> str:
    return f"{op['name']}: {op['describe']}"


def _capped(item: Evidence, level: Bump) -> Evidence:
    if rank(item.bump) <= rank(level):
        return item
    return Evidence(
        item.kind,
        item.path,
        item.line,
        item.obj,
        f"{item.description} (declared {level})",
        level,
        item.fragment_types,
        item.operation,
        item.statement,
    )


# ---------------------------------------------------------------- declarations


def _combine(results: list[_Findings]) -> MigrationVerdict:
    evidence: list[Evidence] = []
    unclassified: list[Unclassified] = []
    notes: list[OperatorNote] = []
    for item in results:
        _declare(item)
        evidence += item.evidence
        # an unclassified item counts as a major: `required` never under-states the unknown
        evidence += [
            Evidence(
                "migration.unclassified",
                u.path,
                u.line,
                u.obj,
                f"unclassified: {u.reason}",
                "major",
                OPERATOR_FRAGMENTS,
                u.operation,
            )
            for u in item.unclassified
        ]
        unclassified += item.unclassified
        notes += item.notes
    return MigrationVerdict(tuple(evidence), tuple(unclassified), tuple(notes))


def _declare(item: _Findings) -> None:
    """Apply the migration's ``# monorel:`` declaration, if it has one."""
    source = item.file.source
    if source is None:
        return
    declaration = declarations.find(source.text, item.file.repo_path)
    if declaration is None:
        return
    level = declaration.bump
    # what could not be judged counts as a major, as it does without a declaration
    found = strongest(
        [*(e.bump for e in item.evidence), *(("major",) if item.unclassified else ())]
    )
    where = f"{item.file.repo_path}:{declaration.line}"
    if item.unclassified and not declaration.reason:
        raise MigrationDeclarationError(
            f"{where} declares {level} for a migration monorel could not judge "
            f"({item.unclassified[0].reason}) without a reason",
            fix=f"give the reason: `# monorel: {level} -- what it does and why that is {level}`",
        )
    if rank(level) < rank(found) and not declaration.reason:
        lowered = next(e for e in item.evidence if e.bump == found)  # unclassified: above
        raise MigrationDeclarationError(
            f"{where} declares {level}, below the {found} its SQL and state show "
            f"({lowered.description}), without a reason",
            fix=f"give the reason: `# monorel: {level} -- why this needs no {found}`, or "
            f"declare {found}",
        )
    item.evidence = [_capped(e, level) for e in item.evidence]
    item.unclassified = []
    described = f"declared {level}" + (f": {declaration.reason}" if declaration.reason else "")
    if found != level:
        described += f" (monorel found {found})"
    item.add(
        "migration.declared",
        described,
        level,
        line=declaration.line,
        note=described,
        fragments=OPERATOR_FRAGMENTS,
    )
