"""Bump levels and the evidence items that ask for them.

Every analyser (public API, migrations, host settings) returns ``Evidence``;
``monorel.semver.verdict`` combines the items into a ``Verdict``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from monorel.bumps import OPERATOR_FRAGMENTS, Bump, rank, strongest

# re-exported for the analysers; the definitions live in monorel.bumps
bump_rank = rank
__all__ = [
    "OPERATOR_FRAGMENTS",
    "Bump",
    "Evidence",
    "OperatorNote",
    "Unclassified",
    "bump_rank",
    "strongest",
]


@dataclass(frozen=True)
class Evidence:
    """One reason for a bump, with where it is.

    ``kind`` is a stable id (``api.object-removed``, ``migration.remove-field``,
    ``settings.new-check-error``, ``code.changed``); ``path`` is repository-relative
    (posix) and ``line`` is 1-based in the working tree, or None where the thing no
    longer exists there. ``bump`` is what this item requires on its own, before the
    0.x rule. ``fragment_types``: when not empty, at least one fragment of one of these
    types must describe the item (e.g. what operators must do for a migration).
    """

    kind: str
    path: str
    line: int | None
    obj: str  # dotted public name, ``<model>.<field>`` of a migration, or a check id
    description: str  # e.g. "removes create_invoice"
    bump: Bump
    fragment_types: tuple[str, ...] = ()
    operation: str | None = None  # for a migration: the operation, e.g. "AddField invoice.memo"
    statement: str | None = None  # for a migration: the SQL statement that decided, if one did

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    @property
    def subject(self) -> str:
        """``api.py removes create_invoice``: the file's name and what changed."""
        return f"{PurePosixPath(self.path).name} {self.description}"

    @property
    def summary(self) -> str:
        """``api.py removes create_invoice: major``."""
        return f"{self.subject}: {self.bump}"

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "path": self.path,
            "line": self.line,
            "object": self.obj,
            "description": self.description,
            "bump": self.bump,
            "fragment_types": list(self.fragment_types),
            "summary": self.summary,
            "operation": self.operation,
            "statement": self.statement,
        }


@dataclass(frozen=True)
class _MigrationItem:
    """Where in a migration something was found: the file, line, module and operation."""

    path: str  # the migration file, repository-relative
    line: int | None
    obj: str  # dotted module of the migration
    operation: str | None

    @property
    def migration(self) -> str:
        return PurePosixPath(self.path).stem

    def _where(self) -> dict[str, object]:
        return {
            "migration": self.migration,
            "path": self.path,
            "line": self.line,
            "object": self.obj,
            "operation": self.operation,
        }


@dataclass(frozen=True)
class OperatorNote(_MigrationItem):
    """Something operators must know before running a migration (a table rewrite, a long
    lock, a data migration, a declared verdict): ``monorel version`` writes these into the
    changelog under "Migrations", and each needs a ``migration`` or ``breaking`` fragment."""

    statement: str | None
    note: str

    @property
    def text(self) -> str:
        """One changelog line: ``0004_x: builds index ... (`CREATE INDEX ...`)``."""
        return f"`{self.migration}`: {self.note}"

    def as_dict(self) -> dict[str, object]:
        return {**self._where(), "statement": self.statement, "note": self.note}


@dataclass(frozen=True)
class Unclassified(_MigrationItem):
    """A migration (or one of its operations) whose effect could not be judged, and why.

    A gate fails on every one of these until it is declared (a ``# monorel:`` line in
    the migration, or ``[tool.monorel.migration-operations]`` for an operation class).
    """

    reason: str

    @property
    def summary(self) -> str:
        what = f"{PurePosixPath(self.path).name}" + (f" {self.operation}" if self.operation else "")
        return f"{what}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        return {**self._where(), "reason": self.reason, "summary": self.summary}
