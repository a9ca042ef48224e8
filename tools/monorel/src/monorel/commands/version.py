"""`monorel version [--yes]`: apply the release plan - versions, pins, lock, changelogs, tags."""

from __future__ import annotations

import argparse

from monorel import planning, versioning
from monorel.commands.plan import render
from monorel.workspace import Workspace

HELP = "apply the release plan: bump versions, move pins, uv lock, changelogs, commit + tags"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--yes",
        action="store_true",
        help="apply it (without --yes: show the plan and what would change, change nothing)",
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    plan = planning.compute(ws)
    if not plan.releases:
        print(render(plan))
        print("nothing to release")
        return 0
    if not args.yes:
        print(render(plan))
        versioning.preflight(ws, plan)  # a refusal now, before anything says "would"
        print("\nwould change:")
        for change in versioning.changes(ws, plan):
            print(f"  {change.path}: {change.what}")
        print("would commit: " + versioning.commit_message(ws, plan).splitlines()[0])
        print("would tag:    " + ", ".join(p.tag or "" for p in plan.releases))
        print("\nnothing changed; run `monorel version --yes` to apply")
        return 0
    release = versioning.apply(ws, plan)
    print(render(plan))
    print(
        f"\ncommitted {release.commit[:12]}: " + versioning.commit_message(ws, plan).splitlines()[0]
    )
    for tag in release.tags:
        print(f"tagged {tag}")
    print("push with: git push --follow-tags")
    return 0
