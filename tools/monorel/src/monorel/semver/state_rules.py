"""What a change of Django's model state means for the code that uses the models.

Input: the state change of one operation, as the describe job reports it (per model:
its head before and after, and each changed field's description before and after;
field keys as in ``_django_describe._field``). Django recomputes the state from the
migration files on every run, so this is what consumers of the models see after the
upgrade, whatever the database got: a ``SeparateDatabaseAndState`` that renames a field
only in state renames the attribute every consumer uses.

Rules (as data: attribute -> judge):

- models: removed (major), renamed (major), added (minor); ``db_table`` changed (major:
  the model now reads another table); other options (ordering, verbose names,
  permissions) patch, ``order_with_respect_to`` and the default managers minor; indexes
  and constraints are left to the SQL that builds them.
- fields: removed (major), renamed (major: paired by an otherwise identical
  definition), added (minor); type changed (minor where it only widens, by
  ``_WIDENING_TYPES``, else major); ``null`` True -> False (major) / False -> True
  (minor); ``max_length``, ``max_digits``, ``decimal_places`` down (major) / up (minor);
  ``unique`` added (major) / removed (minor); ``primary_key``, ``db_column``, relation
  target (``to``), ``on_delete``, ``related_name`` changed (major); choices narrowed
  (values removed, or choices where there were none: major) / widened (minor); default
  removed from a NOT NULL field (major), added or changed (minor); ``db_default``,
  ``db_index`` changed (minor); anything else (help_text, verbose_name, validators,
  blank, editable): patch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from monorel.bumps import Bump, rank

__all__ = ["StateFinding", "judge_changes"]

Field = Mapping[str, Any]


@dataclass(frozen=True)
class StateFinding:
    kind: str  # e.g. "migration.state.remove-field"
    description: str
    bump: Bump


# (old field class, new field class), by class name, that keep every value
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
    ("SlugField", "TextField"),
    ("EmailField", "TextField"),
    ("URLField", "TextField"),
}


# model options with more than a patch's weight (the rest: ordering, verbose names...)
_OPTION_BUMPS: dict[str, Bump] = {
    "order_with_respect_to": "minor",  # a new _order column and get_next_in_order() & co
    "base_manager_name": "minor",
    "default_manager_name": "minor",
}


def judge_changes(changes: list[Mapping[str, Any]]) -> list[StateFinding]:
    """Findings for the state change of one operation (every model it touched)."""
    found: list[StateFinding] = []
    removed = [c for c in changes if c["before"] and not c["after"]]
    added = [c for c in changes if c["after"] and not c["before"]]
    renamed: dict[str, str] = {}  # old model label -> new, for relations that follow it
    for old in removed:
        new = next((a for a in added if _same_fields(old, a)), None)
        if new is not None:
            added.remove(new)
            renamed[old["model"]] = new["model"]
            found.append(
                StateFinding(
                    "migration.state.rename-model",
                    f"renames model {old['before']['name']} to {new['after']['name']}: code "
                    "using the old name breaks",
                    "major",
                )
            )
        else:
            found.append(
                StateFinding(
                    "migration.state.remove-model",
                    f"removes model {old['before']['name']}",
                    "major",
                )
            )
    for new in added:
        kind = "proxy model" if new["after"]["proxy"] else "model"
        found.append(
            StateFinding(
                "migration.state.add-model", f"adds {kind} {new['after']['name']}", "minor"
            )
        )
    for change in changes:
        if change["before"] and change["after"]:
            found += _model_changed(change, renamed)
    return found


def _same_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    before = {n: f["before"] for n, f in old["fields"].items()}
    after = {n: f["after"] for n, f in new["fields"].items()}
    return set(before) == set(after) and all(
        _without(before[n], "to") == _without(after[n], "to") for n in before
    )


def _without(field: Field | None, *keys: str) -> dict[str, Any]:
    return {k: v for k, v in (field or {}).items() if k not in keys}


def _model_changed(change: Mapping[str, Any], renamed: Mapping[str, str]) -> list[StateFinding]:
    model = change["after"]["name"]
    found: list[StateFinding] = []
    if change["before"]["db_table"] != change["after"]["db_table"]:
        found.append(
            StateFinding(
                "migration.state.db-table",
                f"moves model {model} from table {change['before']['db_table']} to "
                f"{change['after']['db_table']}",
                "major",
            )
        )
    for key in ("managed", "proxy"):
        if change["before"][key] != change["after"][key]:
            found.append(
                StateFinding(
                    f"migration.state.{key}",
                    f"makes model {model} {'' if change['after'][key] else 'not '}{key}",
                    "minor",
                )
            )
    # indexes and constraints are judged by the SQL that builds them; other options here
    options = change["options"].get("options")
    if options:
        before, after = options["before"], options["after"]
        names = sorted(k for k in {*before, *after} if before.get(k) != after.get(k))
        found.append(
            StateFinding(
                "migration.state.options",
                f"changes options of model {model} ({', '.join(names)})",
                max((_OPTION_BUMPS.get(n, "patch") for n in names), key=rank),
            )
        )
    fields = change["fields"]
    removed = [n for n, f in fields.items() if f["before"] and not f["after"]]
    added = [n for n, f in fields.items() if f["after"] and not f["before"]]
    for name in removed:
        twin = next(
            (
                a
                for a in added
                if _without(fields[a]["after"], "column")
                == _without(fields[name]["before"], "column")
            ),
            None,
        )
        if twin is not None:
            added.remove(twin)
            found.append(
                StateFinding(
                    "migration.state.rename-field",
                    f"renames field {model}.{name} to {twin}: code using the old name breaks",
                    "major",
                )
            )
        else:
            found.append(
                StateFinding(
                    "migration.state.remove-field", f"removes field {model}.{name}", "major"
                )
            )
    for name in added:
        found.append(
            StateFinding("migration.state.add-field", f"adds field {model}.{name}", "minor")
        )
    for name, pair in fields.items():
        before, after = pair["before"], pair["after"]
        if before and after:
            if renamed.get(before.get("to")) == after.get("to"):
                before = {**before, "to": after["to"]}  # follows its renamed target: said above
            found += _field_changed(f"{model}.{name}", before, after)
    return found


# ---------------------------------------------------------------- field attributes

_Judge = Callable[[Field, Field], "tuple[Bump, str] | None"]


def _type(old: Field, new: Field) -> tuple[Bump, str] | None:
    if old["type"] == new["type"]:
        return None
    old_name, new_name = old["type"].rsplit(".", 1)[-1], new["type"].rsplit(".", 1)[-1]
    text = f"type {old_name} -> {new_name}"
    if (old_name, new_name) in _WIDENING_TYPES:
        return "minor", text
    if old.get("db_type") and old.get("db_type") == new.get("db_type"):
        return "minor", text + f" (same column type {new['db_type']})"
    return "major", text


def _null(old: Field, new: Field) -> tuple[Bump, str] | None:
    if old["null"] == new["null"]:
        return None
    if old["null"]:
        return "major", "null True -> False (writing None now fails)"
    return "minor", "null False -> True"


def _limit(key: str) -> _Judge:
    def judge(old: Field, new: Field) -> tuple[Bump, str] | None:
        before, after = old.get(key), new.get(key)
        if before == after or old["type"] != new["type"]:
            return None
        text = f"{key} {before} -> {after}"
        if before is None:
            return "major", text
        if after is None:
            return "minor", text
        return ("major" if after < before else "minor"), text

    return judge


def _flag(key: str, added: Bump, removed: Bump, why: str = "") -> _Judge:
    def judge(old: Field, new: Field) -> tuple[Bump, str] | None:
        if bool(old.get(key)) == bool(new.get(key)):
            return None
        if new.get(key):
            return added, f"{key} added" + (f" ({why})" if why else "")
        return removed, f"{key} removed"

    return judge


def _changed(key: str, bump: Bump, what: str) -> _Judge:
    def judge(old: Field, new: Field) -> tuple[Bump, str] | None:
        if old.get(key) == new.get(key):
            return None
        return bump, f"{what} {old.get(key)} -> {new.get(key)}"

    return judge


def _choices(old: Field, new: Field) -> tuple[Bump, str] | None:
    before, after = old.get("choices"), new.get("choices")
    if before == after:
        return None
    if after is None:
        return "minor", "choices removed"
    if before is None:
        return "major", "choices added (existing values may not be among them)"
    gone = sorted(set(before) - set(after))
    if gone:
        return "major", f"choices narrowed (removes {', '.join(map(repr, gone))})"
    return "minor", "choices widened (adds " + ", ".join(
        map(repr, sorted(set(after) - set(before)))
    ) + ")"


def _default(old: Field, new: Field) -> tuple[Bump, str] | None:
    if old["has_default"] == new["has_default"] and old.get("default") == new.get("default"):
        return None
    if not new["has_default"]:
        if not new["null"]:
            return "major", "default removed from a NOT NULL field (creating rows without it fails)"
        return "minor", "default removed"
    if not old["has_default"]:
        return "minor", f"default {new.get('default')!r} added"
    return "minor", f"default {old.get('default')!r} -> {new.get('default')!r}"


_FIELD_RULES: tuple[_Judge, ...] = (
    _type,
    _null,
    _limit("max_length"),
    _limit("max_digits"),
    _limit("decimal_places"),
    _flag("unique", "major", "minor", "existing rows may repeat values"),
    _flag("primary_key", "major", "major"),
    _changed("column", "major", "column"),
    _changed("to", "major", "relation target"),
    _changed("on_delete", "major", "on_delete"),
    _changed("related_name", "major", "related_name (reverse accessor)"),
    _choices,
    _default,
    _changed("db_default", "minor", "db_default"),
    _flag("db_index", "minor", "minor"),
)
# attributes judged above, as the field's deconstructed keyword arguments name them
_JUDGED_KWARGS = {
    "null",
    "max_length",
    "max_digits",
    "decimal_places",
    "unique",
    "primary_key",
    "db_column",
    "to",
    "on_delete",
    "related_name",
    "choices",
    "default",
    "db_default",
    "db_index",
}


def _field_changed(target: str, old: Field, new: Field) -> list[StateFinding]:
    reasons: dict[Bump, list[str]] = {}
    for judge in _FIELD_RULES:
        verdict = judge(old, new)
        if verdict is not None:
            reasons.setdefault(verdict[0], []).append(verdict[1])
    cosmetic = sorted(
        key
        for key in {*old.get("kwargs", {}), *new.get("kwargs", {})}
        if key not in _JUDGED_KWARGS
        and old.get("kwargs", {}).get(key) != new.get("kwargs", {}).get(key)
    )
    found = []
    labels = {"major": "narrows", "minor": "widens"}
    for bump in ("major", "minor"):
        if bump in reasons:
            found.append(
                StateFinding(
                    f"migration.state.alter-field-{'narrowing' if bump == 'major' else 'widening'}",
                    f"{labels[bump]} field {target} ({'; '.join(reasons[bump])})",
                    bump,
                )
            )
    if cosmetic and not found:
        found.append(
            StateFinding(
                "migration.state.alter-field-cosmetic",
                f"changes only Django-side options of field {target} ({', '.join(cosmetic)})",
                "patch",
            )
        )
    return found
