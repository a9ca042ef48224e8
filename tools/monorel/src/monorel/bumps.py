"""Release knowledge, defined once: bump levels, what each fragment type asks for, the 0.x
rule and how a version moves.

``plan``, ``semver``, ``version`` and ``check`` all ask this module; none of them writes
its own table or its own comparison.

- Levels, weakest first: ``none`` < ``patch`` < ``minor`` < ``major``.
- Fragment types: ``breaking``/``removal`` -> major; ``feature``/``migration`` -> minor;
  ``bugfix``/``doc``/``misc`` -> patch; ``skip`` -> none (a change that releases nothing).
- The 0.x rule: before 1.0 a version moves one place less. A major (breaking) change
  bumps the minor, a minor or patch one bumps the patch: 0.4.2 -> 0.5.0 / 0.4.3. The
  verdict of ``monorel semver`` and the version of ``monorel plan`` both go through
  ``effective``, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from packaging.version import InvalidVersion, Version

Bump = Literal["none", "patch", "minor", "major"]
BUMPS: tuple[Bump, ...] = ("none", "patch", "minor", "major")  # weakest first

FRAGMENT_BUMPS: dict[str, Bump] = {
    "breaking": "major",
    "removal": "major",  # towncrier's default type for removed API
    "feature": "minor",
    "migration": "minor",
    "bugfix": "patch",
    "doc": "patch",
    "misc": "patch",
    "skip": "none",  # recorded in the changelog of nothing: a change that releases nothing
}

# Fragment types that can carry an operator instruction for a migration.
OPERATOR_FRAGMENTS: tuple[str, ...] = ("breaking", "migration")


def rank(bump: Bump) -> int:
    """0 for none .. 3 for major: compare bumps with this."""
    return BUMPS.index(bump)


def strongest(bumps: Iterable[Bump]) -> Bump:
    """The strongest of ``bumps``; "none" for none at all."""
    return max(bumps, key=rank, default="none")


def for_fragment_types(types: Iterable[str]) -> Bump:
    """The level a set of fragment types declares (before the 0.x rule).

    Raises ``KeyError`` for a type with no level: callers validate fragment types first
    (``planning.pending_fragments`` names every unknown one).
    """
    return strongest(FRAGMENT_BUMPS[t] for t in types)


def is_pre_1_0(version: str | None) -> bool:
    """Whether ``version`` is a 0.x version (None or an invalid version: no)."""
    if version is None:
        return False
    try:
        return Version(version).major == 0
    except InvalidVersion:
        return False


def effective(version: str | None, bump: Bump) -> Bump:
    """``bump`` after the 0.x rule, judged by ``version`` (the version being moved)."""
    if not is_pre_1_0(version):
        return bump
    return {"major": "minor", "minor": "patch"}.get(bump, bump)  # type: ignore[return-value]


def next_version(version: str, bump: Bump) -> str:
    """``version`` moved by ``bump`` after the 0.x rule; ``none`` leaves it as it is."""
    level = effective(version, bump)
    if level == "none":
        return version
    major, minor, patch = (Version(version).release + (0, 0, 0))[:3]
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"
