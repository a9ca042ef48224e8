"""Which migration operations the verdict knows, and how each is judged.

An operation is looked up by its class (``module.Class``, as Django loaded it), then by
its base classes in order. What a lookup returns (``Rule.how``):

- ``"sql"``: judged by what it does: the change it makes to Django's model state
  (``semver.state_rules``) and the SQL it runs (``semver.sql_rules``). Every schema
  operation of ``django.db.migrations.operations`` and of
  ``django.contrib.postgres.operations`` is known this way.
- ``"run-python"``, ``"run-sql"``, ``"separate"``: Django's special operations, with
  their own rules on top (reversibility, the operations they contain).
- ``"concurrent"``: contrib.postgres' concurrent index operations: judged by SQL, and
  they must sit in a migration with ``atomic = False`` (else ``migrate`` fails).
- a bump level: a third-party operation declared in ``[tool.monorel.migration-operations]``;
  it stands for what the operation does (its SQL is still shown). Lowering below what
  its SQL shows needs the entry's ``reason``.

Anything else is unknown: its migration is unclassified until it is declared.

``[tool.monorel.migration-operations]`` of the root pyproject.toml maps a dotted class
path to ``"sql"`` (judge it like a built-in: its effect is all in its state and SQL), a
level (``"none"``, ``"patch"``, ``"minor"``, ``"major"``), or a table
``{bump = LEVEL | "sql", reason = "...", note = "..."}``; ``note`` becomes an operator
note wherever the operation is used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from monorel.bumps import BUMPS
from monorel.errors import ConfigError

CONFIG_KEY = "migration-operations"
_DOTTED = re.compile(r"^\w+(\.\w+)+$")  # module names may start with digits: 0003_x

_DJANGO = "django.db.migrations.operations"
_POSTGRES = "django.contrib.postgres.operations"
_BUILTIN: dict[str, str] = {
    **{
        f"{_DJANGO}.models.{name}": "sql"
        for name in (
            "CreateModel",
            "DeleteModel",
            "RenameModel",
            "AlterModelTable",
            "AlterModelTableComment",
            "AlterUniqueTogether",
            "AlterIndexTogether",
            "AlterOrderWithRespectTo",
            "AlterModelOptions",
            "AlterModelManagers",
            "AddIndex",
            "RemoveIndex",
            "RenameIndex",
            "AddConstraint",
            "RemoveConstraint",
            "AlterConstraint",
        )
    },
    **{
        f"{_DJANGO}.fields.{name}": "sql"
        for name in ("AddField", "RemoveField", "AlterField", "RenameField")
    },
    f"{_DJANGO}.special.RunPython": "run-python",
    f"{_DJANGO}.special.RunSQL": "run-sql",
    f"{_DJANGO}.special.SeparateDatabaseAndState": "separate",
    **{
        f"{_POSTGRES}.{name}": "sql"
        for name in (
            "CreateExtension",
            "BloomExtension",
            "BtreeGinExtension",
            "BtreeGistExtension",
            "CITextExtension",
            "CryptoExtension",
            "HStoreExtension",
            "TrigramExtension",
            "UnaccentExtension",
            "CreateCollation",
            "RemoveCollation",
            "AddConstraintNotValid",
            "ValidateConstraint",
        )
    },
    f"{_POSTGRES}.AddIndexConcurrently": "concurrent",
    f"{_POSTGRES}.RemoveIndexConcurrently": "concurrent",
}


@dataclass(frozen=True)
class Rule:
    how: str  # "sql", "run-python", "run-sql", "separate", "concurrent" or a bump level
    source: str  # "django" or "[tool.monorel.migration-operations]"
    reason: str = ""
    note: str = ""

    @property
    def declared(self) -> bool:
        return self.how in BUMPS


@dataclass(frozen=True)
class OperationTable:
    configured: Mapping[str, Rule]

    def lookup(self, class_path: str, bases: tuple[str, ...] = ()) -> Rule | None:
        """The rule for an operation of class ``class_path``; None where it is unknown.

        The configuration is asked first (it may override a built-in), class then bases;
        built-ins match the class itself only: a subclass of AddField may do anything.
        """
        for path in (class_path, *bases):
            if path in self.configured:
                return self.configured[path]
        how = _BUILTIN.get(class_path)
        return Rule(how, "django") if how else None


def from_config(raw: Mapping[str, object]) -> OperationTable:
    """Validate ``[tool.monorel.migration-operations]``; ``ConfigError`` names each mistake."""
    where = f"[tool.monorel.{CONFIG_KEY}]"
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"{where} must be a table of operation classes",
            fix=f'write e.g. {where}\n  "pgtrigger.migrations.AddTrigger" = "sql"',
        )
    levels = " | ".join(f'"{b}"' for b in (*BUMPS, "sql"))
    rules: dict[str, Rule] = {}
    problems: list[str] = []
    for key, value in raw.items():
        if not _DOTTED.match(str(key)):
            problems.append(f"{key!r} is not a dotted class path (module.Class)")
            continue
        if isinstance(value, str):
            value = {"bump": value}
        if not isinstance(value, Mapping):
            problems.append(f"{key}: {value!r} is neither a level nor a table")
            continue
        extra = set(value) - {"bump", "reason", "note"}
        if extra:
            problems.append(
                f"{key}: unknown keys {', '.join(sorted(extra))} (use bump, reason, note)"
            )
            continue
        bump = value.get("bump")
        if bump not in (*BUMPS, "sql"):
            problems.append(f"{key}: bump = {bump!r} is not one of {levels}")
            continue
        texts = {k: value.get(k, "") for k in ("reason", "note")}
        bad = [k for k, v in texts.items() if not isinstance(v, str)]
        if bad:
            problems.append(f"{key}: {', '.join(bad)} must be text")
            continue
        rules[str(key)] = Rule(
            str(bump), where, reason=texts["reason"].strip(), note=texts["note"].strip()
        )
    if problems:
        raise ConfigError(
            f"{where} is not valid:\n  - " + "\n  - ".join(problems),
            fix=f"map each operation class to {levels}, or to a table "
            '{bump = LEVEL, reason = "why", note = "what operators must know"}',
        )
    return OperationTable(rules)
