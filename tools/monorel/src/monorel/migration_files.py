"""The one static reader of Django migration files, for ``monorel check`` and ``monorel semver``.

``read(path)`` decodes the file as Python does (``monorel.sources``, PEP 263) and reads
its ``class Migration`` with ``ast``: nothing is imported. MR-MIGRATION (ownership,
cross-package dependencies) uses all of it; the semver verdict uses it to find lines of
operations, declarations and, where Django cannot import a migration, its dependencies
(so the graph stays whole) and what can still be said about it.

What is resolved statically: literal lists and tuples; names bound to a literal at
module or class level (``operations = OPERATIONS``); concatenations (``base + extra``)
and unpacking (``[*base, extra]``) of those. What is not (a helper function's result, a
comprehension, a list built by ``append``) is reported in ``MigrationSource.opaque``:
the reader never pretends an unreadable list is empty.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from monorel import sources

__all__ = ["Dependency", "MigrationSource", "Operation", "from_tree", "read", "read_text"]

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
    "AddIndexConcurrently",
    "RemoveIndexConcurrently",
    "AddConstraintNotValid",
    "ValidateConstraint",
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


@dataclass(frozen=True)
class Operation:
    """One operation call as written, with what the ownership rule needs."""

    kind: str  # the called name: "AddField", "SeparateDatabaseAndState", "CreateView"
    model: str | None  # lowercased model name it targets, if any
    app_label: str | None  # an explicit app_label= it carries
    sql: tuple[str, ...]  # RunSQL's literal strings (forwards and reverse)
    line: int
    inner: tuple[Operation, ...] = ()  # SeparateDatabaseAndState: database then state ops
    database_only: bool = False  # an inner op of database_operations


@dataclass(frozen=True)
class Dependency:
    label: str
    name: str
    line: int
    reverse: bool = False  # from run_before: the other app depends on this one


@dataclass
class MigrationSource:
    """What ``read`` found in one migration file."""

    path: Path
    text: str  # decoded source
    tree: ast.Module
    has_migration_class: bool
    operations: list[Operation] = field(default_factory=list)  # top level, in order
    dependencies: list[Dependency] = field(default_factory=list)
    replaces: list[tuple[str, str]] = field(default_factory=list)
    initial: bool = False
    atomic: bool = True
    created: list[tuple[str, str | None]] = field(default_factory=list)  # (model, db_table)
    opaque: list[str] = field(default_factory=list)  # what could not be read, and where
    operations_read: bool = True  # False where the operations list is (partly) opaque

    @property
    def migration_class(self) -> ast.ClassDef | None:
        return next(
            (n for n in self.tree.body if isinstance(n, ast.ClassDef) and n.name == "Migration"),
            None,
        )

    def all_operations(self) -> list[Operation]:
        """Every operation, those inside SeparateDatabaseAndState instead of the container."""
        out: list[Operation] = []
        pending = list(reversed(self.operations))
        while pending:
            op = pending.pop()
            if op.kind == "SeparateDatabaseAndState":
                pending += reversed(op.inner)
            else:
                out.append(op)
        return out

    def operation_line(self, index: int) -> int | None:
        """The line of top-level operation ``index``, where the list is readable."""
        if not self.operations_read or index >= len(self.operations):
            return None
        return self.operations[index].line


def read(path: Path, filename: str | None = None) -> MigrationSource:
    """Read the migration at ``path``; ``SyntaxError`` (incl. undecodable bytes) propagates."""
    return read_text(path, sources.read(path), filename)


def read_text(path: Path, text: str, filename: str | None = None) -> MigrationSource:
    """Read already decoded source (e.g. a file's text at a git commit)."""
    return from_tree(path, sources.parse_text(text, filename or str(path)), text)


def from_tree(path: Path, tree: ast.Module, text: str = "") -> MigrationSource:
    """Read a module already parsed (``CheckContext.parse`` caches every tree of a run)."""
    migration = next(
        (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Migration"), None
    )
    found = MigrationSource(path, text, tree, migration is not None)
    if migration is None:
        return found  # a helper module living in the migrations directory
    names = _Names(tree, migration)
    for stmt in migration.body:
        if not isinstance(stmt, ast.Assign | ast.AnnAssign):
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        keys = {t.id for t in targets if isinstance(t, ast.Name)}
        value = stmt.value
        if value is None:
            continue
        if "operations" in keys:
            before = len(found.opaque)
            found.operations = _operations(value, names, found.opaque)
            found.operations_read = len(found.opaque) == before
        if "dependencies" in keys:
            found.dependencies += _dependencies(value, names, found.opaque, reverse=False)
        if "run_before" in keys:
            found.dependencies += _dependencies(value, names, found.opaque, reverse=True)
        if "replaces" in keys:
            found.replaces = [
                (d.label, d.name) for d in _dependencies(value, names, found.opaque, reverse=False)
            ]
        if "initial" in keys and isinstance(value, ast.Constant):
            found.initial = bool(value.value)
        if "atomic" in keys and isinstance(value, ast.Constant):
            found.atomic = bool(value.value)
    found.created = _created(tree)
    return found


class _Names:
    """Names bound once to an expression at module level or in the Migration class."""

    def __init__(self, tree: ast.Module, migration: ast.ClassDef) -> None:
        self._values: dict[str, ast.expr] = {}
        for body in (tree.body, migration.body):
            for stmt in body:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                    target = stmt.targets[0]
                    if isinstance(target, ast.Name):
                        self._values[target.id] = stmt.value

    def items(
        self, node: ast.expr, opaque: list[str], seen: frozenset[str] = frozenset()
    ) -> list[ast.expr]:
        """The elements of a list expression, resolving names, ``+`` and ``*unpacking``."""
        if isinstance(node, ast.List | ast.Tuple):
            out: list[ast.expr] = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    out += self.items(element.value, opaque, seen)
                else:
                    out.append(element)
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.items(node.left, opaque, seen) + self.items(node.right, opaque, seen)
        if isinstance(node, ast.Name) and node.id in self._values and node.id not in seen:
            return self.items(self._values[node.id], opaque, seen | {node.id})
        if isinstance(node, ast.Attribute) and node.attr in self._values:
            # Migration.operations = ... referred to as a class attribute
            return self.items(self._values[node.attr], opaque, seen | {node.attr})
        opaque.append(f"line {node.lineno}: {ast.unparse(node)} is not a literal list")
        return []


def _operations(
    value: ast.expr, names: _Names, opaque: list[str], *, database_only: bool = False
) -> list[Operation]:
    found: list[Operation] = []
    for call in names.items(value, opaque):
        if not isinstance(call, ast.Call):
            opaque.append(f"line {call.lineno}: operation {ast.unparse(call)} is not a call")
            continue
        kind = _call_name(call)
        kwargs = {k.arg: k.value for k in call.keywords if k.arg}
        inner: list[Operation] = []
        if kind == "SeparateDatabaseAndState":
            for position, key in enumerate(("database_operations", "state_operations")):
                node = kwargs.get(key) or (
                    call.args[position] if len(call.args) > position else None
                )
                if node is not None:
                    inner += _operations(
                        node, names, opaque, database_only=key == "database_operations"
                    )
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
                inner=tuple(inner),
                database_only=database_only,
            )
        )
    return found


def _dependencies(
    value: ast.expr, names: _Names, opaque: list[str], *, reverse: bool
) -> list[Dependency]:
    found = []
    for item in names.items(value, opaque):
        if isinstance(item, ast.Tuple | ast.List) and len(item.elts) == 2:
            label, name = (_const(e) for e in item.elts)
            if label and name:
                found.append(Dependency(label, name, item.lineno, reverse))
        # swappable_dependency(settings.AUTH_USER_MODEL) and the like: resolved by Django
    return found


def _created(tree: ast.Module) -> list[tuple[str, str | None]]:
    """(model, db_table) for CreateModel / RenameModel(new_name) / AlterModelTable."""
    created: list[tuple[str, str | None]] = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute | ast.Name):
            continue
        kind = _call_name(call)
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


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ast.unparse(func)


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
