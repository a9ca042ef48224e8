"""Snapshot the seeded rows of a database; runs INSIDE a rehearsal venv, not in monorel's.

Only the standard library and the installed Django are available here, so this file
imports nothing from monorel. ``monorel.rehearsal.snapshot`` reads what it writes.

    python _probe.py before FIXTURE.json OUT.json   # tables/pks from the fixture, via the models
    python _probe.py after BEFORE.json OUT.json     # the same tables/pks, by raw SQL only

``after`` uses no models on purpose: the upgraded code may have renamed or dropped them,
and the question is what happened to the rows the old code wrote. Both also list the
database's views: PostgreSQL drops the views that use a dropped column without a word
(Django drops columns with CASCADE), so a view that is gone is a finding too.
Each value is stored as a short hash, so the snapshot holds no seed data itself.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import sys
import uuid
from pathlib import Path


def _setup() -> None:
    import django

    django.setup()


def _value_hash(value: object) -> str | None:
    """A stable short hash of a column value; None for SQL NULL and the empty string.

    The empty string counts as "held no data", so filling a blank column is not a loss.
    """
    if value is None or value == "" or value == b"":
        return None
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        text = "b:" + value.hex()
    elif isinstance(value, bool):
        text = "i:" + str(int(value))
    elif isinstance(value, decimal.Decimal):
        # 10.00 and 10.0000 are the same amount (a widened decimal_places is not a change)
        text = "n:" + format(value.normalize(), "f")
    elif isinstance(value, int | float):
        text = "n:" + format(decimal.Decimal(str(value)).normalize(), "f")
    elif isinstance(value, datetime.datetime | datetime.date | datetime.time):
        text = "t:" + value.isoformat()
    elif isinstance(value, uuid.UUID):
        text = "s:" + value.hex
    elif isinstance(value, dict | list):
        text = "j:" + json.dumps(value, sort_keys=True, default=str)
    else:
        text = "s:" + str(value)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _read_table(table: str, pk_column: str, pks: list[object]) -> dict:
    from django.db import connection

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if table not in connection.introspection.table_names(cursor):
            return {"exists": False}
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        count = cursor.fetchone()[0]
        rows: dict[str, dict[str, str | None]] = {}
        if pks and pk_column in columns:
            names = ", ".join(quote(c) for c in columns)
            marks = ", ".join(["%s"] * len(pks))
            cursor.execute(
                f"SELECT {names} FROM {quote(table)} WHERE {quote(pk_column)} IN ({marks})", pks
            )
            for row in cursor.fetchall():
                values = dict(zip(columns, row, strict=True))
                rows[str(values[pk_column])] = {c: _value_hash(v) for c, v in values.items()}
    return {"exists": True, "count": count, "columns": columns, "rows": rows}


def before(fixture: Path, out: Path) -> None:
    from django.apps import apps

    seeded: dict[str, dict] = {}
    for entry in json.loads(fixture.read_text(encoding="utf-8")):
        model = apps.get_model(entry["model"])
        table = model._meta.db_table
        spec = seeded.setdefault(
            table, {"model": entry["model"], "pk_column": model._meta.pk.column, "pks": []}
        )
        if entry.get("pk") is not None:  # natural-key entries: counted, not followed by pk
            spec["pks"].append(model._meta.pk.to_python(entry["pk"]))
    tables = {}
    for table, spec in sorted(seeded.items()):
        data = _read_table(table, spec["pk_column"], spec["pks"])
        tables[table] = {
            "model": spec["model"],
            "pk_column": spec["pk_column"],
            "pks": [str(pk) for pk in spec["pks"]],
            **data,
        }
    _write(out, tables)


def after(before_file: Path, out: Path) -> None:
    old = json.loads(before_file.read_text(encoding="utf-8"))["tables"]
    tables = {}
    for table, spec in sorted(old.items()):
        pks: list[object] = [int(pk) if pk.lstrip("-").isdigit() else pk for pk in spec["pks"]]
        tables[table] = _read_table(table, spec["pk_column"], pks)
    _write(out, tables)


def _write(out: Path, tables: dict) -> None:
    out.write_text(
        json.dumps({"tables": tables, "views": _views()}, indent=1, sort_keys=True),
        encoding="utf-8",
    )


def _views() -> list[str]:
    """Every view of the database (PostgreSQL: materialized ones too), by name."""
    from django.db import connection

    with connection.cursor() as cursor:
        found = connection.introspection.get_table_list(cursor)
    return sorted(info.name for info in found if info.type == "v")


def main(argv: list[str]) -> int:
    command, source, out = argv
    _setup()
    {"before": before, "after": after}[command](Path(source), Path(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
