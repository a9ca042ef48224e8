"""`monorel affected --since REF [--format text|json|names]`: the members a change affects.

The ones it touches and their dependents (``monorel.affected``), for CI to test and
rehearse only those; ``names`` prints one name per line for shell loops.
"""

from __future__ import annotations

import argparse
import json

from monorel import affected
from monorel.errors import EXIT_OK
from monorel.workspace import Workspace

HELP = "the members changed since REF (merge base) and the members that depend on them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        required=True,
        metavar="REF",
        help="compare with the merge base of REF and HEAD, e.g. origin/main",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "names"),
        default="text",
        help="text, json ({schema, since, base, all, members: [...]}), or names (one per line)",
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    result = affected.compute(ws, args.since)
    if args.format == "json":
        print(json.dumps(result.to_json(), indent=2))
    elif args.format == "names":
        if result.members:
            print("\n".join(result.names))
    else:
        print(render(result))
    return EXIT_OK


def render(result: affected.Affected) -> str:
    lines = [f"since {result.since} (merge base {result.base[:12]}):"]
    if result.workspace_files:
        shown = ", ".join(result.workspace_files[:3])
        more = len(result.workspace_files) - 3
        lines.append(
            f"  workspace files changed ({shown}{f' and {more} more' if more > 0 else ''})"
        )
        lines.append("  -> every member is affected")
    for m in result.members:
        why = [
            f"changed ({len(m.changed)} file(s))"
            if b == "changed"
            else "workspace files"
            if b == "workspace files"
            else f"depends on {b}"
            for b in m.because
        ]
        lines.append(f"  {m.name} [{m.role}]: {', '.join(why)}")
    if not result.members:
        lines.append("  no member is affected")
    return "\n".join(lines)
