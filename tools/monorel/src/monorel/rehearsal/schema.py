"""Is the upgraded schema the one a fresh install gets? Compare two reads of ``_schema.py``.

One read is of the leg's database after the upgrade, the other of a database migrated
from scratch with the new code on the same engine. Compared, each difference one
sentence that names the object:

- tables, and their columns: type (as the engine declares it), nullability, default
  (PostgreSQL: the default expression or identity; a serial's sequence name is not
  compared, it follows the table's old name);
- primary keys, unique, check, foreign-key and exclusion constraints, and indexes, by
  their definition. Names are compared only where the models choose them
  (``Meta.indexes``, ``Meta.constraints``): Django generates the others from hashes of
  table and column names, so they differ after a rename while meaning the same;
- views (by definition), triggers (by definition) and, on PostgreSQL, functions
  (by a hash of their definition).

Not compared: column order, storage parameters, comments, grants, sequences' own
settings, and on SQLite whether a foreign key is deferrable (its catalog does not say).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

_CLIP = 160


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def compare(fresh: dict, upgraded: dict, from_version: str) -> list[str]:
    """Every difference between a fresh install and the upgrade, one sentence each."""
    fresh_side = "after a fresh install"
    upgrade_side = f"after upgrading from {from_version}"
    missing = f"exists {fresh_side}, missing {upgrade_side}"
    extra = f"exists {upgrade_side}, not {fresh_side}"
    if "unsupported" in fresh or "unsupported" in upgraded:
        vendor = fresh.get("unsupported") or upgraded.get("unsupported")
        return [f"cannot read the schema of a {vendor} database (SQLite and PostgreSQL only)"]
    findings: list[str] = []
    tables_a, tables_b = fresh["tables"], upgraded["tables"]
    findings += [f"table {t} {missing}" for t in sorted(set(tables_a) - set(tables_b))]
    findings += [f"table {t} {extra}" for t in sorted(set(tables_b) - set(tables_a))]
    named = {t: set(n) for t, n in fresh.get("named", {}).items()}
    for table in sorted(set(tables_a) & set(tables_b)):
        a, b = tables_a[table], tables_b[table]
        findings += _columns(table, a["columns"], b["columns"], missing, extra, upgrade_side)
        for key in ("constraints", "indexes"):
            findings += _objects(
                table, a[key], b[key], named.get(table, set()), missing, extra, upgrade_side
            )
    findings += _definitions(
        "view", fresh["views"], upgraded["views"], missing, extra, upgrade_side
    )
    findings += _definitions(
        "trigger",
        {n: f"{v['definition']}" for n, v in fresh["triggers"].items()},
        {n: f"{v['definition']}" for n, v in upgraded["triggers"].items()},
        missing,
        extra,
        upgrade_side,
        where={n: v["table"] for n, v in {**upgraded["triggers"], **fresh["triggers"]}.items()},
    )
    findings += _definitions(
        "function", fresh["functions"], upgraded["functions"], missing, extra, upgrade_side
    )
    return findings


def _columns(
    table: str, a: dict, b: dict, missing: str, extra: str, upgrade_side: str
) -> list[str]:
    found = [f"{table}.{c} {missing}" for c in sorted(set(a) - set(b))]
    found += [f"{table}.{c} {extra}" for c in sorted(set(b) - set(a))]
    for column in sorted(set(a) & set(b)):
        x, y = a[column], b[column]
        if x["type"] != y["type"]:
            found.append(
                f"{table}.{column} is {x['type']} after a fresh install, {y['type']} {upgrade_side}"
            )
        if x["null"] != y["null"]:
            found.append(
                f"{table}.{column} is {_null(x['null'])} after a fresh install, "
                f"{_null(y['null'])} {upgrade_side}"
            )
        if x["default"] != y["default"]:
            found.append(
                f"{table}.{column} has {_default(x['default'])} after a fresh install, "
                f"{_default(y['default'])} {upgrade_side}"
            )
    return found


def _objects(
    table: str,
    a: list[dict],
    b: list[dict],
    named: set[str],
    missing: str,
    extra: str,
    upgrade_side: str,
) -> list[str]:
    """Constraints or indexes: the models' own names by name and meaning, the rest by
    meaning only (as a multiset: two equal indexes are not one)."""
    found: list[str] = []
    by_name_a = {o["name"]: o for o in a if o.get("name") in named}
    by_name_b = {o["name"]: o for o in b if o.get("name") in named}
    for name in sorted(set(by_name_a) | set(by_name_b)):
        x, y = by_name_a.get(name), by_name_b.get(name)
        if x is None:
            found.append(f"{table}: {_describe(y, name)} {extra}")  # type: ignore[arg-type]
        elif y is None:
            found.append(f"{table}: {_describe(x, name)} {missing}")
        elif x["definition"] != y["definition"]:
            found.append(
                f"{table}: {_kind(x)} {name} is {x['definition']} after a fresh install, "
                f"{y['definition']} {upgrade_side}"
            )
    rest_a = Counter(_meaning(o) for o in a if o.get("name") not in by_name_a)
    rest_b = Counter(_meaning(o) for o in b if o.get("name") not in by_name_b)
    for meaning in sorted((rest_a - rest_b).elements()):
        found.append(f"{table}: {meaning[0]} {meaning[1]} {missing}")
    for meaning in sorted((rest_b - rest_a).elements()):
        found.append(f"{table}: {meaning[0]} {meaning[1]} {extra}")
    return found


def _definitions(
    kind: str,
    a: dict[str, str],
    b: dict[str, str],
    missing: str,
    extra: str,
    upgrade_side: str,
    where: dict[str, str] | None = None,
) -> list[str]:
    def label(name: str) -> str:
        return f"{kind} {name}" + (f" on {where[name]}" if where and name in where else "")

    found = [f"{label(n)} {missing}" for n in sorted(set(a) - set(b))]
    found += [f"{label(n)} {extra}" for n in sorted(set(b) - set(a))]
    for name in sorted(set(a) & set(b)):
        if a[name] != b[name]:
            found.append(
                f"{label(name)} differs: {_clip(a[name])!r} after a fresh install, "
                f"{_clip(b[name])!r} {upgrade_side}"
            )
    return found


def _kind(obj: dict) -> str:
    return obj.get("kind", "index")


def _meaning(obj: dict) -> tuple[str, str]:
    return (_kind(obj), obj["definition"])


def _describe(obj: dict, name: str) -> str:
    return f"{_kind(obj)} {name} ({obj['definition']})"


def _null(nullable: bool) -> str:
    return "nullable" if nullable else "NOT NULL"


def _default(default: str | None) -> str:
    return f"default {default}" if default is not None else "no default"


def _clip(text: str) -> str:
    return text if len(text) <= _CLIP else text[: _CLIP - 3] + "..."
