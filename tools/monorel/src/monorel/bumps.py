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
- Pre-releases (PEP 440): ``a`` < ``b`` < ``rc`` < the final, numbered from 1
  (``1.5.0a1`` < ``1.5.0b1`` < ``1.5.0rc1`` < ``1.5.0rc2`` < ``1.5.0``). A pre-release
  belongs to the series of its final version, and the series' level is where that final
  moves from the release before it: ``X.0.0`` major, ``X.Y.0`` minor, ``X.Y.Z`` patch.
  From a pre-release, a bump the series already covers stays in it (``1.5.0rc1`` plus a
  feature: ``1.5.0``, or ``1.5.0rc2`` as a pre-release), a bigger one starts the bigger
  series (plus a breaking change: ``2.0.0`` / ``2.0.0rc1``). A series never goes back to
  an earlier kind (``rc`` is not followed by ``b``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from packaging.version import InvalidVersion, Version

from monorel.errors import PreReleaseRefused

Bump = Literal["none", "patch", "minor", "major"]
BUMPS: tuple[Bump, ...] = ("none", "patch", "minor", "major")  # weakest first
PreKind = Literal["a", "b", "rc"]
PRE_KINDS: tuple[PreKind, ...] = ("a", "b", "rc")  # PEP 440 order: alpha, beta, candidate

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


def next_version(version: str, bump: Bump, pre: PreKind | None = None) -> str:
    """``version`` moved by ``bump`` after the 0.x rule; ``none`` leaves it as it is.

    ``pre``: the next pre-release of that kind instead of the final. From a pre-release,
    see the module docstring; ``PreReleaseRefused`` where ``pre`` would go back to an
    earlier kind within the same series.
    """
    current = Version(version)
    if current.pre is None:
        level = effective(version, bump)
        target = version if level == "none" else _moved(current, level)
        if pre is None:
            return target
        if target == version:
            raise PreReleaseRefused(
                f"{version} with nothing to release cannot become a pre-release",
                fix="add a fragment first",
            )
        return f"{target}{pre}1"
    base = current.base_version
    level = effective(base, bump)
    target = base if rank(level) <= rank(series_level(base)) else _moved(Version(base), level)
    if pre is None:
        return target
    if target != base:
        return f"{target}{pre}1"  # a bigger series starts
    kind, number = current.pre
    if PRE_KINDS.index(pre) < PRE_KINDS.index(kind):
        raise PreReleaseRefused(
            f"{version} cannot be followed by a {pre!r} pre-release: "
            + " < ".join(PRE_KINDS)
            + " < the final",
            fix=f"release {base}{kind}{number + 1} (--pre {kind}), a later kind, or the final",
        )
    return f"{base}{pre}{number + 1 if pre == kind else 1}"


def is_prerelease(version: str) -> bool:
    """Whether ``version`` is an a/b/rc pre-release (dev versions are not made here)."""
    try:
        return Version(version).pre is not None
    except InvalidVersion:
        return False


def series_level(version: str) -> Bump:
    """The level at which the final ``version`` moved from the release before it (in
    version terms, so before 1.0 ``0.5.0`` is a minor series): ``X.0.0`` major, ``X.Y.0``
    minor, else patch."""
    major, minor, patch = (Version(version).release + (0, 0, 0))[:3]
    if patch:
        return "patch"
    return "minor" if minor or major == 0 else "major"


def _moved(version: Version, level: Bump) -> str:
    major, minor, patch = (version.release + (0, 0, 0))[:3]
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"
