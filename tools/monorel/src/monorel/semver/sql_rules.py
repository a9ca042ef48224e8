"""What a PostgreSQL statement of a new migration asks of a release, statement by statement.

Input: the ``SqlAction`` records of ``monorel.adapters.pglast_`` (PostgreSQL's parser
decides what a statement is; nothing here reads SQL text). Each rule says what an action
does to a database at the release point: data lost (a major), existing rows that may
make it fail (a major), a table rewrite or a long lock (an operator note, which needs a
``migration`` or ``breaking`` fragment). Tables the new migrations create themselves are
empty on such a database: locks and rewrites of those cost nothing and lose nothing.

Which statement takes which lock, and what rewrites a table, follows PostgreSQL's
documentation (ALTER TABLE, "Explicit Locking") as summarised by squawk's rules
(adding-field-with-default, adding-not-nullable-field, changing-column-type,
constraint-missing-not-valid, adding-foreign-key-constraint, require-concurrent-index-
creation, disallowed-unique-constraint, renaming-column, renaming-table,
ban-drop-column, ban-drop-table) and by django-pg-zero-downtime-migrations:

- ADD COLUMN: ACCESS EXCLUSIVE for a moment; a volatile default, a stored generated
  column or an identity rewrites the table. NOT NULL without a default fails on rows.
- ALTER COLUMN TYPE: ACCESS EXCLUSIVE and a rewrite, except binary-coercible changes
  (varchar(n) -> varchar(m >= n) or text, numeric(p, s) -> numeric(q >= p, s)), which
  still validate every row when they narrow.
- SET NOT NULL: ACCESS EXCLUSIVE while every row is scanned.
- ADD CONSTRAINT CHECK / FOREIGN KEY without NOT VALID: scans every row under lock
  (ACCESS EXCLUSIVE / SHARE ROW EXCLUSIVE); UNIQUE / PRIMARY KEY / EXCLUDE build an index
  under ACCESS EXCLUSIVE. Existing rows may violate any of them.
- CREATE INDEX without CONCURRENTLY: SHARE lock (writes wait) while it builds.
- VALIDATE CONSTRAINT: SHARE UPDATE EXCLUSIVE (reads and writes go on) but existing rows
  may fail it. DROP INDEX, RENAME: ACCESS EXCLUSIVE for a moment only.
- VACUUM FULL, CLUSTER, REFRESH MATERIALIZED VIEW (not concurrently), LOCK TABLE: the
  table is locked for the whole statement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from monorel.adapters.pglast_ import ColumnType, SqlAction, column_type
from monorel.bumps import Bump

__all__ = ["SqlContext", "SqlFinding", "judge"]


@dataclass(frozen=True)
class SqlFinding:
    kind: str  # e.g. "migration.sql.drop-column"
    description: str
    bump: Bump
    note: str = ""  # an operator note, where operators must hear of it
    unknown: str = ""  # why the statement cannot be judged (then the migration is unclassified)


@dataclass
class SqlContext:
    """What the rules know besides the statement.

    ``new_tables``: tables the new migrations created so far (empty at the release
    point); ``old_types``: (table, column) -> the column's type before the operation, from
    Django's state; ``dropped_constraints``: constraint names dropped earlier in the same
    migration (a constraint re-created under its old name held on these rows before).
    """

    new_tables: set[str] = field(default_factory=set)
    old_types: Mapping[tuple[str, str], str] = field(default_factory=dict)
    dropped_constraints: set[str] = field(default_factory=set)

    def existing(self, table: str | None) -> bool:
        return table is not None and table not in self.new_tables

    def register(self, action: SqlAction) -> None:
        """Remember what ``action`` creates or drops, for the statements after it."""
        if action.kind == "create-table" and action.table:
            self.new_tables.add(action.table)
        elif (
            action.kind == "rename"
            and action.detail == "table"
            and action.table in self.new_tables
            and action.new_name
        ):
            self.new_tables.add(action.new_name)
        elif action.kind == "drop-constraint" and action.name:
            self.dropped_constraints.add(action.name)


def judge(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    """What ``action`` requires; ``ctx`` is updated for the statements that follow."""
    rule = _RULES.get(action.kind)
    found = rule(action, ctx) if rule is not None else [_unknown(action, action.kind)]
    ctx.register(action)
    return found


# ---------------------------------------------------------------- rules


def _nothing(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    return []


def _unknown(action: SqlAction, what: str) -> SqlFinding:
    return SqlFinding(
        "migration.sql.unknown",
        f"runs {what}, whose effect cannot be judged from SQL",
        "major",
        unknown=f"PostgreSQL statement {what} cannot be judged from SQL",
    )


# object types whose DROP loses stored data (when the object existed at the release)
_DROP_LOSES_DATA = {"table", "schema", "sequence", "extension", "foreign table"}


def _drop(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    what = action.detail
    if what == "table" and not ctx.existing(action.table):
        return []
    if what in _DROP_LOSES_DATA:
        return [
            SqlFinding(
                f"migration.sql.drop-{what.replace(' ', '-')}",
                f"drops {what} {action.table} and what it holds",
                "major",
            )
        ]
    return []  # an index, view, function, trigger, type...: no stored data goes


def _add_column(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    if not ctx.existing(action.table):
        return []
    target = f"{action.table}.{action.column}"
    found = []
    flags = action.flags
    if "not-null" in flags and "default" not in flags:
        found.append(
            SqlFinding(
                "migration.sql.add-column-not-null",
                f"adds NOT NULL column {target} without a default: fails on a table with rows",
                "major",
            )
        )
    if {"unique", "primary-key"} & flags:
        found.append(
            SqlFinding(
                "migration.sql.add-column-unique",
                f"adds unique column {target}: existing rows get the same value and fail it",
                "major",
                note=f"builds a unique index on existing table {action.table} under an "
                "ACCESS EXCLUSIVE lock",
            )
        )
    if {"volatile-default", "generated-stored"} & flags:
        found.append(
            SqlFinding(
                "migration.sql.rewrite",
                f"adds column {target} with a per-row value",
                "minor",
                note=f"rewrites existing table {action.table} (a per-row default or stored "
                "generated column) under an ACCESS EXCLUSIVE lock",
            )
        )
    return found


def _drop_column(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    if not ctx.existing(action.table):
        return []
    return [
        SqlFinding(
            "migration.sql.drop-column",
            f"drops column {action.table}.{action.column} and its data",
            "major",
        )
    ]


def _alter_column_type(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    if not ctx.existing(action.table):
        return []
    target = f"{action.table}.{action.column}"
    old_text = ctx.old_types.get((action.table or "", action.column or ""))
    old = column_type(old_text) if old_text else None
    new = column_type(action.detail)
    effect, rewrite = _type_change(old, new)
    if effect == "same":
        return []
    change = f"{old if old else 'its old type'} -> {new if new else action.detail}"
    note = (
        f"rewrites existing table {action.table} ({target}: {change}) under an ACCESS "
        "EXCLUSIVE lock"
        if rewrite
        else ""
    )
    if effect == "widens":
        return [
            SqlFinding("migration.sql.alter-type", f"widens {target} ({change})", "minor", note)
        ]
    if not note:
        note = f"checks every row of existing table {action.table} under an ACCESS EXCLUSIVE lock"
    return [
        SqlFinding(
            "migration.sql.alter-type-narrowing",
            f"changes the type of {target} ({change}): values may be cast away or fail",
            "major",
            note,
        )
    ]


def _set_not_null(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    if not ctx.existing(action.table):
        return []
    target = f"{action.table}.{action.column}"
    return [
        SqlFinding(
            "migration.sql.set-not-null",
            f"makes {target} NOT NULL: rows holding NULL make it fail",
            "major",
            note=f"scans every row of existing table {action.table} under an ACCESS EXCLUSIVE lock",
        )
    ]


def _add_constraint(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    if not ctx.existing(action.table):
        return []
    kind = action.detail
    if "not-valid" in action.flags:
        # no row is checked now (VALIDATE CONSTRAINT does that), but new writes must pass
        return [
            SqlFinding(
                "migration.sql.add-constraint-not-valid",
                f"adds {kind} constraint {action.name} on {action.table} (NOT VALID: new "
                "rows must satisfy it, existing ones are not checked)",
                "minor",
            )
        ]
    if "using-index" in action.flags:
        return []  # the index exists and holds already
    builds_index = kind in ("unique", "primary-key", "exclusion")
    lock = "an ACCESS EXCLUSIVE" if kind != "foreign-key" else "a SHARE ROW EXCLUSIVE"
    note = (
        f"builds the index of {kind} constraint {action.name} on existing table "
        f"{action.table} under an ACCESS EXCLUSIVE lock"
        if builds_index
        else f"checks every row of existing table {action.table} for {kind} constraint "
        f"{action.name} under {lock} lock"
    )
    if action.name and action.name in ctx.dropped_constraints:
        # re-created under the name dropped just before (Django does this when a column
        # it covers changes): these rows satisfied it until now
        return [
            SqlFinding(
                "migration.sql.recreate-constraint",
                f"re-creates {kind} constraint {action.name} on {action.table}",
                "minor",
                note,
            )
        ]
    return [
        SqlFinding(
            "migration.sql.add-constraint",
            f"adds {kind} constraint {action.name or ''} on {action.table}: existing rows "
            "may violate it".replace("  ", " "),
            "major",
            note,
        )
    ]


def _validate_constraint(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    if not ctx.existing(action.table):
        return []
    return [
        SqlFinding(
            "migration.sql.validate-constraint",
            f"validates constraint {action.name} on {action.table}: existing rows may fail it",
            "major",
        )
    ]


def _create_index(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    if not ctx.existing(action.table):
        return []
    found = []
    if "unique" in action.flags:
        found.append(
            SqlFinding(
                "migration.sql.unique-index",
                f"adds unique index {action.name} on {action.table}: existing rows may "
                "repeat values",
                "major",
            )
        )
    if "concurrent" not in action.flags:
        found.append(
            SqlFinding(
                "migration.sql.index-lock",
                f"builds index {action.name} on existing table {action.table}",
                "minor",
                note=f"builds index {action.name} on existing table {action.table} under a "
                "SHARE lock: writes wait until it is built (AddIndexConcurrently does not "
                "block them)",
            )
        )
    return found


# renames of these break code of the running release during a rolling deploy
_RENAME_BREAKS = {"table", "column", "view", "materialized view", "sequence", "schema"}


def _rename(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    what = action.detail
    if what not in _RENAME_BREAKS or not ctx.existing(action.table):
        return []  # an index or constraint: nothing uses its name
    old = f"{action.table}.{action.column}" if what == "column" else action.table
    return [
        SqlFinding(
            f"migration.sql.rename-{what.replace(' ', '-')}",
            f"renames {what} {old} to {action.new_name}: the running release still uses "
            "the old name",
            "major",
        )
    ]


def _delete(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    if not ctx.existing(action.table):
        return []
    which = "rows" if "where" in action.flags else "every row"
    return [SqlFinding("migration.sql.delete", f"deletes {which} of {action.table}", "major")]


def _truncate(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    if not ctx.existing(action.table):
        return []
    return [SqlFinding("migration.sql.truncate", f"empties {action.table}", "major")]


def _update(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    if not ctx.existing(action.table):
        return []
    if "null-backfill" in action.flags:
        return [
            SqlFinding(
                "migration.sql.backfill",
                f"fills NULLs of existing rows of {action.table}",
                "minor",
                note=f"updates every row of existing table {action.table} that holds NULL "
                "in one statement (row locks until the migration commits)",
            )
        ]
    return [
        SqlFinding(
            "migration.sql.update",
            f"overwrites values of existing rows of {action.table}",
            "major",
        )
    ]


def _create_extension(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    return [
        SqlFinding(
            "migration.sql.create-extension",
            f"creates extension {action.name}",
            "minor",
            note=f"creates PostgreSQL extension {action.name}: the migrating role must be "
            "allowed to (superuser or a trusted extension), and the server must have it",
        )
    ]


def _locks_table(what: str) -> Callable[[SqlAction, SqlContext], list[SqlFinding]]:
    def rule(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
        if "concurrent" in action.flags or not ctx.existing(action.table):
            return []
        if action.kind == "vacuum" and "full" not in action.flags:
            return []
        return [
            SqlFinding(
                f"migration.sql.{action.kind}",
                f"{what} {action.table}",
                "minor",
                note=f"{what} {action.table} under an ACCESS EXCLUSIVE lock for the whole "
                "statement",
            )
        ]

    return rule


# ALTER TABLE subcommands that change neither data nor what rows may hold
_HARMLESS_ALTER_TABLE = {
    "SetStatistics",
    "SetStorage",
    "SetCompression",
    "SetRelOptions",
    "ResetRelOptions",
    "ReplaceRelOptions",
    "SetOptions",
    "ResetOptions",
    "ReplicaIdentity",
    "EnableTrig",
    "EnableAlwaysTrig",
    "EnableReplicaTrig",
    "DisableTrig",
    "EnableTrigAll",
    "DisableTrigAll",
    "EnableTrigUser",
    "DisableTrigUser",
    "EnableRule",
    "DisableRule",
    "EnableRowSecurity",
    "DisableRowSecurity",
    "ForceRowSecurity",
    "NoForceRowSecurity",
    "ChangeOwner",
    "AlterConstraint",
    "AddIdentity",
    "SetIdentity",
    "DropIdentity",
    "DropExpression",
    "ClusterOn",
    "DropCluster",
    "SetLogged",
    "SetUnLogged",
    "AddInherit",
    "DropInherit",
    "GenericOptions",
}


def _alter_table(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    if action.detail in _HARMLESS_ALTER_TABLE:
        return []
    if action.detail == "SetTableSpace" and ctx.existing(action.table):
        return _locks_table("moves (rewrites)")(action, ctx)
    return [_unknown(action, f"ALTER TABLE {action.detail}")]


# statements that neither lose data nor lock existing tables for long
_HARMLESS_STATEMENTS = {
    "ConstraintsSetStmt",
    "CommentStmt",
    "CreateFunctionStmt",
    "CreateTrigStmt",
    "ViewStmt",
    "CreateSeqStmt",
    "AlterSeqStmt",
    "CreateEnumStmt",
    "AlterEnumStmt",
    "CreateDomainStmt",
    "AlterDomainStmt",
    "CompositeTypeStmt",
    "CreateRangeStmt",
    "DefineStmt",
    "GrantStmt",
    "GrantRoleStmt",
    "AlterDefaultPrivilegesStmt",
    "VariableSetStmt",
    "SelectStmt",
    "CreatePolicyStmt",
    "AlterPolicyStmt",
    "RuleStmt",
    "CreateSchemaStmt",
    "CreateTableAsStmt",
    "AlterOwnerStmt",
    "AlterFunctionStmt",
    "CreateCastStmt",
    "CreateStatsStmt",
    "AlterExtensionStmt",
    "CreateEventTrigStmt",
    "NotifyStmt",
    "CreateConversionStmt",
    "AlterCollationStmt",
    "CreateOpClassStmt",
    "AlterTSConfigurationStmt",
    "AlterTSDictionaryStmt",
}


def _statement(action: SqlAction, ctx: SqlContext) -> list[SqlFinding]:
    if action.detail in _HARMLESS_STATEMENTS:
        return []
    return [_unknown(action, action.detail)]


_RULES: dict[str, Callable[[SqlAction, SqlContext], list[SqlFinding]]] = {
    "create-table": _nothing,
    "drop": _drop,
    "add-column": _add_column,
    "drop-column": _drop_column,
    "alter-column-type": _alter_column_type,
    "set-not-null": _set_not_null,
    "drop-not-null": _nothing,
    "set-default": _nothing,
    "drop-default": _nothing,
    "add-constraint": _add_constraint,
    "drop-constraint": _nothing,
    "validate-constraint": _validate_constraint,
    "alter-table": _alter_table,
    "create-index": _create_index,
    "rename": _rename,
    "delete": _delete,
    "truncate": _truncate,
    "insert": _nothing,
    "update": _update,
    "create-extension": _create_extension,
    "lock": _locks_table("locks"),
    "refresh-materialized-view": _locks_table("refreshes materialized view"),
    "cluster": _locks_table("rewrites (CLUSTER)"),
    "vacuum": _locks_table("rewrites (VACUUM FULL)"),
    "reindex": _locks_table("rebuilds the indexes of"),
    "statement": _statement,
}


# ---------------------------------------------------------------- column types

_INTEGERS = {"int2": 2, "int4": 4, "int8": 8}
_FLOATS = {"float4": 4, "float8": 8}
_TEXTS = {"varchar", "text"}
# (old base, new base) -> rewrite? for changes that keep every value
_WIDENING = {
    ("varchar", "text"): False,
    ("bpchar", "text"): True,
    ("bpchar", "varchar"): True,
    ("cidr", "inet"): False,
    ("float4", "float8"): True,
    **{(i, "numeric"): True for i in _INTEGERS},
    **{(i, f): True for i in ("int2", "int4") for f in _FLOATS},
}


def _type_change(old: ColumnType | None, new: ColumnType | None) -> tuple[str, bool]:
    """("same" | "widens" | "narrows", whether PostgreSQL rewrites the table)."""
    if old is None or new is None:
        return "narrows", True  # unknown: assume the worst
    if old == new:
        return "same", False
    if old.array != new.array:
        return "narrows", True
    if old.base == new.base:
        return _same_base(old, new)
    if old.base in _INTEGERS and new.base in _INTEGERS:
        return ("widens" if _INTEGERS[new.base] > _INTEGERS[old.base] else "narrows"), True
    if old.base == "text" and new.base == "varchar":
        return ("widens", False) if not new.modifiers else ("narrows", False)
    if old.base == "varchar" and new.base == "text":
        return "widens", False
    if (old.base, new.base) in _WIDENING:
        return "widens", _WIDENING[(old.base, new.base)]
    return "narrows", True


def _same_base(old: ColumnType, new: ColumnType) -> tuple[str, bool]:
    # varchar(n), numeric(p, s), timestamp(p), bit varying(n): modifiers only
    if not new.modifiers:
        return "widens", old.base in ("bpchar", "bit")
    if not old.modifiers:
        return "narrows", old.base != "varchar"
    if old.base == "numeric":
        old_p, old_s = (*old.modifiers, 0)[:2]
        new_p, new_s = (*new.modifiers, 0)[:2]
        if new_s == old_s and new_p >= old_p:
            return "widens", False
        if new_s >= old_s and new_p - new_s >= old_p - old_s:
            return "widens", True
        return "narrows", True
    if all(n >= o for n, o in zip(new.modifiers, old.modifiers, strict=False)):
        return "widens", old.base in ("bpchar", "bit")
    return "narrows", old.base not in ("varchar", "varbit")
