"""`monorel semver PKG [--since REF] [--format text|json|github]`: the bump PKG's changes require.

Prints the verdict and the evidence for it, what could not be judged (unclassified) and
the operator notes; exits 0 whatever the verdict (it informs; ``monorel plan`` is what
fails when fragments ask for less or something is unclassified).
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from monorel import api_usage
from monorel.annotations import annotation
from monorel.errors import EXIT_OK
from monorel.workspace import Workspace

if TYPE_CHECKING:
    from monorel.semver import Verdict

HELP = "the bump a package's changes require since its last release, with the evidence"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("package", metavar="PKG", help="workspace member, e.g. billing-app")
    parser.add_argument(
        "--since",
        metavar="REF",
        help="compare with this git ref instead of the last release point",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="text, json, or github (one workflow annotation per piece of evidence)",
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    # imported here: griffe would cost every other command ~0.1 s of start-up
    from monorel.semver import required_bump

    member = ws.member(args.package)
    verdict = required_bump(ws, member, since=args.since)
    if args.format == "json":
        print(json.dumps(verdict.as_dict(), indent=2))  # `plan --format json` has the breaks
    elif args.format == "github":
        print("\n".join(render_github(verdict)))
    else:
        # the members each breaking API change breaks (the usage index MR-IMPORT reads too)
        print(render(verdict, api_usage.breaks(api_usage.UsageIndex(ws), member, verdict.evidence)))
    return EXIT_OK


def render_github(verdict: Verdict) -> list[str]:
    """An annotation on each piece of evidence (a warning where it requires a major), then
    the headline; the verdict informs, ``plan`` is what fails."""
    lines = [
        annotation(
            "warning" if item.bump == "major" else "notice",
            f"{item.summary}"
            + (
                f" (needs a {' or '.join(item.fragment_types)} fragment)"
                if item.fragment_types
                else ""
            ),
            file=item.path,
            line=item.line,
            title=f"monorel semver {verdict.package}: {item.bump}",
        )
        for item in verdict.evidence
    ]
    return [*lines, render(verdict).splitlines()[0]]


def render(verdict: Verdict, breaks: list[api_usage.Break] | None = None) -> str:
    """The text report: a headline, then one line per evidence item with its location."""
    if verdict.baseline is None:
        return f"{verdict.package}: never released, nothing to compare (bump: none)"
    since = verdict.baseline
    if verdict.baseline_commit and not verdict.baseline_commit.startswith(since):
        since += f" ({verdict.baseline_commit[:12]})"
    headline = f"{verdict.package}: {verdict.bump} required since {since}"
    if verdict.bump != verdict.required:
        headline += f" ({verdict.required} counts as {verdict.bump} before 1.0)"
    lines = [headline]
    for item in verdict.evidence:
        lines.append(f"  {item.bump:<5}  {item.subject}  [{item.location}]")
        if item.fragment_types:
            names = " or ".join(f"`{t}`" for t in item.fragment_types)
            lines.append(f"         needs a {names} fragment")
        lines.extend(f"         {b.summary}" for b in breaks or () if b.change == item.subject)
    if not verdict.evidence:
        lines.append("  no changes since the release point")
    if verdict.unclassified:
        lines.append("  unclassified (a release is refused until each is declared):")
        lines += [f"    {item.summary}" for item in verdict.unclassified]
    if verdict.operator_notes:
        lines.append("  operator notes (each needs a `migration` or `breaking` fragment):")
        lines += [f"    {note.text}" for note in verdict.operator_notes]
    return "\n".join(lines)
