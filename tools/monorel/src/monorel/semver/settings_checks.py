"""New required host settings: system check error ids that did not exist at the release.

Packages validate their configuration with system checks (DESIGN.md convention 5):
``Error("...", id="billing_app.E003")``. An error id that is new since the release
point means a host that upgrades fails ``manage.py check`` until it configures
something: a new required setting, so a major (and a ``breaking`` fragment).

Read with ``ast`` (never imported) from every module of the package outside its
migrations (checks live in ``checks.py`` by convention, some in ``apps.py``). Counted:
calls named ``Error`` or ``Critical`` (``checks.Error``, ``Error``) whose ``id=`` is a
string literal. Warnings do not block a deploy and are not counted; ids built at
runtime (f-strings, constants) cannot be seen statically and are not counted.
"""

from __future__ import annotations

import ast
import bisect
import collections
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from monorel import sources
from monorel.errors import SourceParseError
from monorel.semver.evidence import Evidence

_BLOCKING = {"Error", "Critical"}
# a call of Error or Critical names it as a whole word: a file whose text has neither
# holds none, and is not parsed (parsing and walking every module of a large package cost
# seconds); Python reads identifiers NFKC-normalised, so non-ASCII text is searched so too
_MAY_CALL = re.compile(r"\b(?:Error|Critical)\b")


def new_required_settings(old_dir: Path | None, new_dir: Path, rel_prefix: str) -> list[Evidence]:
    """Evidence for each check error id in ``new_dir`` (the package in the working tree)
    that ``old_dir`` (the package at the release point, or None) did not have."""
    old_ids = set(_error_ids(old_dir, rel_prefix, "at the release point")) if old_dir else set()
    found = []
    for check_id, (rel, line) in sorted(
        _error_ids(new_dir, rel_prefix, "in the working tree").items()
    ):
        if check_id in old_ids:
            continue
        found.append(
            Evidence(
                kind="settings.new-check-error",
                path=f"{rel_prefix}/{rel}",
                line=line,
                obj=check_id,
                description=f"adds system check error {check_id} (a new required setting)",
                bump="major",
                fragment_types=("breaking",),
            )
        )
    return found


def _error_ids(package_dir: Path, rel_prefix: str, where: str) -> dict[str, tuple[str, int]]:
    """check id -> (file relative to the package directory, line) of its first use."""
    ids: dict[str, tuple[str, int]] = {}
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir).as_posix()
        if "migrations" in path.relative_to(package_dir).parts:
            continue
        try:
            source = sources.read(path)
            text = source if source.isascii() else unicodedata.normalize("NFKC", source)
            lines = _lines_of(text, [m.start() for m in _MAY_CALL.finditer(text)])
            if not lines:
                continue
            tree = sources.parse_text(source, rel)
        except SyntaxError as exc:
            raise SourceParseError(
                f"{rel_prefix}/{rel} does not parse {where}: line {exc.lineno}: {exc.msg}",
                fix="fix the syntax error",
            ) from exc
        # normalising may change where lines end: then every node is looked at
        for node in _nodes_on(tree, lines if text is source else None):
            check_id = _error_id(node)
            if check_id and check_id not in ids:
                ids[check_id] = (rel, node.lineno)  # type: ignore[attr-defined]
    return ids


def _lines_of(text: str, offsets: list[int]) -> list[int]:
    """The line numbers of ``offsets`` (ascending) in ``text``, counted in one pass: a
    count from the start for each match was quadratic (a second on wagtail's modules)."""
    lines: list[int] = []
    line, at = 1, 0
    for offset in offsets:
        line += text.count("\n", at, offset)
        at = offset
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def _nodes_on(tree: ast.AST, lines: list[int] | None) -> Iterator[ast.AST]:
    """The nodes of ``tree`` whose lines hold one of ``lines`` (all of them for None), in
    ``ast.walk``'s order: a call spans the line of the name it calls, and so does every
    node around it."""
    pending = collections.deque([tree])
    while pending:
        node = pending.popleft()
        start = getattr(node, "lineno", None)
        if lines is not None and start is not None:
            end = getattr(node, "end_lineno", None) or start
            at = bisect.bisect_left(lines, start)
            if at == len(lines) or lines[at] > end:
                continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def _error_id(node: ast.AST) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in _BLOCKING:
        return None
    for kw in node.keywords:
        if (
            kw.arg == "id"
            and isinstance(kw.value, ast.Constant)
            and isinstance(kw.value.value, str)
        ):
            return kw.value.value
    return None
