"""Did the data survive the upgrade? Compare two snapshots written by ``_probe.py``.

A snapshot holds, per watched table (every table of the workspace's apps, filled with the
seed and generated rows, and every table the seed wrote to): whether it exists, its
columns, and a short hash of each column value of every row (None for NULL / empty).

After the upgrade:

- every row is still there (by primary key);
- every value a column held is unchanged, unless a fragment declares that the column's
  data is rewritten (``Rewrites:``); filling a column that was empty is a backfill and
  always allowed;
- a column or table that held data and is gone is a finding with its count, unless a
  fragment declares it dropped (``Drops:``). A column (or table) whose values all turn up
  unchanged under a new name was renamed, not dropped;
- no value is longer than the ``max_length`` its column declares now (SQLite keeps such
  values, where PostgreSQL would refuse or cut them);
- every view of the database is still there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from monorel.rehearsal.declarations import Declared

_PK_SAMPLE = 5  # how many missing/changed primary keys a finding lists

Rows = dict[str, dict[str, str | None]]


@dataclass
class Survival:
    findings: list[str] = field(default_factory=list)  # each fails the leg
    notes: list[str] = field(default_factory=list)  # what was allowed, and why


def load(path: Path) -> dict[str, dict]:
    return json.loads(path.read_text(encoding="utf-8"))["tables"]


def load_views(path: Path) -> list[str]:
    return json.loads(path.read_text(encoding="utf-8")).get("views", [])


def compare_views(before: list[str], after: list[str]) -> list[str]:
    """A sentence per view the upgrade dropped; empty when every view is still there."""
    return [
        f"view {view} dropped (a column or table it used was dropped with CASCADE)"
        for view in sorted(set(before) - set(after))
    ]


def compare(
    before: dict[str, dict], after: dict[str, dict], declared: Declared | None = None
) -> Survival:
    """Every way the data did not survive, one sentence each; empty findings when it did."""
    declared = declared or Declared()
    result = Survival()
    new_tables = sorted(t for t in after if t not in before and after[t].get("exists"))
    for table, old in sorted(before.items()):
        if not old.get("exists"):
            continue  # the seed never reached it (e.g. natural keys only); nothing to lose
        old_rows: Rows = old["rows"]
        new = after.get(table, {"exists": False})
        name = table
        if not new.get("exists"):
            renamed = _renamed_table(old, {t: after[t] for t in new_tables})
            if renamed is None:
                _dropped_table(table, len(old_rows), declared, result)
                continue
            new_tables.remove(renamed)
            result.notes.append(f"table {table} renamed to {renamed}, every row with it")
            name, new = renamed, after[renamed]
        _compare_table(table, name, old, new, declared, result)
    for table in new_tables:
        _too_long(table, after[table], result)
    return result


def _dropped_table(table: str, rows: int, declared: Declared, result: Survival) -> None:
    if not rows:
        return
    if declared.drops_table(table):
        result.notes.append(f"table {table} dropped with {rows} rows, as {_where(declared, table)}")
    else:
        result.findings.append(f"table {table} dropped, {rows} rows held data")


def _compare_table(
    table: str, name: str, old: dict, new: dict, declared: Declared, result: Survival
) -> None:
    old_rows: Rows = old["rows"]
    new_rows: Rows = new["rows"]
    missing = [pk for pk in old_rows if pk not in new_rows]
    if missing:
        result.findings.append(
            f"{table}: {len(missing)} of {len(old_rows)} rows missing (pk {_sample(missing)})"
        )
    added = [c for c in new["columns"] if c not in old["columns"]]
    for column in old["columns"]:
        held = [pk for pk, values in old_rows.items() if values.get(column) is not None]
        target = column if column in new["columns"] else None
        if target is None and held:
            target = _renamed_column(column, held, old_rows, new_rows, added)
            if target is not None:
                added.remove(target)
                result.notes.append(f"{table}.{column} renamed to {name}.{target}")
        if target is None:
            if held and declared.drops_column(table, column):
                result.notes.append(
                    f"{table}.{column} dropped with data in {len(held)} {_rows(len(held))}, "
                    f"as {_where(declared, table, column)}"
                )
            elif held:
                result.findings.append(
                    f"{table}.{column} dropped, {len(held)} {_rows(len(held))} held data"
                )
            continue
        changed = [
            pk for pk in held if pk in new_rows and new_rows[pk].get(target) != old_rows[pk][column]
        ]
        if not changed:
            continue
        if declared.rewrites_column(table, column) or declared.rewrites_column(name, target):
            result.notes.append(
                f"{table}.{column} rewritten in {len(changed)} {_rows(len(changed))}, "
                f"as {_where(declared, table, column)}"
            )
        else:
            result.findings.append(
                f"{table}.{column} changed in {len(changed)} {_rows(len(changed))} "
                f"(pk {_sample(changed)})"
            )
    _too_long(name, new, result)


def _too_long(table: str, data: dict, result: Survival) -> None:
    for column, info in sorted(data.get("too_long", {}).items()):
        pks = info["pks"]
        result.findings.append(
            f"{table}.{column}: {len(pks)} {_rows(len(pks))} "
            f"{'holds a value' if len(pks) == 1 else 'hold values'} longer than its "
            f"max_length {info['max_length']} (pk {_sample(pks)})"
        )


def _renamed_column(
    column: str, held: list[str], old_rows: Rows, new_rows: Rows, candidates: list[str]
) -> str | None:
    """The new column that holds every value ``column`` held, in the same rows."""
    kept = [pk for pk in held if pk in new_rows]
    if not kept:
        return None
    for candidate in candidates:
        if all(new_rows[pk].get(candidate) == old_rows[pk][column] for pk in kept):
            return candidate
    return None


def _renamed_table(old: dict, candidates: dict[str, dict]) -> str | None:
    """A new table holding every row of ``old`` and every value of each of its columns."""
    old_rows: Rows = old["rows"]
    for name, new in candidates.items():
        new_rows: Rows = new["rows"]
        if not old_rows or any(pk not in new_rows for pk in old_rows):
            continue
        free = list(new["columns"])
        for column in old["columns"]:
            held = [pk for pk, values in old_rows.items() if values.get(column) is not None]
            if column in free:
                match: str | None = column
            else:
                match = _renamed_column(column, held, old_rows, new_rows, free) if held else None
            if match is None and held:
                break
            if match is not None:
                free.remove(match)
        else:
            return name
    return None


def _where(declared: Declared, table: str, column: str | None = None) -> str:
    key = f"{table}.{column}" if column and f"{table}.{column}" in declared.sources else table
    source = declared.sources.get(key)
    return f"declared in {source}" if source else "declared"


def _rows(n: int) -> str:
    return "row" if n == 1 else "rows"


def _sample(pks: list[str]) -> str:
    shown = ", ".join(pks[:_PK_SAMPLE])
    return shown + (f", ... {len(pks) - _PK_SAMPLE} more" if len(pks) > _PK_SAMPLE else "")
