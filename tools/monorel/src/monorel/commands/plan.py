"""`monorel plan [--since REF] [--pre a|b|rc] [--format text|json|github|markdown]`: what a
release would do, offline. Markdown is the body of the release pull request; github prints
workflow annotations (an error on the evidence's line for each shortfall, a notice per
release)."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

from monorel import bumps, planning
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
        help="markdown: the release pull request's body; github: workflow annotations",
    )
    add_pre_argument(parser)


def add_pre_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pre",
        choices=bumps.PRE_KINDS,
        default=None,
        help="plan pre-releases of this kind (1.5.0rc1, then rc2; without --pre a "
        "pre-release series is finalised: 1.5.0)",
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    plan = planning.compute(ws, since=args.since, pre=args.pre)
    if args.format == "json":
        print(json.dumps(plan.to_json(), indent=2))
    elif args.format == "github":
        print("\n".join(render_github(plan)))
    elif args.format == "markdown":
        print(render_markdown(plan))
    else:
        print(render(plan))
    # fragments that ask for less than the semver verdict, or a change that breaks another
    # member, make the plan unreleasable
    return EXIT_FINDINGS if plan.problems or plan.broken else EXIT_OK


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
        lines += _details(p, _TEXT)
    order = ", ".join(p.name for p in plan.releases) or "none"
    lines.append(f"release order: {order}")
    if plan.broken:
        lines.append(
            f"refused: {len(plan.broken)} use(s) by other members of names the release "
            "removes (update them in the same release; `monorel check --rule imports` lists "
            "every use)"
        )
    if plan.problems:
        lines.append(
            f"refused: {len(plan.problems)} problem(s): the fragments ask for less than "
            "the changes require, or a migration is unclassified (add fragments of the "
            "required type, declare unclassified migrations; `monorel semver PKG` shows the "
            "evidence)"
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
    """The plan as Markdown: a table of the releases, then each package's reasons."""
    if not plan.releases:
        return "Nothing to release: no package has pending changelog fragments."
    lines = [
        "## Release plan",
        "",
        "| package | version | bump | tag |",
        "|---|---|---|---|",
    ]
    for p in plan.releases:
        lines.append(
            f"| {p.name} | {p.current_version} → **{p.next_version}** | "
            f"{p.bump} ({', '.join(p.reasons)}) | `{p.tag}` |"
        )
    for p in plan.packages:
        title = f"{p.name} {p.next_version}" if p.releases else f"{p.name} (not released)"
        lines += ["", f"### {title}", ""]
        lines += _details(p, _MARKDOWN)
    lines += [
        "",
        "Merging this pull request tags every released package at the merge commit "
        "(`monorel tag`) and releases it (`release.yml`).",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class _Style:
    """How each line of a package's details is written (text or Markdown)."""

    fragment: str
    moved: str
    kept: str
    semver: str
    evidence: str
    breaks: str
    unclassified: str
    note: str
    problem: str


_TEXT = _Style(
    fragment="  fragment {type:<9} {path}",
    moved="  {dependent}: {old} -> {new}",
    kept="  {dependent}: {old} (kept: admits the new version)",
    semver="  semver: {bump} required",
    evidence="    {summary}",
    breaks="      {summary}",
    unclassified="  unclassified {summary}",
    note="  operator note {text}",
    problem="  PROBLEM {problem}",
)
_MARKDOWN = _Style(
    fragment="- fragment `{type}`: `{path}`",
    moved="- {dependent}: `{old}` → `{new}`",
    kept="- {dependent}: `{old}` (kept: admits the new version)",
    semver="- semver: **{bump}** required",
    evidence="  - {summary}",
    breaks="    - {summary}",
    unclassified="- :question: unclassified {summary}",
    note="- operator note {text}",
    problem="- :x: {problem}",
)


def _details(p: planning.PackagePlan, style: _Style) -> list[str]:
    """Fragments, moved requirements, the semver evidence with what each breaking change
    breaks, and the problems of one package."""
    lines = [style.fragment.format(type=f.type, path=f.path) for f in p.fragments]
    for c in p.dependents:
        line = style.moved if c.moves else style.kept
        lines.append(line.format(dependent=c.dependent, old=c.old, new=c.new))
    if p.verdict is not None and p.verdict.evidence:
        lines.append(style.semver.format(bump=p.verdict.bump))
        for item in p.verdict.evidence:
            lines.append(style.evidence.format(summary=item.summary))
            lines += [
                style.breaks.format(summary=b.summary) for b in p.breaks if b.change == item.subject
            ]
    if p.verdict is not None:
        lines += [style.unclassified.format(summary=u.summary) for u in p.verdict.unclassified]
        lines += [style.note.format(text=n.text) for n in p.verdict.operator_notes]
    problems = [*p.problems, *(b.problem for b in p.breaks if b.problem)]
    return lines + [style.problem.format(problem=problem) for problem in problems]


def _evidence_of(p: planning.PackagePlan, problem: str):  # -> Evidence | None
    """The evidence item a shortfall line is about (each starts with its subject)."""
    if p.verdict is None:
        return None
    return next((i for i in p.verdict.evidence if problem.startswith(f"{i.subject}:")), None)
