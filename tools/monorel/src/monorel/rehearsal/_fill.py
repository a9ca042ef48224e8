"""Fill every table of the old release with generated rows; runs INSIDE the old venv.

Only the standard library and the installed Django are available here (no monorel).
The rows come from the old release's own models, so no fixture is written per model:

- two base rows per model: *sparse* (every nullable column NULL, booleans False, blank
  strings empty) and *full* (every column holds a value, booleans True);
- then one row per edge value of each column, on the full base (or, where the database
  refuses that, on the sparse one, or on the full one with every other number zero):
  every ``choices`` value, the smallest and largest
  number the column's type holds, zero, the smallest decimal step, strings of
  ``max_length`` characters (not only ASCII), long texts, far dates, odd JSON;
- foreign keys point at existing rows (the seed's or generated ones, dependencies
  first); many-to-many fields get zero to two related rows each.

- then ordinary rows up to ``MIN_ROWS``.

At most ``MAX_ROWS`` rows per model (edge values of all columns interleaved, so the cap
never starves a column). A row the database refuses (a CHECK constraint across columns,
say) is skipped and counted: a real database cannot hold it either. Each insert runs in
its own savepoint inside one transaction; on PostgreSQL constraints are checked per
statement (``SET CONSTRAINTS ALL IMMEDIATE``), so a refused row is refused at once.

``models_of(app_modules)`` is also what the snapshot reads: the models of the apps whose
module is one of ``app_modules`` (or below), and the models their foreign keys and
many-to-many fields point at.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import itertools
import uuid
from typing import Any

MAX_ROWS = 60
MIN_ROWS = 24
# Django keeps these in step with the models itself (post_migrate): not data of the release
_NOT_FILLED = {"contenttypes.contenttype", "auth.permission"}
_LONG_TEXT = 4000


def models_of(app_modules: list[str]) -> list[Any]:
    """Concrete, managed models of the named apps and of the models their FKs point at,
    dependencies first."""
    from django.apps import apps

    def ours(model: Any) -> bool:
        name = model._meta.app_config.name
        return any(name == m or name.startswith(m + ".") for m in app_modules)

    found: dict[str, Any] = {}
    todo = [m for m in apps.get_models() if ours(m)]
    while todo:
        model = todo.pop()
        meta = model._meta
        if meta.label_lower in found or meta.proxy or not meta.managed or meta.swapped:
            continue
        found[meta.label_lower] = model
        todo.extend(f.related_model for f in meta.concrete_fields if f.is_relation)
        todo.extend(f.related_model for f in meta.local_many_to_many)
    return _dependency_order(list(found.values()))


def _dependency_order(models: list[Any]) -> list[Any]:
    ordered: list[Any] = []
    seen: set[str] = set()

    def visit(model: Any, trail: frozenset[str]) -> None:
        label = model._meta.label_lower
        if label in seen or label in trail:
            return  # a cycle: its nullable side is NULL in the sparse rows
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in models:
                visit(field.related_model, trail | {label})
        seen.add(label)
        ordered.append(model)

    for model in sorted(models, key=lambda m: m._meta.label_lower):
        visit(model, frozenset())
    return ordered


def fill(app_modules: list[str]) -> dict[str, dict[str, Any]]:
    """Generate rows for every model of ``models_of(app_modules)``; per table what happened."""
    from django.db import connection, transaction

    report: dict[str, dict[str, Any]] = {}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        models = models_of(app_modules)
        created: dict[str, list[Any]] = {}
        for model in models:
            if model._meta.label_lower in _NOT_FILLED:
                continue
            created[model._meta.label_lower] = _fill_model(model, report)
        for model in models:
            _fill_many_to_many(model, created.get(model._meta.label_lower, []), report)
    return report


def _fill_model(model: Any, report: dict[str, dict[str, Any]]) -> list[Any]:
    from django.db import transaction

    meta = model._meta
    fields = [f for f in meta.concrete_fields if not _skipped(f)]
    entry = report.setdefault(meta.db_table, {"inserted": 0, "refused": 0, "reasons": []})
    unknown = [f.column for f in fields if _kind(f) is None and not f.is_relation]
    if unknown:
        entry["not varied"] = unknown
    targets = {f.name: _targets(f) for f in fields if f.is_relation}
    edges = [[(f, v) for v in _edges(f)] for f in fields if not f.primary_key]
    interleaved = [e for group in itertools.zip_longest(*edges) for e in group if e is not None]
    # each row: the values to try, in order, until the database takes one
    rows: list[list[dict[str, Any]]] = [
        [_base(fields, 0, targets, full=False)],
        [_base(fields, 1, targets, full=True)],
    ]
    for n, (field, value) in enumerate(interleaved[: MAX_ROWS - 2], start=2):
        tries = [
            _base(fields, n, targets, full=True),
            _base(fields, n, targets, full=False),
            _zeros(fields, _base(fields, n, targets, full=True)),
        ]
        for values in tries:
            values[field.attname] = value
        rows.append(tries)
    # more ordinary rows, so that every table holds a few dozen, related ones included
    for n in range(len(rows), MIN_ROWS):
        rows.append([_base(fields, n, targets, full=n % 2 == 1)])
    created = []
    for tries in rows:
        reason = ""
        for values in tries:
            obj = model(**values)
            try:
                with transaction.atomic():
                    if meta.parents:
                        obj.save(force_insert=True)
                    else:
                        obj.save_base(raw=True, force_insert=True)
            except Exception as exc:  # noqa: BLE001 - the database refused this row
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
                continue
            entry["inserted"] += 1
            created.append(obj)
            reason = ""
            break
        if reason:
            entry["refused"] += 1
            if reason not in entry["reasons"] and len(entry["reasons"]) < 3:
                entry["reasons"].append(reason)
    return created


def _fill_many_to_many(model: Any, objs: list[Any], report: dict[str, dict[str, Any]]) -> None:
    from django.db import transaction

    for field in model._meta.local_many_to_many:
        through = field.remote_field.through
        if not through._meta.auto_created:
            continue  # an explicit through model is filled as a model of its own
        targets = list(field.related_model._base_manager.all()[:3])
        entry = report.setdefault(
            through._meta.db_table, {"inserted": 0, "refused": 0, "reasons": []}
        )
        for i, obj in enumerate(objs):
            chosen = targets[: i % 3]
            if not chosen:
                continue
            try:
                with transaction.atomic():
                    getattr(obj, field.name).add(*chosen)
                entry["inserted"] += len(chosen)
            except Exception as exc:  # noqa: BLE001
                entry["refused"] += 1
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
                if reason not in entry["reasons"] and len(entry["reasons"]) < 3:
                    entry["reasons"].append(reason)


def _skipped(field: Any) -> bool:
    if getattr(field, "generated", False):  # GeneratedField: the database computes it
        return True
    return bool(field.primary_key and field.get_internal_type().endswith("AutoField"))


def _targets(field: Any) -> list[Any]:
    """Primary keys of existing rows a foreign key can point at (a few dozen)."""
    related = field.related_model
    target = field.target_field.attname
    return list(related._base_manager.order_by("pk").values_list(target, flat=True)[:MAX_ROWS])


def _base(fields: list[Any], n: int, targets: dict[str, list[Any]], *, full: bool) -> dict:
    values = {}
    for field in fields:
        if field.null and not full and not field.primary_key:
            values[field.attname] = None
        elif field.is_relation:
            pool = targets[field.name]
            if field.one_to_one:
                values[field.attname] = pool[n] if n < len(pool) else None
            else:
                values[field.attname] = pool[n % len(pool)] if pool else None
        else:
            values[field.attname] = _plain(field, n, full=full)
    return values


def _zeros(fields: list[Any], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every other number zero: an edge of one column often fits a CHECK
    across columns (0 <= paid <= total) only that way."""
    for field in fields:
        kind = _kind(field)
        if kind in _ZERO and not (field.primary_key or field.choices or field.unique):
            values[field.attname] = _ZERO[kind](field)
    return values


_ZERO = {
    "int": lambda f: 0,
    "float": lambda f: 0.0,
    "decimal": lambda f: decimal.Decimal(0).quantize(
        decimal.Decimal(10) ** -(f.decimal_places or 0)
    ),
}


def _choices(field: Any) -> list[Any]:
    return [value for value, _ in field.flatchoices] if field.choices else []


def _plain(field: Any, n: int, *, full: bool) -> Any:
    """The ordinary value of ``field`` in row ``n`` (distinct per row where it must be)."""
    choices = _choices(field)
    if choices:
        default = field.get_default() if field.has_default() else None
        return default if default in choices else choices[0]
    kind = _kind(field)
    if kind is None:
        return field.get_default() if field.has_default() else None
    if kind == "bool":
        return full
    if kind == "text" and field.blank and not full and not field.unique:
        return ""
    return _PLAIN[kind](field, n)


def _edges(field: Any) -> list[Any]:
    """The edge values of ``field`` besides its plain one."""
    choices = _choices(field)
    if choices:
        return choices[1:] if _plain(field, 0, full=True) == choices[0] else list(choices)
    if field.is_relation:
        return []
    kind = _kind(field)
    return _EDGES[kind](field) if kind is not None else []


def _kind(field: Any) -> str | None:
    """The kind of values ``field`` holds (a key of ``_PLAIN``); None for a type not known."""
    return next((kind for classes, kind in _kinds() if isinstance(field, classes)), None)


@functools.cache
def _kinds() -> tuple[tuple[Any, str], ...]:
    """Field classes -> kind, first match wins (subclasses before their bases)."""
    from django.db import models

    return (
        (models.BooleanField, "bool"),
        (models.EmailField, "email"),
        (models.URLField, "url"),
        (models.GenericIPAddressField, "ip"),
        (models.FileField | models.FilePathField, "path"),
        (models.CharField | models.SlugField, "char"),
        (models.TextField, "text"),
        (models.DecimalField, "decimal"),
        (models.FloatField, "float"),
        (models.DurationField, "duration"),
        (models.DateTimeField, "datetime"),  # before DateField: it is one
        (models.DateField, "date"),
        (models.TimeField, "time"),
        (models.UUIDField, "uuid"),
        (models.JSONField, "json"),
        (models.BinaryField, "binary"),
        (models.IntegerField | models.SmallIntegerField | models.BigIntegerField, "int"),
    )


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _text(n: int, name: str, limit: int | None) -> str:
    text = f"{n}-{name}"
    if limit is None or len(text) <= limit:
        return text
    return _base36(n)[-limit:]


def _long(n: int, limit: int) -> str:
    prefix = f"{n}~"
    body = "Ünïcödé ✓ ẞ Ω €, " * (limit // 8 + 1)
    return (prefix + body)[:limit]


def _aware(value: datetime.datetime) -> datetime.datetime:
    from django.conf import settings

    return value.replace(tzinfo=datetime.UTC) if settings.USE_TZ else value


def _int_range(field: Any) -> tuple[int, int]:
    from django.db.backends.base.operations import BaseDatabaseOperations

    return BaseDatabaseOperations.integer_field_ranges.get(
        field.get_internal_type(), (-2147483648, 2147483647)
    )


def _decimal_max(field: Any) -> decimal.Decimal:
    places = field.decimal_places or 0
    whole = (field.max_digits or 10) - places
    return decimal.Decimal(10) ** whole - decimal.Decimal(10) ** -places


def _plain_decimal(field: Any, n: int) -> decimal.Decimal:
    step = decimal.Decimal(10) ** -(field.decimal_places or 0)
    value = min(decimal.Decimal(n % 100 + 1), _decimal_max(field))
    return value.quantize(step)


_EPOCH = datetime.datetime(2024, 1, 1, 12, 0)

_PLAIN = {
    "email": lambda f, n: f"user{n}@example.com",
    "url": lambda f, n: f"https://example.com/{n}",
    "ip": lambda f, n: f"192.0.2.{n % 250 + 1}" if f.protocol != "ipv6" else f"2001:db8::{n + 1}",
    "path": lambda f, n: _text(n, "file.txt", f.max_length),
    "char": lambda f, n: _text(n, f.name, f.max_length),
    "text": lambda f, n: f"{f.name} {n}",
    "decimal": _plain_decimal,
    "float": lambda f, n: n + 0.5,
    "duration": lambda f, n: datetime.timedelta(minutes=n + 1),
    "datetime": lambda f, n: _aware(_EPOCH + datetime.timedelta(hours=n)),
    "date": lambda f, n: (_EPOCH + datetime.timedelta(days=n)).date(),
    "time": lambda f, n: datetime.time(12, n % 60),
    "uuid": lambda f, n: uuid.UUID(int=n + 1),
    "json": lambda f, n: {"n": n},
    "binary": lambda f, n: bytes([n % 256]) * 4,
    "int": lambda f, n: n + 1,
}


def _char_edges(field: Any) -> list[Any]:
    limit = field.max_length or _LONG_TEXT
    return [_long(0, limit), *([""] if field.blank else [])]


def _int_edges(field: Any) -> list[Any]:
    low, high = _int_range(field)
    return [low, high, 0, *([-1] if low < 0 else [])]


def _decimal_edges(field: Any) -> list[Any]:
    top = _decimal_max(field)
    step = decimal.Decimal(10) ** -(field.decimal_places or 0)
    return [top, -top, decimal.Decimal(0).quantize(step), step]


_EDGES = {
    "bool": lambda f: [],
    "email": lambda f: [("x" * 200 + "@example.com")[-(f.max_length or 254) :]],
    "url": lambda f: [("https://example.com/" + "p" * 2000)[: f.max_length or 200]],
    "ip": lambda f: ["2001:db8::1"] if f.protocol == "both" else [],
    "path": _char_edges,
    "char": _char_edges,
    "text": lambda f: ["\n".join([_long(0, 80)] * (_LONG_TEXT // 80)), *([""] if f.blank else [])],
    "decimal": _decimal_edges,
    "float": lambda f: [0.0, -1.5, 1.5e300],
    "duration": lambda f: [datetime.timedelta(0), datetime.timedelta(days=99999, microseconds=1)],
    "datetime": lambda f: [
        _aware(datetime.datetime(1970, 1, 1, 0, 0, 0, 1)),
        _aware(datetime.datetime(2999, 12, 31, 23, 59, 59, 999999)),
    ],
    "date": lambda f: [datetime.date(1970, 1, 1), datetime.date(2999, 12, 31)],
    "time": lambda f: [datetime.time(0, 0), datetime.time(23, 59, 59, 999999)],
    "uuid": lambda f: [uuid.UUID(int=2**128 - 1)],
    "json": lambda f: [
        [],
        {"nested": {"list": [1, "two", None, True, 2.5]}, "text": "Ünïcödé ✓"},
        "a string",
        0,
    ],
    "binary": lambda f: [bytes(range(256)), b""],
    "int": _int_edges,
}
