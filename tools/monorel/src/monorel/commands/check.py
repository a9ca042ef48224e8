"""`monorel check`: the workspace's boundaries, derived from its packaging, Django-aware.

Rules (``monorel.checks``), each finding naming its rule id, file, line and fix:

  imports         MR-IMPORT          imports follow declared dependencies, public modules only
  django-refs     MR-DJREF           Django string references follow declared dependencies
  migrations      MR-MIGRATION       migrations owned, declared, bounded, acyclic across packages
  pins            MR-PIN             host pins == the current (or released) member versions
  metadata        MR-METADATA        released packages bound every workspace dependency
  makemigrations  MR-MAKEMIGRATIONS  no missing migrations under each member's settings
  fragments       MR-FRAGMENT        changed members carry a valid towncrier fragment

A finding is suppressed by ``# monorel: ignore[RULE] <reason>`` on its line
(``checks.suppression``), and ``--baseline FILE`` records today's findings so that only new
ones fail (``checks.baseline``). ``--format github`` prints workflow annotations.

Exit status: 0 clean, 1 findings, 2 usage or configuration error, 3 a tool failed.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from monorel.annotations import annotation
from monorel.checks import RULES, baseline, suppression
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

suppress one finding in the code, on its line or alone on the line above, with a reason:
  # monorel: ignore[MR-IMPORT] the legacy report reads models directly until 2.0

--baseline FILE writes today's findings to FILE when it does not exist (exit 0), then
fails only on findings it does not record; moved lines still match. --update-baseline
rewrites it.

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
        choices=("text", "json", "github"),
        default="text",
        help='output: "text" (path:line: RULE message, then fix:), "json" '
        '({"findings": [...], "summary": {...}}) or "github" (workflow annotations)',
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="fail only on findings FILE does not record; writes FILE when it does not exist",
    )
    parser.add_argument(
        "--update-baseline",
        action="store_true",
        help="with --baseline: rewrite FILE with today's findings",
    )


@dataclass(frozen=True)
class _Outcome:
    findings: tuple[Finding, ...]  # what fails
    suppressed: tuple[tuple[Finding, str], ...]
    baselined: int
    gone: int  # baseline entries that no longer occur
    wrote: Path | None  # the baseline written by this run


def run(args: argparse.Namespace, ws: Workspace) -> int:
    if args.update_baseline and args.baseline is None:
        raise UsageError("--update-baseline needs --baseline FILE", fix="pass --baseline FILE")
    ws.require_public_modules()  # the boundary stands on them: never check without them
    rules = _select(args.rule, args.skip)
    ctx = CheckContext(ws, since=args.since, build=args.build)
    found: list[Finding] = []
    for rule in rules:
        found += rule.check(ctx)
    outcome = _outcome(args, ws, found)
    status = EXIT_FINDINGS if outcome.findings else EXIT_OK
    if args.format == "json":
        print(json.dumps(_json(outcome, rules, ws, status), indent=2))
    elif args.format == "github":
        for finding in outcome.findings:
            print(
                annotation(
                    "error",
                    f"{finding.message}\nfix: {finding.fix}",
                    file=finding.path,
                    line=finding.line,
                    title=finding.rule,
                )
            )
        print(_summary(outcome, rules, ws))
    else:
        for finding in outcome.findings:
            print(finding.render())
        print(_summary(outcome, rules, ws))
    return status


def _outcome(args: argparse.Namespace, ws: Workspace, found: list[Finding]) -> _Outcome:
    applied = suppression.apply(found, ws.root, {rule.NAME: rule.RULE for rule in RULES})
    findings = sorted([*applied.kept, *applied.problems], key=sort_key)
    if args.baseline is None:
        return _Outcome(tuple(findings), applied.suppressed, 0, 0, None)
    if args.update_baseline or not args.baseline.exists():
        count = baseline.write(args.baseline, findings)
        return _Outcome((), applied.suppressed, count, 0, args.baseline)
    split = baseline.split(findings, baseline.load(args.baseline))
    return _Outcome(split.new, applied.suppressed, len(split.known), split.gone, None)


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
    outcome: _Outcome, rules: list[ModuleType], ws: Workspace, status: int
) -> dict[str, object]:
    findings = outcome.findings
    counts = Counter(f.rule for f in findings)
    return {
        "findings": [f.to_json() for f in findings],
        "summary": {
            "total": len(findings),
            "by_rule": {rule.RULE: counts.get(rule.RULE, 0) for rule in rules},
            "rules": [rule.RULE for rule in rules],
            "members": sorted(ws.members),
            "exit_code": status,
            "baselined": outcome.baselined,
            "baseline_gone": outcome.gone,
            "suppressed": [
                {**finding.to_json(), "reason": reason} for finding, reason in outcome.suppressed
            ],
        },
    }


def _summary(outcome: _Outcome, rules: list[ModuleType], ws: Workspace) -> str:
    names = ", ".join(rule.NAME for rule in rules)
    extras = []
    if outcome.baselined and outcome.wrote is None:
        extras.append(f"{outcome.baselined} baselined")
    if outcome.suppressed:
        extras.append(f"{len(outcome.suppressed)} suppressed")
    more = f"; {', '.join(extras)}" if extras else ""
    if outcome.findings:
        counts = Counter(f.rule for f in outcome.findings)
        detail = ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items()))
        line = f"monorel check: {len(outcome.findings)} finding(s) ({detail}{more})"
    else:
        line = f"monorel check: clean ({len(ws.members)} members; {names}{more})"
    if outcome.wrote is not None:
        line += (
            f"\nwrote the baseline {outcome.wrote}: {outcome.baselined} finding(s) recorded; "
            "from now on only new findings fail"
        )
    if outcome.gone:
        line += (
            f"\n{outcome.gone} baselined finding(s) no longer occur: --update-baseline drops them"
        )
    return line
