"""What the fragments of a leg declare: the data its migrations rewrite or drop, and
whether the release is a major one.

A ``migration`` or ``breaking`` fragment (``bumps.OPERATOR_FRAGMENTS``) names the tables
and columns whose data a migration changes on lines of their own, database names as the
tables have them:

    Rewrites: billing_app_invoice.status, billing_app_payment
    Drops: billing_app_invoice.legacy_ref

``Rewrites:`` lets the values of those columns change (``table`` alone: every column of
it), e.g. a backfill that recomputes them. ``Drops:`` lets those columns, or whole
tables, go with their data. Nothing lets rows disappear. Both lines are read from the
member's pending fragments and from the sections of its changelog for the versions the
leg crosses (after the old version, up to the current one), under the headings of those
two fragment types: towncrier keeps the lines when it builds the changelog, and a
trailing issue link ``(#12)`` is ignored.

A leg is *major* when the fragments or the versions it crosses say so: a pending
fragment whose type bumps the major (``bumps.FRAGMENT_BUMPS``), or an old version with
another major number (before 1.0, another minor: ``bumps``' 0.x rule).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from packaging.version import InvalidVersion, Version

from monorel import bumps, fragments
from monorel.release_points import heading_version
from monorel.workspace import Member

_LINE = re.compile(r"^\s*(?:[-*]\s+)?(rewrites|drops)\s*:\s*(.+)$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?$")
_HEADING = re.compile(r"^(#+)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Declared:
    rewrites: frozenset[str] = frozenset()  # "table" or "table.column"
    drops: frozenset[str] = frozenset()
    major: bool = False
    # where each name was declared, for the report
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    def rewrites_column(self, table: str, column: str) -> bool:
        return table in self.rewrites or f"{table}.{column}" in self.rewrites

    def drops_column(self, table: str, column: str) -> bool:
        return table in self.drops or f"{table}.{column}" in self.drops

    def drops_table(self, table: str) -> bool:
        return table in self.drops


def for_leg(member: Member, from_version: str) -> Declared:
    """The declarations that cover upgrading ``member`` from ``from_version`` to its tree."""
    found: dict[str, set[str]] = {"rewrites": set(), "drops": set()}
    sources: dict[str, str] = {}
    pending = fragments.scan(member).fragments
    for fragment in pending:
        if fragment.type in bumps.OPERATOR_FRAGMENTS:
            _collect(fragment.text, found, sources, fragment.path.name)
    for version, text in _sections_after(member, from_version):
        _collect(text, found, sources, f"{member.changelog_file.name} {version}")
    major = bumps.strongest(bumps.FRAGMENT_BUMPS.get(f.type, "none") for f in pending) == "major"
    return Declared(
        frozenset(found["rewrites"]),
        frozenset(found["drops"]),
        major or _crosses_major(from_version, member.version),
        sources,
    )


def _collect(text: str, found: dict[str, set[str]], sources: dict[str, str], where: str) -> None:
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        names = re.sub(r"\(#[^)]*\)\s*$", "", match.group(2))
        for raw in re.split(r"[,\s]+", names):
            name = raw.strip("`'\".;")
            if _NAME.match(name):
                found[match.group(1).lower()].add(name)
                sources.setdefault(name, where)


def _sections_after(member: Member, from_version: str) -> list[tuple[str, str]]:
    """(version, text under the operator-type headings) of each changelog section for a
    version after ``from_version`` and up to the member's current one."""
    try:
        lines = member.changelog_file.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    operator_names = _operator_headings(member)
    low, high = _version(from_version), _version(member.version)
    sections: list[tuple[str, str]] = []
    version: str | None = None
    level = 0
    kept: list[str] = []
    inside = False
    for line in [*lines, "# end"]:
        heading = _HEADING.match(line)
        if heading and (found := heading_version(heading.group(2))) is not None:
            if version is not None:
                sections.append((version, "\n".join(kept)))
            version, level, kept, inside = found, len(heading.group(1)), [], False
            continue
        if heading and version is not None and len(heading.group(1)) <= level:
            sections.append((version, "\n".join(kept)))
            version, kept = None, []
            continue
        if heading and version is not None:
            inside = heading.group(2).strip().lower() in operator_names
            continue
        if version is not None and inside:
            kept.append(line)
    return [
        (v, text)
        for v, text in sections
        if low is not None and high is not None and low < (_version(v) or low) <= high
    ]


def _operator_headings(member: Member) -> set[str]:
    config = member.towncrier
    names: set[str] = set()
    for entry in config.get("type", []):
        if entry.get("directory") in bumps.OPERATOR_FRAGMENTS:
            names.add(str(entry.get("name", entry["directory"])).strip().lower())
    for key, entry in config.get("fragment", {}).items():
        if key in bumps.OPERATOR_FRAGMENTS:
            names.add(str(entry.get("name", key.title())).strip().lower())
    return names or {t for t in bumps.OPERATOR_FRAGMENTS}


def _version(raw: str) -> Version | None:
    try:
        return Version(raw)
    except InvalidVersion:
        return None


def _crosses_major(old: str, new: str) -> bool:
    before, after = _version(old), _version(new)
    if before is None or after is None:
        return False
    if before.major != after.major:
        return True
    return bumps.is_pre_1_0(old) and before.minor != after.minor  # the 0.x rule
