"""``monorel semver``: the bump a member's changes require since its last release.

``required_bump(ws, member, since=None) -> Verdict`` is the entry point; see its
docstring for the contract that ``monorel plan`` relies on.
"""

from __future__ import annotations

from monorel.semver.evidence import Bump, Evidence, bump_rank
from monorel.semver.verdict import Verdict, required_bump

__all__ = ["Bump", "Evidence", "Verdict", "bump_rank", "required_bump"]
