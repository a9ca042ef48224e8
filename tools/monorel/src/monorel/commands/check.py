"""`monorel check`: the workspace's boundaries, derived from its packaging, Django-aware.

Rules (``monorel.checks``), each finding naming its rule id, file, line and fix:

  imports         MR-IMPORT          imports follow declared dependencies, public modules only
  django-refs     MR-DJREF           Django string references follow declared dependencies
  migrations      MR-MIGRATION       migrations owned, declared, bounded, acyclic across packages
  pins            MR-PIN             host pins == the current (or released) member versions
  metadata        MR-METADATA        released packages bound every workspace dependency
  makemigrations  MR-MAKEMIGRATIONS  no missing migrations under each member's settings
  fragments       MR-FRAGMENT        changed members carry a valid towncrier fragment

Exit status: 0 clean, 1 findings, 2 usage or configuration error, 3 a tool failed.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from types import ModuleType

from monorel.checks import RULES
from monorel.checks.context import CheckContext
from monorel.checks.findings import Finding, sort_key
from monorel.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from monorel.workspace import Workspace

HELP = "check boundaries: imports, Django references, migrations, pins, metadata, fragments"

_EPILOG = (
    "rules:\n"
    + "\n".join(f"  {rule.NAME:<15} {rule.RULE:<18} {rule.SUMMARY}" for rule in RULES)
    + """

metadata reads [project] dependencies from pyproject.toml, which hatchling writes verbatim
as Requires-Dist (no build); --build really builds each released wheel with
`uv build --wheel --no-sources` and reads its METADATA (slow).

exit status: 0 clean, 1 findings, 2 usage or configuration error, 3 a tool failed
"""
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument(
        "--rule",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this rule (name or id, repeatable; default: all)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="NAME",
        help="skip this rule (name or id, repeatable)",
    )
    parser.add_argument(
        "--since",
        metavar="REF",
        help="fragments: compare with the merge base of REF and HEAD instead of each "
        "member's last release point, and count only fragments added since "
        "(a pull-request check: --since origin/main)",
    )
    parser.add_argument(
        "--build",
        action="store_true",
        help="metadata: build the wheels (uv build --no-sources) and read their METADATA "
        "instead of reading pyproject.toml",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help='output: "text" (path:line: RULE message, then fix:) or "json" '
        '({"findings": [...], "summary": {...}})',
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    rules = _select(args.rule, args.skip)
    ctx = CheckContext(ws, since=args.since, build=args.build)
    findings: list[Finding] = []
    for rule in rules:
        findings += rule.check(ctx)
    findings.sort(key=sort_key)
    status = EXIT_FINDINGS if findings else EXIT_OK
    if args.format == "json":
        print(json.dumps(_json(findings, rules, ws, status), indent=2))
    else:
        _print_text(findings, rules, ws)
    return status


def _select(wanted: list[str], skipped: list[str]) -> list[ModuleType]:
    by_key = {key.lower(): rule for rule in RULES for key in (rule.NAME, rule.RULE)}
    for name in (*wanted, *skipped):
        if name.lower() not in by_key:
            raise UsageError(
                f"no rule named {name!r}",
                fix="use one of: " + ", ".join(f"{r.NAME} ({r.RULE})" for r in RULES),
            )
    chosen = {by_key[n.lower()] for n in wanted} if wanted else set(RULES)
    chosen -= {by_key[n.lower()] for n in skipped}
    return [rule for rule in RULES if rule in chosen]


def _json(
    findings: list[Finding], rules: list[ModuleType], ws: Workspace, status: int
) -> dict[str, object]:
    counts = Counter(f.rule for f in findings)
    return {
        "findings": [f.to_json() for f in findings],
        "summary": {
            "total": len(findings),
            "by_rule": {rule.RULE: counts.get(rule.RULE, 0) for rule in rules},
            "rules": [rule.RULE for rule in rules],
            "members": sorted(ws.members),
            "exit_code": status,
        },
    }


def _print_text(findings: list[Finding], rules: list[ModuleType], ws: Workspace) -> None:
    for finding in findings:
        print(finding.render())
    names = ", ".join(rule.NAME for rule in rules)
    if findings:
        counts = Counter(f.rule for f in findings)
        detail = ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items()))
        print(f"monorel check: {len(findings)} finding(s) ({detail})")
    else:
        print(f"monorel check: clean ({len(ws.members)} members; {names})")
