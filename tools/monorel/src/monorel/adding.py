"""Writing a changelog fragment: the name towncrier and monorel expect, the text, checked.

``write(member, type, text, issue=None)`` writes ``changelog.d/+<slug>.<type>.md`` (or
``<issue>.<type>.md``), the slug made from the text, a counter added where the name is
taken, and reads the directory back through ``fragments.scan``, the one place fragment
types are validated, so a fragment ``monorel add`` writes is one ``check`` and
``version`` accept. ``changed_first`` orders members for the interactive picker.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from monorel import bumps, fragments
from monorel.adapters import git
from monorel.errors import FragmentError, UsageError
from monorel.workspace import Member, Workspace

_WORD = re.compile(r"[a-z0-9]+")


def fragment_types(member: Member) -> tuple[str, ...]:
    """The types a fragment of ``member`` may have: towncrier's, then ``skip``."""
    known = fragments.types(member)
    return known if fragments.SKIP in known else (*known, fragments.SKIP)


def describe(member: Member, fragment_type: str) -> str:
    """``feature: minor`` (``-> patch before 1.0``): what the type does to the version."""
    level = bumps.FRAGMENT_BUMPS.get(fragment_type)
    if level is None:
        return f"{fragment_type}: no bump level"
    if level == "none":
        return f"{fragment_type}: releases nothing"
    effective = bumps.effective(member.version, level)
    after = f" (a {effective} before 1.0)" if effective != level else ""
    return f"{fragment_type}: {level}{after} -> {bumps.next_version(member.version, level)}"


def takes_fragments(member: Member) -> bool:
    return member.released or member.changelog_dir.is_dir() or bool(member.towncrier)


def write(member: Member, fragment_type: str, text: str, issue: str | None = None) -> Path:
    """Write the fragment; ``UsageError`` for an unknown type or empty text."""
    types = fragment_types(member)
    if fragment_type not in types:
        raise UsageError(
            f"{member.name} has no fragment type {fragment_type!r}",
            fix=f"use one of: {', '.join(types)}",
        )
    body = text.strip()
    if not body:
        raise UsageError("the fragment text is empty", fix="say what changed, as users read it")
    if issue is not None and not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]*", issue):
        raise UsageError(f"--issue {issue!r} is not an issue name", fix="pass e.g. --issue 123")
    stem = issue if issue is not None else "+" + _slug(body)
    directory = member.changelog_dir
    path = directory / f"{stem}.{fragment_type}.md"
    counter = 0
    while path.exists():
        counter += 1
        path = directory / f"{stem}.{fragment_type}.{counter}.md"
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".monorel-add-", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(body + "\n")
    os.replace(tmp, path)
    scanned = fragments.scan(member)
    bad = next((f for f in scanned.invalid if f.path == path), None)
    if bad is not None or all(f.path != path for f in scanned.fragments):
        path.unlink()
        problem = bad.problem if bad else "not read back as a fragment"
        raise FragmentError(f"{path.name}: {problem}; nothing written", fix=bad.fix if bad else "")
    return path


def changed_first(ws: Workspace) -> list[tuple[Member, bool]]:
    """Members that take fragments, each with whether it changed since its release point;
    changed ones first, then in dependency order."""
    members = [m for m in ws.topological_order() if takes_fragments(m)]
    in_git = git.is_repository(ws.root) and git.ref_exists(ws.root, "HEAD")
    changed_files = git.ChangedFiles(ws.root) if in_git else None
    marked = []
    for member in members:
        point = ws.release_index.last_release(member) if in_git else None
        changed = False
        if changed_files is not None and point is not None:
            fragment_dir = member.changelog_dir.relative_to(ws.root).as_posix() + "/"
            prefix = member.relpath(ws.root) + "/"
            changed = any(
                not p.startswith(fragment_dir) and not member.ignores(p.removeprefix(prefix))
                for p in changed_files.changed_files(point.commit, member.relpath(ws.root))
            )
        marked.append((member, changed))
    return sorted(marked, key=lambda item: not item[1])


def _slug(text: str) -> str:
    words = _WORD.findall(text.lower())[:6]
    slug = "-".join(words)[:48].strip("-")
    return slug or "change"
