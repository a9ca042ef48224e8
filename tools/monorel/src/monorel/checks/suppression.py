"""Per-finding suppression in the code: ``# monorel: ignore[MR-IMPORT] <reason>``.

The comment goes on the finding's line, or alone on the line above it, and names one or
more rule ids or names (``ignore[MR-IMPORT, django-refs]``). The reason is required: a
suppression without one suppresses nothing and is a finding itself (``MR-IGNORE``), so
every exception to a boundary says why it is there. Findings without a line (a
directory, a whole file) cannot be suppressed in code: the baseline is for those.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from monorel.checks.findings import Finding

RULE = "MR-IGNORE"
_COMMENT = re.compile(r"#\s*monorel:\s*ignore\[(?P<rules>[^\]]*)\](?P<reason>[^#]*)")


@dataclass(frozen=True)
class Applied:
    kept: tuple[Finding, ...]
    suppressed: tuple[tuple[Finding, str], ...]  # with the reason given
    problems: tuple[Finding, ...]  # suppressions without a reason


def apply(findings: Sequence[Finding], root: Path, names: Mapping[str, str]) -> Applied:
    """Split ``findings`` by the suppression comments at their lines. ``names`` maps each
    rule's name (``imports``) to its id (``MR-IMPORT``), so either spelling works."""
    lines: dict[str, list[str] | None] = {}
    kept: list[Finding] = []
    suppressed: list[tuple[Finding, str]] = []
    problems: dict[tuple[str, int], Finding] = {}
    for finding in findings:
        comment = _comment(finding, root, lines)
        if comment is None:
            kept.append(finding)
            continue
        line, rules, reason = comment
        ids = {names.get(r.lower(), r.upper()) for r in rules}
        if finding.rule not in ids:
            kept.append(finding)
            continue
        if not reason:
            kept.append(finding)
            problems[(finding.path, line)] = Finding(
                path=finding.path,
                line=line,
                rule=RULE,
                message=f"suppression of {finding.rule} without a reason: it suppresses nothing",
                fix=f"say why after it: # monorel: ignore[{finding.rule}] <reason>",
            )
            continue
        suppressed.append((finding, reason))
    return Applied(tuple(kept), tuple(suppressed), tuple(problems.values()))


def _comment(
    finding: Finding, root: Path, cache: dict[str, list[str] | None]
) -> tuple[int, list[str], str] | None:
    """(line, rules, reason) of the suppression on the finding's line or alone above it."""
    if finding.line is None:
        return None
    if finding.path not in cache:
        try:
            cache[finding.path] = (root / finding.path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            cache[finding.path] = None
    text = cache[finding.path]
    if not text or not 1 <= finding.line <= len(text):
        return None
    candidates = [(finding.line, text[finding.line - 1])]
    if finding.line > 1 and text[finding.line - 2].lstrip().startswith("#"):
        candidates.append((finding.line - 1, text[finding.line - 2]))
    for number, line in candidates:
        match = _COMMENT.search(line)
        if match:
            rules = [r.strip() for r in match["rules"].split(",") if r.strip()]
            return number, rules, match["reason"].strip(" :-\t")
    return None
