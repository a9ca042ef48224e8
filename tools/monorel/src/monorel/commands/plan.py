"""`monorel plan [--since REF] [--format json]`: what a release would do, offline."""

from __future__ import annotations

import argparse
import json

from monorel import planning
from monorel.errors import EXIT_FINDINGS, EXIT_OK
from monorel.workspace import Workspace

HELP = "show packages changed since their release point, their bumps and next versions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        metavar="REF",
        default=None,
        help="compare with REF instead of each package's release point (tag or history)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace, ws: Workspace) -> int:
    plan = planning.compute(ws, since=args.since)
    if args.format == "json":
        print(json.dumps(plan.to_json(), indent=2))
    else:
        print(render(plan))
    # fragments that ask for less than the semver verdict make the plan unreleasable
    return EXIT_FINDINGS if plan.problems else EXIT_OK


def render(plan: planning.Plan) -> str:
    """The plan as text, one block per package in dependency order."""
    if not plan.packages:
        return "nothing changed since the last releases: nothing to release"
    lines: list[str] = []
    for p in plan.packages:
        since = (
            f"since {p.release_point.source} {p.release_point.version} "
            f"({p.release_point.commit[:10]})"
            if p.release_point
            else (f"since {plan.since[:10]}" if plan.since else "never released")
        )
        if p.releases:
            head = f"{p.name} {p.current_version} -> {p.next_version} ({p.bump}: "
            head += ", ".join(p.reasons) + f"), tag {p.tag}"
        else:
            head = f"{p.name} {p.current_version}: changed, no fragments -> not released"
        lines.append(head)
        lines.append(f"  {len(p.changed_files)} changed file(s) {since}")
        for f in p.fragments:
            lines.append(f"  fragment {f.type:<9} {f.path}")
        for c in p.dependents:
            action = f"-> {c.new}" if c.moves else "(kept: admits the new version)"
            lines.append(f"  {c.dependent}: {c.old} {action}")
        if p.verdict is not None and p.verdict.evidence:
            lines.append(f"  semver: {p.verdict.bump} required")
            lines.extend(f"    {item.summary}" for item in p.verdict.evidence)
        if p.verdict is not None:
            lines.extend(f"  unclassified {item.summary}" for item in p.verdict.unclassified)
            lines.extend(f"  operator note {note.text}" for note in p.verdict.operator_notes)
        lines.extend(f"  PROBLEM {problem}" for problem in p.problems)
    order = ", ".join(p.name for p in plan.releases) or "none"
    lines.append(f"release order: {order}")
    if plan.problems:
        lines.append(
            f"refused: {len(plan.problems)} problem(s): the fragments ask for less than "
            "the changes require, or a migration is unclassified (add fragments of the "
            "required type, declare unclassified migrations; `monorel semver PKG` shows the "
            "evidence)"
        )
    return "\n".join(lines)
