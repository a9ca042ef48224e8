"""The operator notes of a release as changelog fragments, for ``monorel version``.

Each ``OperatorNote`` of a package's semver verdict (a table rewrite, a long lock, a data
migration, a declared verdict) becomes one towncrier fragment of type ``migration``,
``+monorel-operator-note-<n>.migration.md``, written before towncrier builds the
release's section: the notes appear under "Migrations" next to the fragments people
wrote (``monorel plan`` requires a ``migration`` or ``breaking`` fragment for each).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monorel.semver.verdict import Verdict

FRAGMENT_TYPE = "migration"
_PREFIX = "+monorel-operator-note-"
_STATEMENT_LIMIT = 200


def fragments(verdict: Verdict | None) -> dict[str, str]:
    """File name (in the package's changelog directory) -> text, one per operator note."""
    if verdict is None:
        return {}
    found = {}
    for number, note in enumerate(verdict.operator_notes, start=1):
        where = f"migration `{note.obj}`"
        if note.statement:
            statement = note.statement.rstrip(";")
            if len(statement) > _STATEMENT_LIMIT:
                statement = statement[: _STATEMENT_LIMIT - 3] + "..."
            where += f", `{statement}`"
        text = f"{note.note[:1].upper()}{note.note[1:]} ({where})."
        found[f"{_PREFIX}{number}.{FRAGMENT_TYPE}.md"] = text + "\n"
    return found
