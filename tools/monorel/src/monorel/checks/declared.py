"""What a member's pyproject declares, where it says so, and what it should say instead."""

from __future__ import annotations

import re

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from monorel.workspace import Member

_STRING = re.compile(r"""(["'])(.*?)\1""")


def requirement_line(member: Member, dependency: str, exact: Requirement | None = None) -> int:
    """Line of ``dependency`` in the member's ``[project]`` dependencies or an extra's list
    (preferring the line that is ``exact``ly that requirement); else the line of ``[project]``.
    """
    wanted = canonicalize_name(dependency)
    lines = member.pyproject.read_text(encoding="utf-8").splitlines()
    table = ""
    in_dependencies = False
    project_line = 1
    by_name = 0  # the first line naming the dependency, when ``exact`` is not found
    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip()
        if line.startswith("["):
            table = line.strip("[] ")
            in_dependencies = False
            if table == "project":
                project_line = number
            continue
        if table == "project" and re.match(r"dependencies\s*=", line):
            in_dependencies = True
        elif table == "project.optional-dependencies" and re.match(r"[\w.\"'-]+\s*=", line):
            in_dependencies = True  # an extra's list: also shipped as Requires-Dist
        if not in_dependencies:
            continue
        for _, text in _STRING.findall(line):
            try:
                found = Requirement(text)
            except InvalidRequirement:
                continue
            if canonicalize_name(found.name) != wanted:
                continue
            if exact is None or found == exact:
                return number
            by_name = by_name or number
        if "]" in _STRING.sub("", line):  # the array closes (not "pkg[extra]")
            in_dependencies = False
    return by_name or project_line


def suggested_range(dependency: Member) -> str:
    """``name>=X.Y.Z,<next-major`` (before 1.0 the minor is the breaking position)."""
    version = Version(dependency.version)
    upper = f"{version.major + 1}" if version.major >= 1 else f"0.{version.minor + 1}"
    return f"{dependency.name}>={version.base_version},<{upper}"


def lower_bound(specifier: SpecifierSet) -> Version | None:
    """The smallest version the specifier's lower-bounding clauses start at (None: unbounded).

    ``>X`` counts as X: a range that must exclude everything below V is fine with ``>X``
    only when X >= V, which is the same comparison.
    """
    bounds: list[Version] = []
    for spec in specifier:
        if spec.operator in (">=", ">", "~=", "==", "==="):
            text = spec.version.removesuffix(".*")
            try:
                bounds.append(Version(text))
            except InvalidVersion:
                continue
    return max(bounds) if bounds else None
