"""``monorel semver``: the bump a member's changes require since its last release.

``required_bump(ws, member, since=None) -> Verdict`` is the entry point; see its
docstring for the contract that ``monorel plan`` relies on.

The names load on first use (PEP 562): ``monorel.versioning`` imports
``monorel.semver.operator_notes`` at start-up, and every command would otherwise pay for
griffe and pglast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monorel.semver.evidence import Bump, Evidence, bump_rank
    from monorel.semver.verdict import Verdict, required_bump

__all__ = ["Bump", "Evidence", "Verdict", "bump_rank", "required_bump"]

_HOMES = {
    "Bump": "monorel.semver.evidence",
    "Evidence": "monorel.semver.evidence",
    "bump_rank": "monorel.semver.evidence",
    "Verdict": "monorel.semver.verdict",
    "required_bump": "monorel.semver.verdict",
}


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module 'monorel.semver' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
