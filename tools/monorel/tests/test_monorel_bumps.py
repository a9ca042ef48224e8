"""monorel.bumps: the one definition of bump levels, fragment types and the 0.x rule."""

from __future__ import annotations

import pytest
from monorel import bumps


@pytest.mark.parametrize(
    ("version", "bump", "expected"),
    [
        ("1.4.2", "major", "2.0.0"),
        ("1.4.2", "minor", "1.5.0"),
        ("1.4.2", "patch", "1.4.3"),
        ("1.4.2", "none", "1.4.2"),
        ("0.4.2", "major", "0.5.0"),
        ("0.4.2", "minor", "0.4.3"),
        ("0.4.2", "patch", "0.4.3"),
        ("2.0", "patch", "2.0.1"),
    ],
)
def test_next_version(version: str, bump: bumps.Bump, expected: str) -> None:
    assert bumps.next_version(version, bump) == expected


@pytest.mark.parametrize(
    ("version", "bump", "expected"),
    [
        ("1.0.0", "major", "major"),
        ("1.0.0", "minor", "minor"),
        ("0.4.2", "major", "minor"),
        ("0.4.2", "minor", "patch"),
        ("0.4.2", "patch", "patch"),
        ("0.4.2", "none", "none"),
        (None, "major", "major"),
        ("not-a-version", "major", "major"),
    ],
)
def test_effective_applies_the_0x_rule(
    version: str | None, bump: bumps.Bump, expected: bumps.Bump
) -> None:
    assert bumps.effective(version, bump) == expected


def test_fragment_types_declare_their_levels() -> None:
    assert bumps.for_fragment_types(["bugfix", "feature"]) == "minor"
    assert bumps.for_fragment_types(["doc", "breaking", "misc"]) == "major"
    assert bumps.for_fragment_types(["skip"]) == "none"
    assert bumps.for_fragment_types([]) == "none"


def test_every_level_ranks_above_the_one_before() -> None:
    assert [bumps.rank(b) for b in bumps.BUMPS] == [0, 1, 2, 3]
    assert bumps.strongest(["patch", "major", "minor"]) == "major"
