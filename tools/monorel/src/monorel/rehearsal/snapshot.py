"""Did every seeded row survive the upgrade? Compare two snapshots written by ``_probe.py``.

A snapshot holds, per table that the seed wrote to: whether the table exists, its row
count, its columns, and for each seeded primary key a short hash of each column value
(None for NULL / empty). The comparison is over columns that still exist; a dropped
column is a loss only when it held data in some seeded row, and then it is named.
Filling a column that was empty is not a loss (that is what a backfill does).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

_PK_SAMPLE = 5  # how many missing/changed primary keys a finding lists


@dataclass(frozen=True)
class TableSummary:
    table: str
    rows: int  # all rows of the table
    seeded: int  # seeded rows found
    checksum: str  # over the seeded rows' values, for the report and the JSON record


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


def summarize(tables: dict[str, dict]) -> list[TableSummary]:
    """Per-table row counts and checksums of the seeded rows (recorded before the upgrade)."""
    out = []
    for table, data in sorted(tables.items()):
        if not data.get("exists"):
            out.append(TableSummary(table, 0, 0, ""))
            continue
        rows = data["rows"]
        digest = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:16]
        out.append(TableSummary(table, data["count"], len(rows), digest))
    return out


def compare(before: dict[str, dict], after: dict[str, dict]) -> list[str]:
    """Every way a seeded row did not survive, as one sentence each; empty when all did."""
    findings: list[str] = []
    for table, old in sorted(before.items()):
        if not old.get("exists"):
            continue  # the seed never reached it (e.g. natural keys only); nothing to lose
        new = after.get(table, {"exists": False})
        old_rows: dict[str, dict[str, str | None]] = old["rows"]
        if not new.get("exists"):
            findings.append(f"table {table} dropped, {old['count']} rows held data")
            continue
        if new["count"] < old["count"]:
            findings.append(
                f"{table}: {old['count']} rows before the upgrade, {new['count']} after"
            )
        new_rows: dict[str, dict[str, str | None]] = new["rows"]
        missing = [pk for pk in old_rows if pk not in new_rows]
        if missing:
            findings.append(
                f"{table}: {len(missing)} of {len(old_rows)} seeded rows missing "
                f"(pk {_sample(missing)})"
            )
        kept = set(new["columns"])
        for column in old["columns"]:
            held = [pk for pk, values in old_rows.items() if values.get(column) is not None]
            if column not in kept:
                if held:
                    findings.append(
                        f"{table}.{column} dropped, {len(held)} {_rows(len(held))} held data"
                    )
                continue
            changed = [
                pk
                for pk in held
                if pk in new_rows and new_rows[pk].get(column) != old_rows[pk][column]
            ]
            if changed:
                findings.append(
                    f"{table}.{column} changed in {len(changed)} {_rows(len(changed))} "
                    f"(pk {_sample(changed)})"
                )
    return findings


def _rows(n: int) -> str:
    return "row" if n == 1 else "rows"


def _sample(pks: list[str]) -> str:
    shown = ", ".join(pks[:_PK_SAMPLE])
    return shown + (f", ... {len(pks) - _PK_SAMPLE} more" if len(pks) > _PK_SAMPLE else "")
