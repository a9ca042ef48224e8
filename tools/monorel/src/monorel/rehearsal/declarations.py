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

from monorel import bumps, changelog, fragments
from monorel.workspace import Member

_LINE = re.compile(r"^\s*(?:[-*]\s+)?(rewrites|drops)\s*:\s*(.+)$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?$")


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
        text = member.changelog_file.read_text(encoding="utf-8")
    except OSError:
        return []
    lines = text.splitlines()
    heads = changelog.headings(text)
    operator_names = _operator_headings(member)
    low, high = _version(from_version), _version(member.version)
    found: list[tuple[str, str]] = []
    for index, (title, level, _start, _end) in enumerate(heads):
        version = changelog.heading_version(title)
        parsed = _version(version) if version else None
        if parsed is None or low is None or high is None or not low < parsed <= high:
            continue
        inside = heads[index + 1 :]
        stop = next((h[2] for h in inside if h[1] <= level), len(lines))
        kept: list[str] = []
        subsections = [h for h in inside if h[2] < stop]
        for number, (sub, sub_level, _sub_start, sub_end) in enumerate(subsections):
            if _title(sub) not in operator_names:
                continue
            after = subsections[number + 1 :]
            sub_stop = next((h[2] for h in after if h[1] <= sub_level), stop)
            kept += lines[sub_end + 1 : sub_stop]
        found.append((str(version), "\n".join(kept)))
    return found


def _title(heading: str) -> str:
    return heading.strip().lstrip("#").strip().lower()


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
