"""pglast (PostgreSQL's own parser, libpg_query): the only module that imports pglast.

``actions(sql)`` parses one recorded statement string (it may hold several statements,
as a RunSQL string does) and returns what each statement does, as plain ``SqlAction``
records that ``monorel.semver.sql_rules`` classifies: an ``ALTER TABLE`` with three
subcommands is three actions. No keyword is ever matched in SQL text: a statement that
PostgreSQL's grammar does not accept raises ``SqlParseError``.

Action kinds (``SqlAction.kind``), with the fields they set:

- ``create-table`` (table); ``drop`` (detail: object type, e.g. ``table``, ``index``,
  ``sequence``; table: the object's name; flags ``concurrent``)
- ``add-column`` (table, column, detail: its type; flags ``not-null``, ``default``,
  ``volatile-default``, ``generated-stored``, ``unique``, ``primary-key``, ``references``)
- ``drop-column``; ``alter-column-type`` (detail: the new type, e.g. ``varchar(16)``);
  ``set-not-null``; ``drop-not-null``; ``set-default``; ``drop-default``
- ``add-constraint`` (detail: ``check``, ``foreign-key``, ``unique``, ``primary-key``,
  ``exclusion``; name; flags ``not-valid``, ``using-index``); ``drop-constraint``;
  ``validate-constraint``; ``alter-table`` (detail: any other ALTER TABLE subcommand,
  named as PostgreSQL's ``AlterTableType`` without ``AT_``)
- ``create-index`` (table, name; flags ``concurrent``, ``unique``)
- ``rename`` (detail: object type; table, column (for a column), name, new_name)
- ``delete``, ``truncate``, ``insert`` (table); ``update`` (table; flags
  ``null-backfill`` where every assignment is guarded by ``WHERE <column> IS NULL``)
- ``create-extension`` (name); ``lock`` (table); ``refresh-materialized-view``,
  ``cluster``, ``vacuum``, ``reindex`` (table; flags ``concurrent``, ``full``)
- ``statement`` (detail: the parser's node name, e.g. ``CreateFunctionStmt``,
  ``DoStmt``): every other statement, for the rules to judge by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import pglast
from pglast import ast, enums
from pglast.parser import ParseError
from pglast.stream import RawStream

__all__ = ["ColumnType", "SqlAction", "SqlParseError", "actions", "canonical", "column_type"]

# functions PostgreSQL evaluates once per statement (or that are constant): a column
# default built from them is stored once, without rewriting the table (PostgreSQL 11+)
_NON_VOLATILE_FUNCTIONS = {
    "now",
    "statement_timestamp",
    "transaction_timestamp",
    "current_timestamp",
    "current_date",
    "localtimestamp",
    "to_jsonb",
    "jsonb_build_object",
    "json_build_object",
    "array",
}
_OBJECT_TYPES = {
    "OBJECT_TABLE": "table",
    "OBJECT_INDEX": "index",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "materialized view",
    "OBJECT_SCHEMA": "schema",
    "OBJECT_EXTENSION": "extension",
    "OBJECT_TYPE": "type",
    "OBJECT_DOMAIN": "domain",
    "OBJECT_FUNCTION": "function",
    "OBJECT_PROCEDURE": "procedure",
    "OBJECT_TRIGGER": "trigger",
    "OBJECT_COLUMN": "column",
    "OBJECT_TABCONSTRAINT": "constraint",
    "OBJECT_COLLATION": "collation",
    "OBJECT_POLICY": "policy",
    "OBJECT_RULE": "rule",
    "OBJECT_FOREIGN_TABLE": "foreign table",
}
_CONSTRAINT_TYPES = {
    "CONSTR_CHECK": "check",
    "CONSTR_FOREIGN": "foreign-key",
    "CONSTR_UNIQUE": "unique",
    "CONSTR_PRIMARY": "primary-key",
    "CONSTR_EXCLUSION": "exclusion",
}


class SqlParseError(Exception):
    """The statement is not PostgreSQL (``message`` is the parser's)."""


@dataclass(frozen=True)
class SqlAction:
    kind: str
    statement: str  # the statement it comes from, as PostgreSQL prints it back
    table: str | None = None
    column: str | None = None
    detail: str = ""
    name: str | None = None
    new_name: str | None = None
    flags: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ColumnType:
    """A column type as PostgreSQL names it: ``varchar`` and (16,), ``int8``, arrays."""

    base: str
    modifiers: tuple[int, ...] = ()
    array: bool = False

    def __str__(self) -> str:
        mods = f"({', '.join(map(str, self.modifiers))})" if self.modifiers else ""
        return f"{self.base}{mods}{'[]' if self.array else ''}"


def actions(sql: str) -> list[SqlAction]:
    """What each statement in ``sql`` does; ``SqlParseError`` where it does not parse."""
    try:
        statements = pglast.parse_sql(sql)
    except ParseError as exc:
        raise SqlParseError(str(exc)) from exc
    found: list[SqlAction] = []
    for raw in statements:
        node = raw.stmt
        text = _text(sql, raw)
        handler = _HANDLERS.get(type(node).__name__)
        if handler is None:
            found.append(SqlAction("statement", text, detail=type(node).__name__))
        else:
            found += handler(node, text)
    return found


def canonical(sql: str) -> str:
    """The statements as PostgreSQL's parser reads them, printed back: equal for SQL that
    differs only in layout, case of keywords or comments (constants kept, unlike the
    parser's fingerprint); the text itself where it does not parse."""
    try:
        return "; ".join(RawStream()(raw) for raw in pglast.parse_sql(sql))
    except ParseError:
        return sql


def column_type(text: str) -> ColumnType | None:
    """``varchar(16)``, ``character varying``, ``integer``... as one canonical form."""
    try:
        select = pglast.parse_sql(f"SELECT NULL::{text}")[0].stmt
        type_name = select.targetList[0].val.typeName  # type: ignore[union-attr]
    except (ParseError, AttributeError, IndexError):
        return None
    return _type(type_name)


# ---------------------------------------------------------------- statements


def _text(sql: str, raw: ast.RawStmt) -> str:
    start = raw.stmt_location or 0
    length = raw.stmt_len or (len(sql.encode()) - start)
    data = sql.encode()[start : start + length]
    return data.decode(errors="replace").strip() or sql.strip()


def _relname(relation: ast.RangeVar | None) -> str | None:
    return relation.relname if relation is not None else None


def _type(node: ast.TypeName | None) -> ColumnType | None:
    if node is None:
        return None
    names = [n.sval for n in node.names or () if isinstance(n, ast.String) and n.sval is not None]
    modifiers = tuple(
        m.val.ival
        for m in (node.typmods or ())
        if isinstance(m, ast.A_Const) and isinstance(m.val, ast.Integer) and m.val.ival is not None
    )
    return ColumnType(names[-1] if names else "?", modifiers, bool(node.arrayBounds))


def _create_table(node: ast.CreateStmt, text: str) -> list[SqlAction]:
    return [SqlAction("create-table", text, table=_relname(node.relation))]


def _drop(node: ast.DropStmt, text: str) -> list[SqlAction]:
    kind = _OBJECT_TYPES.get(_enum_name(node.removeType), "object")
    flags = frozenset({"concurrent"} if node.concurrent else ())
    found = []
    for obj in node.objects or ():
        parts = obj if isinstance(obj, tuple) else (obj,)
        names = [p.sval for p in parts if isinstance(p, ast.String)]
        found.append(
            SqlAction("drop", text, table=names[-1] if names else None, detail=kind, flags=flags)
        )
    return found


def _alter_table(node: ast.AlterTableStmt, text: str) -> list[SqlAction]:
    table = _relname(node.relation)
    found = []
    for cmd in node.cmds or ():
        subtype = enums.AlterTableType(cmd.subtype).name.removeprefix("AT_")
        handler = _ALTER_TABLE.get(subtype)
        if handler is None:
            found.append(
                SqlAction("alter-table", text, table=table, column=cmd.name, detail=subtype)
            )
        else:
            found.append(handler(cmd, text, table))
    return found


def _add_column(cmd: ast.AlterTableCmd, text: str, table: str | None) -> SqlAction:
    column: ast.ColumnDef = cmd.def_  # type: ignore[assignment]
    flags: set[str] = set()
    if column.is_not_null:
        flags.add("not-null")
    for constraint in column.constraints or ():
        contype = enums.ConstrType(constraint.contype).name
        if contype == "CONSTR_NOTNULL":
            flags.add("not-null")
        elif contype == "CONSTR_DEFAULT":
            flags.add("default")
            if _volatile(constraint.raw_expr):
                flags.add("volatile-default")
        elif contype == "CONSTR_GENERATED":
            flags.add("generated-stored")
        elif contype == "CONSTR_IDENTITY":
            flags |= {"default", "volatile-default"}
        elif contype == "CONSTR_UNIQUE":
            flags.add("unique")
        elif contype == "CONSTR_PRIMARY":
            flags |= {"primary-key", "not-null"}
        elif contype == "CONSTR_FOREIGN":
            flags.add("references")
    column_type = _type(column.typeName)
    if column_type is not None and column_type.base in ("serial", "bigserial", "smallserial"):
        flags |= {"default", "volatile-default", "not-null"}
    return SqlAction(
        "add-column",
        text,
        table=table,
        column=column.colname,
        detail=str(column_type) if column_type else "",
        flags=frozenset(flags),
    )


def _enum_name(value: IntEnum | None) -> str:
    """The name of an enum field of the parse tree; "" where the parser left it unset (pglast
    types every field optional), which no table here knows."""
    return value.name if value is not None else ""


def _volatile(expr: ast.Node | tuple[Any, ...] | None) -> bool:
    """Whether a default expression may differ per row (then PostgreSQL rewrites the table)."""
    if expr is None:
        return False
    if isinstance(expr, ast.A_Const | ast.SQLValueFunction):
        return False
    if isinstance(expr, ast.TypeCast):
        return _volatile(expr.arg)
    if isinstance(expr, ast.FuncCall):
        name = [
            n.sval for n in expr.funcname or () if isinstance(n, ast.String) and n.sval is not None
        ][-1]
        name = name.lower()
        if name not in _NON_VOLATILE_FUNCTIONS:
            return True
        return any(_volatile(arg) for arg in expr.args or ())
    if isinstance(expr, ast.A_ArrayExpr):
        return any(_volatile(e) for e in expr.elements or ())
    if isinstance(expr, ast.A_Expr):
        return _volatile(expr.lexpr) or _volatile(expr.rexpr)
    return True  # anything else: assume the worst


_AlterTableHandler = Callable[[ast.AlterTableCmd, str, str | None], SqlAction]


def _column_action(kind: str) -> _AlterTableHandler:
    def make(cmd: ast.AlterTableCmd, text: str, table: str | None) -> SqlAction:
        return SqlAction(kind, text, table=table, column=cmd.name)

    return make


def _alter_column_type(cmd: ast.AlterTableCmd, text: str, table: str | None) -> SqlAction:
    column: ast.ColumnDef = cmd.def_  # type: ignore[assignment]
    new_type = _type(column.typeName)
    flags = frozenset({"using"} if column.raw_default is not None else ())
    return SqlAction(
        "alter-column-type",
        text,
        table=table,
        column=cmd.name,
        detail=str(new_type) if new_type else "",
        flags=flags,
    )


def _column_default(cmd: ast.AlterTableCmd, text: str, table: str | None) -> SqlAction:
    kind = "set-default" if cmd.def_ is not None else "drop-default"
    return SqlAction(kind, text, table=table, column=cmd.name)


def _add_constraint(cmd: ast.AlterTableCmd, text: str, table: str | None) -> SqlAction:
    constraint: ast.Constraint = cmd.def_  # type: ignore[assignment]
    contype = _enum_name(constraint.contype)
    flags: set[str] = set()
    if constraint.skip_validation:
        flags.add("not-valid")
    if constraint.indexname:
        flags.add("using-index")
    return SqlAction(
        "add-constraint",
        text,
        table=table,
        detail=_CONSTRAINT_TYPES.get(contype, contype.removeprefix("CONSTR_").lower()),
        name=constraint.conname,
        flags=frozenset(flags),
    )


def _named(kind: str) -> _AlterTableHandler:
    def make(cmd: ast.AlterTableCmd, text: str, table: str | None) -> SqlAction:
        return SqlAction(kind, text, table=table, name=cmd.name)

    return make


_ALTER_TABLE: dict[str, _AlterTableHandler] = {
    "AddColumn": _add_column,
    "DropColumn": _column_action("drop-column"),
    "AlterColumnType": _alter_column_type,
    "SetNotNull": _column_action("set-not-null"),
    "DropNotNull": _column_action("drop-not-null"),
    "ColumnDefault": _column_default,
    "AddConstraint": _add_constraint,
    "DropConstraint": _named("drop-constraint"),
    "ValidateConstraint": _named("validate-constraint"),
}


def _create_index(node: ast.IndexStmt, text: str) -> list[SqlAction]:
    flags = {name for name, on in (("concurrent", node.concurrent), ("unique", node.unique)) if on}
    return [
        SqlAction(
            "create-index",
            text,
            table=_relname(node.relation),
            name=node.idxname,
            flags=frozenset(flags),
        )
    ]


def _rename(node: ast.RenameStmt, text: str) -> list[SqlAction]:
    kind = _OBJECT_TYPES.get(_enum_name(node.renameType), "object")
    table = _relname(node.relation)
    name = node.subname if kind in ("column", "constraint") else table
    if kind not in (
        "table",
        "column",
        "constraint",
        "index",
        "view",
        "materialized view",
        "sequence",
    ):
        name = None
    return [
        SqlAction(
            "rename",
            text,
            table=table,
            column=node.subname if kind == "column" else None,
            detail=kind,
            name=name,
            new_name=node.newname,
        )
    ]


def _delete(node: ast.DeleteStmt, text: str) -> list[SqlAction]:
    flags = frozenset({"where"} if node.whereClause is not None else ())
    return [SqlAction("delete", text, table=_relname(node.relation), flags=flags)]


def _truncate(node: ast.TruncateStmt, text: str) -> list[SqlAction]:
    return [SqlAction("truncate", text, table=_relname(r)) for r in node.relations or ()]


def _insert(node: ast.InsertStmt, text: str) -> list[SqlAction]:
    return [SqlAction("insert", text, table=_relname(node.relation))]


def _update(node: ast.UpdateStmt, text: str) -> list[SqlAction]:
    assigned = {
        target.name for target in node.targetList or () if isinstance(target, ast.ResTarget)
    }
    guarded = _null_tested(node.whereClause)
    flags = {"where"} if node.whereClause is not None else set()
    if assigned and assigned <= guarded:
        flags.add("null-backfill")
    return [SqlAction("update", text, table=_relname(node.relation), flags=frozenset(flags))]


def _null_tested(where: ast.Node | None) -> set[str]:
    """Columns ``c`` with ``c IS NULL`` in ``where`` (alone or ANDed with other tests)."""
    if isinstance(where, ast.NullTest):
        if _enum_name(where.nulltesttype) == "IS_NULL" and isinstance(where.arg, ast.ColumnRef):
            names = [
                f.sval
                for f in where.arg.fields or ()
                if isinstance(f, ast.String) and f.sval is not None
            ]
            return {names[-1]} if names else set()
        return set()
    if isinstance(where, ast.BoolExpr) and _enum_name(where.boolop) == "AND_EXPR":
        return set().union(*(_null_tested(arg) for arg in where.args or ()))
    return set()


def _create_extension(node: ast.CreateExtensionStmt, text: str) -> list[SqlAction]:
    return [SqlAction("create-extension", text, name=node.extname)]


def _lock(node: ast.LockStmt, text: str) -> list[SqlAction]:
    return [SqlAction("lock", text, table=_relname(r)) for r in node.relations or ()]


def _refresh(node: ast.RefreshMatViewStmt, text: str) -> list[SqlAction]:
    flags = frozenset({"concurrent"} if node.concurrent else ())
    return [
        SqlAction("refresh-materialized-view", text, table=_relname(node.relation), flags=flags)
    ]


def _cluster(node: ast.ClusterStmt, text: str) -> list[SqlAction]:
    return [SqlAction("cluster", text, table=_relname(node.relation))]


def _vacuum(node: ast.VacuumStmt, text: str) -> list[SqlAction]:
    options = {o.defname for o in node.options or () if isinstance(o, ast.DefElem) and o.defname}
    flags = frozenset({"full"} if "full" in options else ())
    tables = [_relname(r.relation) for r in node.rels or () if isinstance(r, ast.VacuumRelation)]
    return [SqlAction("vacuum", text, table=t, flags=flags) for t in tables or [None]]


def _reindex(node: ast.ReindexStmt, text: str) -> list[SqlAction]:
    params = {p.defname for p in node.params or () if isinstance(p, ast.DefElem)}
    flags = frozenset({"concurrent"} if "concurrently" in params else ())
    return [SqlAction("reindex", text, table=_relname(node.relation) or node.name, flags=flags)]


# each takes the statement node of its type name (pglast has no common statement type)
_HANDLERS: dict[str, Callable[[Any, str], list[SqlAction]]] = {
    "CreateStmt": _create_table,
    "DropStmt": _drop,
    "AlterTableStmt": _alter_table,
    "IndexStmt": _create_index,
    "RenameStmt": _rename,
    "DeleteStmt": _delete,
    "TruncateStmt": _truncate,
    "InsertStmt": _insert,
    "UpdateStmt": _update,
    "CreateExtensionStmt": _create_extension,
    "LockStmt": _lock,
    "RefreshMatViewStmt": _refresh,
    "ClusterStmt": _cluster,
    "VacuumStmt": _vacuum,
    "ReindexStmt": _reindex,
}
