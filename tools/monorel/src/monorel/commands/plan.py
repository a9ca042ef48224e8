"""`monorel plan [--since REF] [--format text|json|github|markdown]`: what a release would
do, offline. ``github`` prints workflow annotations (an error on the evidence's line for
each shortfall, a notice per release); ``markdown`` is a pull-request comment body."""

from __future__ import annotations

import argparse
import json

from monorel import planning
from monorel.annotations import annotation
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
    parser.add_argument(
        "--format",
        choices=("text", "json", "github", "markdown"),
        default="text",
        help="text, json (the release job's input), github (workflow annotations) or "
        "markdown (a pull-request comment)",
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    plan = planning.compute(ws, since=args.since)
    if args.format == "json":
        print(json.dumps(plan.to_json(), indent=2))
    elif args.format == "github":
        print("\n".join(render_github(plan)))
    elif args.format == "markdown":
        print(render_markdown(plan))
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
            what = "skip fragments only" if p.fragments else "no fragments"
            head = f"{p.name} {p.current_version}: changed, {what} -> not released"
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
        lines.extend(f"  PROBLEM {problem}" for problem in p.problems)
    order = ", ".join(p.name for p in plan.releases) or "none"
    lines.append(f"release order: {order}")
    if plan.problems:
        lines.append(
            f"refused: {len(plan.problems)} problem(s): the fragments ask for less than "
            "the changes require (add fragments of the required type; `monorel semver PKG` "
            "shows the evidence)"
        )
    return "\n".join(lines)


def render_github(plan: planning.Plan) -> list[str]:
    """One annotation per shortfall, on the line of the evidence that asks for more; one
    notice per release."""
    lines = []
    for p in plan.packages:
        for problem in p.problems:
            item = _evidence_of(p, problem)
            lines.append(
                annotation(
                    "error",
                    f"{p.name}: {problem}",
                    file=item.path if item else p.path,
                    line=item.line if item else None,
                    title="monorel plan: fragments ask for less",
                )
            )
        if p.releases:
            lines.append(
                annotation(
                    "notice",
                    f"{p.name} {p.current_version} -> {p.next_version} ({p.bump}: "
                    f"{', '.join(p.reasons)}), tag {p.tag}",
                    title="monorel plan",
                )
            )
    order = ", ".join(p.name for p in plan.releases) or "nothing to release"
    lines.append(f"release order: {order}")
    return lines


def render_markdown(plan: planning.Plan) -> str:
    """The plan as a pull-request comment: a table of releases, then details and problems."""
    lines = ["## Release plan", ""]
    if not plan.packages:
        return "\n".join([*lines, "Nothing changed since the last releases: nothing to release."])
    lines += ["| package | version | bump | why |", "|---|---|---|---|"]
    for p in plan.packages:
        if p.releases:
            version = f"{p.current_version} → **{p.next_version}**"
            lines.append(f"| `{p.name}` | {version} | {p.bump} | {', '.join(p.reasons)} |")
        else:
            what = "skip fragments only" if p.fragments else "no fragments"
            lines.append(f"| `{p.name}` | {p.current_version} | none | changed, {what} |")
    for p in plan.packages:
        lines += [
            "",
            f"<details><summary><code>{p.name}</code>: {len(p.changed_files)} "
            f"changed file(s), {len(p.fragments)} fragment(s)</summary>",
            "",
        ]
        lines += [f"- `{f.type}` {f.path}" for f in p.fragments]
        lines += [
            f"- `{c.dependent}`: `{c.old}` → `{c.new}`"
            if c.moves
            else f"- `{c.dependent}`: `{c.old}` admits the new version"
            for c in p.dependents
        ]
        if p.verdict is not None and p.verdict.evidence:
            lines.append(f"- semver: **{p.verdict.bump}** required")
            lines += [f"  - {item.summary} ({item.location})" for item in p.verdict.evidence]
        lines += ["", "</details>"]
    if plan.problems:
        lines += ["", "### Refused", ""]
        lines += [f"- :x: {problem}" for problem in plan.problems]
        lines += [
            "",
            "Add fragments of the required type; `monorel semver PKG` shows the evidence.",
        ]
    order = ", ".join(f"`{p.name}`" for p in plan.releases) or "none"
    lines += ["", f"Release order: {order}"]
    return "\n".join(lines)


def _evidence_of(p: planning.PackagePlan, problem: str):  # -> Evidence | None
    """The evidence item a shortfall line is about (each starts with its subject)."""
    if p.verdict is None:
        return None
    return next((i for i in p.verdict.evidence if problem.startswith(f"{i.subject}:")), None)
