"""Snapshot every row of the watched tables; runs INSIDE a rehearsal venv, not in monorel's.

Only the standard library and the installed Django are available here, so this file
imports nothing from monorel. ``monorel.rehearsal.snapshot`` reads what it writes.

Watched: every table of the workspace's apps (``_fill.models_of``: the seed's and the
generated rows), their many-to-many tables, and every table the seed wrote to.

- ``before`` (old code): the watched tables, found through the old models;
- ``after`` (new code, after the upgrade): the same tables by raw SQL only, and the
  tables of the new models that did not exist before (a renamed table shows up there),
  plus every value longer than the ``max_length`` its column now declares (SQLite keeps
  such a value where PostgreSQL would refuse or cut it).

``after`` reads the old tables by raw SQL on purpose: the upgraded code may have renamed
or dropped their models, and the question is what happened to the rows. Both also list
the database's views: PostgreSQL drops the views that use a dropped column without a
word (Django drops columns with CASCADE), so a view that is gone is a finding too.
Each value is stored as a short hash, so the snapshot holds no data itself.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import _fill  # beside this file: the script's directory is on sys.path

_NOT_WATCHED = {"django_content_type", "auth_permission", "django_migrations"}


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


def _read_table(table: str, pk_column: str, limits: dict[str, int] | None = None) -> dict:
    """Every row of ``table`` as {pk: {column: hash}}; ``limits`` (column -> max_length)
    also collects the primary keys of longer values."""
    from django.db import connection

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if table not in connection.introspection.table_names(cursor):
            return {"exists": False, "pk_column": pk_column}
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
        cursor.execute(f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)}")
        fetched = cursor.fetchall()
    rows: dict[str, dict[str, str | None]] = {}
    too_long: dict[str, dict[str, Any]] = {}
    key = pk_column if pk_column in columns else columns[0]
    for row in fetched:
        values = dict(zip(columns, row, strict=True))
        pk = str(values[key])
        rows[pk] = {c: _value_hash(v) for c, v in values.items()}
        for column, limit in (limits or {}).items():
            value = values.get(column)
            if isinstance(value, str) and len(value) > limit:
                too_long.setdefault(column, {"max_length": limit, "pks": []})["pks"].append(pk)
    found = {"exists": True, "pk_column": key, "columns": columns, "rows": rows}
    if too_long:
        found["too_long"] = too_long
    return found


def _watched(app_modules: list[str], seed: Path | None) -> dict[str, str]:
    """table -> primary key column of every watched table (see the module docstring)."""
    from django.apps import apps

    tables: dict[str, str] = {}
    for model in _fill.models_of(app_modules):
        tables[model._meta.db_table] = model._meta.pk.column
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through._meta
            tables.setdefault(through.db_table, through.pk.column)
    if seed is not None and seed.suffix == ".json":
        for entry in json.loads(seed.read_text(encoding="utf-8")):
            meta = apps.get_model(entry["model"])._meta
            tables.setdefault(meta.db_table, meta.pk.column)
    return {t: pk for t, pk in sorted(tables.items()) if t not in _NOT_WATCHED}


def before(app_modules: list[str], seed: Path | None, out: Path) -> None:
    tables = {t: _read_table(t, pk) for t, pk in _watched(app_modules, seed).items()}
    _write(out, tables)


def after(app_modules: list[str], before_file: Path, out: Path) -> None:
    from django.db import models

    old = json.loads(before_file.read_text(encoding="utf-8"))["tables"]
    limits: dict[str, dict[str, int]] = {}
    pk_columns = {t: spec["pk_column"] for t, spec in old.items()}
    for model in _fill.models_of(app_modules):
        meta = model._meta
        pk_columns.setdefault(meta.db_table, meta.pk.column)
        for field in meta.concrete_fields:
            if isinstance(field, models.CharField) and field.max_length:
                limits.setdefault(meta.db_table, {})[field.column] = field.max_length
    tables = {t: _read_table(t, pk, limits.get(t)) for t, pk in sorted(pk_columns.items())}
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
