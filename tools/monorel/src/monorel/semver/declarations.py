"""Declarations next to the migration: ``# monorel: LEVEL -- reason``.

A comment line in a migration file states the bump of that one migration::

    # monorel: minor -- the table holds at most a few hundred rows: the index build is instant
    # monorel: major -- 2.0 stops writing legacy_code; run `manage.py purge_legacy` first

``LEVEL`` is ``none``, ``patch``, ``minor`` or ``major``; the reason follows ``--``.
Like squawk's ``-- squawk-ignore`` comments or django-migration-linter's
``IgnoreMigration``, it is read from the file itself (statically, so it works even where
the migration cannot be imported), and it is shown: ``monorel plan`` prints it and
``monorel version`` writes it into the changelog's operator notes.

- Raising is free: the migration requires at least ``LEVEL``.
- Lowering (``LEVEL`` below what the SQL and state show) needs the reason; so does
  declaring a migration whose operations could not all be judged (unclassified), since
  the declaration then stands for what monorel could not see.
- One declaration per migration; a ``# monorel:`` comment that does not parse is an
  error (``MigrationDeclarationError``, MR033), never ignored.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from monorel.bumps import BUMPS, Bump
from monorel.errors import MigrationDeclarationError

__all__ = ["Declaration", "find"]

_PREFIX = re.compile(r"^#\s*monorel\s*:", re.IGNORECASE)
_MENTIONS = re.compile("monorel", re.IGNORECASE)  # what every _PREFIX match contains
_FORM = re.compile(r"^#\s*monorel\s*:\s*(?P<bump>[a-z]+)\s*(?:--\s*(?P<reason>.*?))?\s*$")
_EXAMPLE = "# monorel: minor -- why this migration needs no more than a minor"


@dataclass(frozen=True)
class Declaration:
    bump: Bump
    reason: str  # "" when none was given
    line: int


def find(text: str, rel: str) -> Declaration | None:
    """The declaration in migration source ``text`` (``rel`` names it in errors)."""
    found: list[Declaration] = []
    if not _MENTIONS.search(text):
        return None  # no comment can be one (tokenizing every migration costs more)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return None  # the migration does not parse: reported as unclassified elsewhere
    for token in tokens:
        if token.type != tokenize.COMMENT or not _PREFIX.match(token.string):
            continue
        line = token.start[0]
        match = _FORM.match(token.string)
        if match is None or match["bump"] not in BUMPS:
            raise MigrationDeclarationError(
                f"{rel}:{line}: {token.string.strip()!r} is not a declaration monorel reads",
                fix=f"write it as `{_EXAMPLE}` (levels: {', '.join(BUMPS)}), or remove it",
            )
        found.append(Declaration(match["bump"], (match["reason"] or "").strip(), line))
    if len(found) > 1:
        lines = ", ".join(str(d.line) for d in found)
        raise MigrationDeclarationError(
            f"{rel} declares its bump more than once (lines {lines})",
            fix="keep one `# monorel: LEVEL -- reason` line per migration",
        )
    return found[0] if found else None
