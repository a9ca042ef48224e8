"""Migration operation classification: what the new migrations ask of operators.

A migration is new when its file (``<package>/**/migrations/*.py``) is in the working
tree but was not at the release point. Each operation of a new migration is read with
``ast`` (never imported) and classified:

major, operator action (needs a ``breaking`` or ``migration`` fragment that says what
operators must do; only ``breaking`` gives the major):
  RemoveField, DeleteModel (data is dropped); RenameField, RenameModel, AlterModelTable
  (running code of the old release still uses the old names during a rolling deploy);
  AlterField that narrows (type change other than a known widening, max_length down,
  null=True -> not null, max_digits / decimal_places / integer digits down, unique or
  primary_key added, db_column or positional arguments changed) or whose previous
  definition cannot be found; AddField that is NOT NULL without a default (``null`` not
  True, no ``default``/``db_default``, not many-to-many); AddConstraint and a non-empty
  AlterUniqueTogether (existing rows may violate them); RunPython without
  ``reverse_code``; RunPython that is not marked as a backfill (below); RunSQL without
  ``reverse_sql``, with DROP/DELETE/TRUNCATE/UPDATE, or with SQL that is not a literal;
  any operation this module does not know; edits to the ``Migration`` class of a released
  migration, or its deletion. An edit of a released migration that leaves its
  ``Migration`` class as it was (only the code it runs changed) is a minor with a
  ``migration`` fragment.

RunPython rule: every RunPython is treated as rewriting existing rows (major) unless it
is marked as a backfill, which means BOTH ``reverse_code`` (``RunPython.noop`` is fine)
AND ``elidable=True`` -- Django's own flag for "only matters for rows that already
exist; a fresh database can skip it when squashing", which is exactly what a backfill
of a new column is. A marked backfill is minor, but it is still operator-visible (it
runs over every existing row), so it needs a ``migration`` fragment.

minor, additive: CreateModel, AddField nullable / with a default / many-to-many,
  AlterField that widens (max_length up, null added, IntegerField -> BigIntegerField,
  CharField -> TextField, ...), AddIndex, RemoveIndex, RenameIndex, RemoveConstraint,
  an empty AlterUniqueTogether, AlterIndexTogether, AlterOrderWithRespectTo, RunSQL that
  is reversible and has none of the destructive statements.

patch: AlterField that changes nothing in the column (help_text, verbose_name,
  choices, default), AlterModelOptions, AlterModelManagers, AlterModelTableComment, a
  squashed migration (``replaces = [...]``; databases that applied the originals skip it).

SeparateDatabaseAndState: its ``database_operations`` are classified; its state
operations do not touch the database.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from monorel.errors import SourceParseError
from monorel.semver.evidence import OPERATOR_FRAGMENTS, Bump, Evidence

# (old field class, new field class) pairs that only widen the column
_WIDENING_TYPES = {
    ("SmallIntegerField", "IntegerField"),
    ("SmallIntegerField", "BigIntegerField"),
    ("IntegerField", "BigIntegerField"),
    ("PositiveSmallIntegerField", "PositiveIntegerField"),
    ("PositiveSmallIntegerField", "PositiveBigIntegerField"),
    ("PositiveIntegerField", "PositiveBigIntegerField"),
    ("AutoField", "BigAutoField"),
    ("SmallAutoField", "AutoField"),
    ("SmallAutoField", "BigAutoField"),
    ("CharField", "TextField"),
    ("SlugField", "CharField"),
    ("EmailField", "CharField"),
    ("URLField", "CharField"),
}
_DESTRUCTIVE_SQL = re.compile(r"\b(DROP|DELETE|TRUNCATE|UPDATE)\b", re.IGNORECASE)
_UNKNOWN = object()  # a keyword whose value is not a literal


@dataclass(frozen=True)
class _Op:
    """One operation call of a migration's ``operations`` list."""

    name: str  # "AddField"
    call: ast.Call
    line: int

    def arg(self, index: int, keyword: str) -> ast.expr | None:
        for kw in self.call.keywords:
            if kw.arg == keyword:
                return kw.value
        if index < len(self.call.args):
            return self.call.args[index]
        return None

    def text(self, index: int, keyword: str) -> str:
        node = self.arg(index, keyword)
        if node is None:
            return "?"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return ast.unparse(node)


@dataclass(frozen=True)
class _Migration:
    rel: str  # relative to the package directory, posix
    tree: ast.Module
    operations: tuple[_Op, ...]
    replaces: bool


# (migrations directory, lower-case model, field) -> field call
_State = dict[tuple[str, str, str], ast.Call]


def classify(old_dir: Path | None, new_dir: Path, rel_prefix: str) -> list[Evidence]:
    """Evidence for the migrations of the package at ``new_dir`` (the working tree) that
    are not in ``old_dir`` (the package exported at the release point; None where the
    package did not exist). ``rel_prefix``: the package directory relative to the
    repository, for the evidence paths.
    """
    old_files = _migration_files(old_dir) if old_dir else {}
    new_files = _migration_files(new_dir)
    found: list[Evidence] = []
    state: _State = {}
    package = new_dir.name
    for rel, path in sorted(new_files.items(), key=lambda item: _order_key(item[0])):
        migration = _read(path, f"{rel_prefix}/{rel}", "in the working tree")
        if migration is None:
            continue
        repo_path = f"{rel_prefix}/{rel}"
        module = f"{package}." + rel.removesuffix(".py").replace("/", ".")
        if rel in old_files:
            old = _read(old_files[rel], f"{rel_prefix}/{rel}", "at the release point")
            if old is not None and ast.dump(old.tree) != ast.dump(migration.tree):
                found.append(_edited(old, migration, repo_path, module))
        elif migration.replaces:
            found.append(
                _evidence(
                    "migration.squash",
                    repo_path,
                    None,
                    module,
                    "squashes released migrations (databases that applied them skip it)",
                    "patch",
                )
            )
        else:
            for op in migration.operations:
                for kind, description, bump in _classify_op(op, state, _directory(rel)):
                    found.append(_evidence(kind, repo_path, op.line, module, description, bump))
        for op in migration.operations:
            _apply(op, state, _directory(rel))
    for rel in sorted(set(old_files) - set(new_files)):
        module = f"{package}." + rel.removesuffix(".py").replace("/", ".")
        found.append(
            _evidence(
                "migration.deletes-released",
                f"{rel_prefix}/{rel}",
                None,
                module,
                "deletes a released migration",
                "major",
            )
        )
    return found


def _edited(old: _Migration, new: _Migration, repo_path: str, module: str) -> Evidence:
    """A released migration changed in place.

    When its ``Migration`` class (operations, dependencies, flags) is unchanged, only the
    code it runs changed (say, a faster backfill function): databases that applied it
    keep its result and the schema is the same, so it is a minor that operators must hear
    of in a ``migration`` fragment. Anything else in the class is a major.
    """
    if _migration_class(old.tree) == _migration_class(new.tree):
        return _evidence(
            "migration.edits-released-code",
            repo_path,
            None,
            module,
            "changes the code a released migration runs, not its operations (databases "
            "that applied it keep its result)",
            "minor",
        )
    return _evidence(
        "migration.edits-released",
        repo_path,
        None,
        module,
        "edits a released migration (databases that applied it will not run it again)",
        "major",
    )


def _migration_class(tree: ast.Module) -> str | None:
    node = next(
        (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Migration"), None
    )
    return ast.dump(node) if node is not None else None


def _evidence(
    kind: str, path: str, line: int | None, module: str, description: str, bump: Bump
) -> Evidence:
    if bump == "major":
        fragments = OPERATOR_FRAGMENTS
    elif kind in ("migration.run-python-backfill", "migration.edits-released-code"):
        fragments = ("migration",)
    else:
        fragments = ()
    return Evidence(kind, path, line, module, description, bump, fragments)


def _migration_files(package_dir: Path) -> dict[str, Path]:
    return {
        p.relative_to(package_dir).as_posix(): p
        for p in package_dir.rglob("migrations/*.py")
        if p.name != "__init__.py"
    }


def _directory(rel: str) -> str:
    return rel.rsplit("/", 1)[0]


def _order_key(rel: str) -> tuple[str, str]:
    # within one migrations directory, Django's numbered names sort in dependency order
    directory, _, name = rel.rpartition("/")
    return directory, name


def _read(path: Path, rel: str, where: str) -> _Migration | None:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    except SyntaxError as exc:
        raise SourceParseError(
            f"migration {rel} does not parse {where}: line {exc.lineno}: {exc.msg}",
            fix="fix the syntax error",
        ) from exc
    migration_class = next(
        (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Migration"), None
    )
    if migration_class is None:
        return None  # a helper module that lives in the migrations directory
    operations: tuple[_Op, ...] = ()
    replaces = False
    for statement in migration_class.body:
        if not isinstance(statement, ast.Assign):
            continue
        names = {t.id for t in statement.targets if isinstance(t, ast.Name)}
        if "operations" in names and isinstance(statement.value, ast.List | ast.Tuple):
            operations = tuple(_ops(statement.value.elts))
        if "replaces" in names:
            replaces = True
    return _Migration(rel, tree, operations, replaces)


def _ops(nodes: list[ast.expr]) -> Iterator[_Op]:
    for node in nodes:
        if isinstance(node, ast.Call):
            yield _Op(_call_name(node), node, node.lineno)


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ast.unparse(func)


def _keyword(call: ast.Call, name: str) -> object:
    """The literal value of keyword ``name``; None where absent; _UNKNOWN where not literal."""
    for kw in call.keywords:
        if kw.arg == name:
            try:
                return ast.literal_eval(kw.value)
            except ValueError:
                return _UNKNOWN
    return None


def _keyword_source(call: ast.Call, name: str) -> str | None:
    """Keyword ``name`` as a syntax tree dump (compares non-literal values too)."""
    for kw in call.keywords:
        if kw.arg == name:
            return ast.dump(kw.value)
    return None


def _has_keyword(call: ast.Call, name: str) -> bool:
    return any(kw.arg == name for kw in call.keywords)


# ---------------------------------------------------------------- classification

_Finding = tuple[str, str, Bump]  # (kind, description, bump)


def _classify_op(op: _Op, state: _State, directory: str) -> list[_Finding]:
    if op.name == "SeparateDatabaseAndState":
        node = op.arg(0, "database_operations")
        if not isinstance(node, ast.List | ast.Tuple):
            return []
        return [f for inner in _ops(node.elts) for f in _classify_op(inner, state, directory)]
    handler = _HANDLERS.get(op.name)
    if handler is None:
        return [
            (
                "migration.unknown-operation",
                f"{op.name} cannot be classified statically",
                "major",
            )
        ]
    return handler(op, state, directory)


def _model_field(op: _Op) -> str:
    return f"{op.text(0, 'model_name').lower()}.{op.text(1, 'name')}"


def _create_model(op: _Op, state: _State, directory: str) -> list[_Finding]:
    return [("migration.create-model", f"CreateModel {op.text(0, 'name')} adds a table", "minor")]


def _delete_model(op: _Op, state: _State, directory: str) -> list[_Finding]:
    name = op.text(0, "name")
    return [("migration.delete-model", f"DeleteModel {name} drops a table and its data", "major")]


def _rename_model(op: _Op, state: _State, directory: str) -> list[_Finding]:
    old, new = op.text(0, "old_name"), op.text(1, "new_name")
    return [("migration.rename-model", f"RenameModel {old} -> {new} renames a table", "major")]


def _alter_model_table(op: _Op, state: _State, directory: str) -> list[_Finding]:
    name = op.text(0, "name")
    return [("migration.alter-model-table", f"AlterModelTable {name} renames a table", "major")]


def _remove_field(op: _Op, state: _State, directory: str) -> list[_Finding]:
    target = _model_field(op)
    return [
        ("migration.remove-field", f"RemoveField {target} drops a column and its data", "major")
    ]


def _rename_field(op: _Op, state: _State, directory: str) -> list[_Finding]:
    model = op.text(0, "model_name").lower()
    old, new = op.text(1, "old_name"), op.text(2, "new_name")
    return [
        (
            "migration.rename-field",
            f"RenameField {model}.{old} -> {new} renames a column",
            "major",
        )
    ]


def _add_field(op: _Op, state: _State, directory: str) -> list[_Finding]:
    target = _model_field(op)
    field = op.arg(2, "field")
    if not isinstance(field, ast.Call):
        return [("migration.add-field", f"AddField {target} cannot be read statically", "major")]
    if _call_name(field) == "ManyToManyField":
        return [("migration.add-field", f"AddField {target} adds a many-to-many table", "minor")]
    if _keyword(field, "null") is True:
        return [("migration.add-field", f"AddField {target} adds a nullable column", "minor")]
    if _has_keyword(field, "default") or _has_keyword(field, "db_default"):
        return [("migration.add-field", f"AddField {target} adds a column with a default", "minor")]
    return [
        (
            "migration.add-field-not-null",
            f"AddField {target} adds a NOT NULL column without a default",
            "major",
        )
    ]


def _alter_field(op: _Op, state: _State, directory: str) -> list[_Finding]:
    target = _model_field(op)
    new = op.arg(2, "field")
    old = state.get((directory, *target.split(".", 1)))  # type: ignore[arg-type]
    if not isinstance(new, ast.Call) or old is None:
        return [
            (
                "migration.alter-field-narrowing",
                f"AlterField {target} changes a field whose previous definition is unknown",
                "major",
            )
        ]
    narrowing, widening = _compare_fields(old, new)
    if narrowing:
        return [
            (
                "migration.alter-field-narrowing",
                f"AlterField {target} narrows the column ({'; '.join(narrowing)})",
                "major",
            )
        ]
    if widening:
        return [
            (
                "migration.alter-field-widening",
                f"AlterField {target} widens the column ({'; '.join(widening)})",
                "minor",
            )
        ]
    return [
        (
            "migration.alter-field-cosmetic",
            f"AlterField {target} changes nothing in the column",
            "patch",
        )
    ]


def _compare_fields(old: ast.Call, new: ast.Call) -> tuple[list[str], list[str]]:
    """(narrowing reasons, widening reasons) from the old to the new field definition."""
    narrowing: list[str] = []
    widening: list[str] = []
    old_type, new_type = _call_name(old), _call_name(new)
    if old_type != new_type:
        bucket = widening if (old_type, new_type) in _WIDENING_TYPES else narrowing
        bucket.append(f"type {old_type} -> {new_type}")
    if [ast.dump(a) for a in old.args] != [ast.dump(a) for a in new.args]:
        narrowing.append("positional arguments changed")
    old_null, new_null = _keyword(old, "null") is True, _keyword(new, "null") is True
    if old_null and not new_null:
        narrowing.append("null True -> False")
    elif new_null and not old_null:
        widening.append("null False -> True")
    _compare_number(old, new, "max_length", narrowing, widening)
    _compare_number(old, new, "max_digits", narrowing, widening)
    _compare_number(old, new, "decimal_places", narrowing, widening)
    old_digits, new_digits = _integer_digits(old), _integer_digits(new)
    if old_digits is not None and new_digits is not None and new_digits < old_digits:
        narrowing.append(f"integer digits {old_digits} -> {new_digits}")
    for flag in ("unique", "primary_key"):
        old_flag, new_flag = _keyword(old, flag) is True, _keyword(new, flag) is True
        if new_flag and not old_flag:
            narrowing.append(f"{flag} added")
        elif old_flag and not new_flag:
            widening.append(f"{flag} removed")
    if _keyword_source(old, "db_column") != _keyword_source(new, "db_column"):
        narrowing.append("db_column changed")
    return narrowing, widening


def _compare_number(
    old: ast.Call, new: ast.Call, name: str, narrowing: list[str], widening: list[str]
) -> None:
    before, after = _keyword(old, name), _keyword(new, name)
    if before == after:
        return
    if isinstance(before, int) and isinstance(after, int):
        (narrowing if after < before else widening).append(f"{name} {before} -> {after}")
    elif before is not None and after is not None:
        narrowing.append(f"{name} changed (not a literal)")  # cannot tell: assume the worst


def _integer_digits(field: ast.Call) -> int | None:
    digits, places = _keyword(field, "max_digits"), _keyword(field, "decimal_places")
    if isinstance(digits, int) and isinstance(places, int):
        return digits - places
    return None


def _add_index(op: _Op, state: _State, directory: str) -> list[_Finding]:
    model = op.text(0, "model_name").lower()
    return [("migration.add-index", f"AddIndex on {model} adds an index", "minor")]


def _remove_index(op: _Op, state: _State, directory: str) -> list[_Finding]:
    model, name = op.text(0, "model_name").lower(), op.text(1, "name")
    return [("migration.remove-index", f"RemoveIndex {name} on {model} drops an index", "minor")]


def _rename_index(op: _Op, state: _State, directory: str) -> list[_Finding]:
    model, name = op.text(0, "model_name").lower(), op.text(1, "new_name")
    return [("migration.rename-index", f"RenameIndex {name} on {model} renames an index", "minor")]


def _add_constraint(op: _Op, state: _State, directory: str) -> list[_Finding]:
    model = op.text(0, "model_name").lower()
    return [
        (
            "migration.add-constraint",
            f"AddConstraint on {model} adds a constraint existing rows may violate",
            "major",
        )
    ]


def _remove_constraint(op: _Op, state: _State, directory: str) -> list[_Finding]:
    model, name = op.text(0, "model_name").lower(), op.text(1, "name")
    return [
        (
            "migration.remove-constraint",
            f"RemoveConstraint {name} on {model} drops a constraint",
            "minor",
        )
    ]


def _alter_unique_together(op: _Op, state: _State, directory: str) -> list[_Finding]:
    name = op.text(0, "name").lower()
    node = op.arg(1, "unique_together")
    try:
        empty = node is not None and not ast.literal_eval(node)
    except ValueError:
        empty = False
    if empty:
        return [
            (
                "migration.alter-unique-together",
                f"AlterUniqueTogether {name} drops unique_together",
                "minor",
            )
        ]
    return [
        (
            "migration.alter-unique-together",
            f"AlterUniqueTogether {name} sets unique_together existing rows may violate",
            "major",
        )
    ]


def _minor(kind: str, what: str) -> Callable[[_Op, _State, str], list[_Finding]]:
    def handler(op: _Op, state: _State, directory: str) -> list[_Finding]:
        return [(kind, f"{op.name} {op.text(0, 'name').lower()} {what}", "minor")]

    return handler


def _patch(kind: str, what: str) -> Callable[[_Op, _State, str], list[_Finding]]:
    def handler(op: _Op, state: _State, directory: str) -> list[_Finding]:
        return [(kind, f"{op.name} {op.text(0, 'name').lower()} {what}", "patch")]

    return handler


def _run_python(op: _Op, state: _State, directory: str) -> list[_Finding]:
    code = op.text(0, "code")
    reverse = op.arg(1, "reverse_code")
    if reverse is None or (isinstance(reverse, ast.Constant) and reverse.value is None):
        return [
            (
                "migration.run-python-irreversible",
                f"RunPython {code} cannot be reversed (no reverse_code)",
                "major",
            )
        ]
    if _keyword(op.call, "elidable") is not True:
        return [
            (
                "migration.run-python-rewrite",
                f"RunPython {code} rewrites existing rows (not marked as a backfill "
                "with elidable=True)",
                "major",
            )
        ]
    return [("migration.run-python-backfill", f"RunPython {code} backfills existing rows", "minor")]


def _run_sql(op: _Op, state: _State, directory: str) -> list[_Finding]:
    reverse = op.arg(1, "reverse_sql")
    if reverse is None or (isinstance(reverse, ast.Constant) and reverse.value is None):
        return [
            (
                "migration.run-sql-irreversible",
                "RunSQL cannot be reversed (no reverse_sql)",
                "major",
            )
        ]
    sql = op.arg(0, "sql")
    try:
        value = ast.literal_eval(sql) if sql is not None else ""
    except ValueError:
        return [("migration.run-sql-unreadable", "RunSQL SQL is not a literal", "major")]
    text = value if isinstance(value, str) else " ".join(map(str, value))
    match = _DESTRUCTIVE_SQL.search(text)
    if match:
        statement = match.group(1).upper()
        return [
            (
                "migration.run-sql-destructive",
                f"RunSQL runs {statement} on existing data",
                "major",
            )
        ]
    return [("migration.run-sql", "RunSQL is reversible and not destructive", "minor")]


_HANDLERS: dict[str, Callable[[_Op, _State, str], list[_Finding]]] = {
    "CreateModel": _create_model,
    "DeleteModel": _delete_model,
    "RenameModel": _rename_model,
    "AlterModelTable": _alter_model_table,
    "AddField": _add_field,
    "RemoveField": _remove_field,
    "RenameField": _rename_field,
    "AlterField": _alter_field,
    "AddIndex": _add_index,
    "RemoveIndex": _remove_index,
    "RenameIndex": _rename_index,
    "AddConstraint": _add_constraint,
    "RemoveConstraint": _remove_constraint,
    "AlterUniqueTogether": _alter_unique_together,
    "AlterIndexTogether": _minor("migration.alter-index-together", "changes index_together"),
    "AlterOrderWithRespectTo": _minor(
        "migration.alter-order-with-respect-to", "adds an ordering column"
    ),
    "AlterModelOptions": _patch("migration.alter-model-options", "changes model options"),
    "AlterModelManagers": _patch("migration.alter-model-managers", "changes model managers"),
    "AlterModelTableComment": _patch("migration.alter-table-comment", "changes a table comment"),
    "RunPython": _run_python,
    "RunSQL": _run_sql,
}


# ---------------------------------------------------------------- state (field definitions)


def _apply(op: _Op, state: _State, directory: str) -> None:
    """Track each field's latest definition, so an AlterField compares with the one before."""
    if op.name == "SeparateDatabaseAndState":
        node = op.arg(1, "state_operations")
        if isinstance(node, ast.List | ast.Tuple):
            for inner in _ops(node.elts):
                _apply(inner, state, directory)
        return
    if op.name == "CreateModel":
        model = op.text(0, "name").lower()
        fields = op.arg(1, "fields")
        if isinstance(fields, ast.List | ast.Tuple):
            for item in fields.elts:
                if (
                    isinstance(item, ast.Tuple)
                    and len(item.elts) == 2
                    and isinstance(item.elts[0], ast.Constant)
                    and isinstance(item.elts[1], ast.Call)
                ):
                    state[(directory, model, str(item.elts[0].value))] = item.elts[1]
    elif op.name in ("AddField", "AlterField"):
        field = op.arg(2, "field")
        if isinstance(field, ast.Call):
            model, name = op.text(0, "model_name").lower(), op.text(1, "name")
            state[(directory, model, name)] = field
    elif op.name == "RemoveField":
        state.pop((directory, op.text(0, "model_name").lower(), op.text(1, "name")), None)
    elif op.name == "RenameField":
        model = op.text(0, "model_name").lower()
        field = state.pop((directory, model, op.text(1, "old_name")), None)
        if field is not None:
            state[(directory, model, op.text(2, "new_name"))] = field
    elif op.name == "DeleteModel":
        model = op.text(0, "name").lower()
        for key in [k for k in state if k[:2] == (directory, model)]:
            del state[key]
    elif op.name == "RenameModel":
        old, new = op.text(0, "old_name").lower(), op.text(1, "new_name").lower()
        for key in [k for k in state if k[:2] == (directory, old)]:
            state[(directory, new, key[2])] = state.pop(key)
