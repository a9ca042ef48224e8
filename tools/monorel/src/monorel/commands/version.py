"""`monorel version [--yes] [--pre a|b|rc] [--branch NAME] [--no-tag]`: apply the release plan -
versions, pins, lock, changelogs, one commit and its tags, in one step."""

from __future__ import annotations

import argparse

from monorel import planning, release_lock, release_recovery, versioning
from monorel.adapters import git
from monorel.commands.plan import add_pre_argument, render
from monorel.errors import UsageError
from monorel.workspace import Workspace

HELP = "apply the release plan: bump versions, move pins, uv lock, changelogs, commit + tags"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--yes",
        action="store_true",
        help="apply it (without --yes: show the plan and what would change, change nothing)",
    )
    add_pre_argument(parser)
    parser.add_argument(
        "--branch",
        metavar="NAME",
        default=None,
        help="commit the release to branch NAME (created or moved) instead of the current "
        "one; the working tree stays as it is (the release pull request's branch)",
    )
    parser.add_argument(
        "--no-tag",
        dest="tag",
        action="store_false",
        help="make the release commit without tags; `monorel tag` makes them where it lands",
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    if not git.is_repository(ws.root):
        raise UsageError(
            f"{ws.root} is not in a git repository: a release is a commit and its tags",
            fix="run monorel version in a git checkout of the workspace",
        )
    for member in ws.members.values():
        # a clone without the history of the release points is refused before anything
        # else reads it (MR040; the plan asks the same cached release index again)
        if member.released:
            ws.release_index.last_release(member)
    with release_lock.held(git.common_dir(ws.root)):
        leftover = release_recovery.find(ws)
        if leftover is not None:
            if leftover.finish is None or (leftover.published and not args.yes):
                raise leftover.refuse()
            if not args.yes:
                print(f"note: {leftover.what}; `monorel version --yes` drops it")
            else:
                print("\n".join(leftover.finish()))
                if leftover.published:
                    return 0  # that run's release is whole now; run again for the next one
        if args.yes:
            for line in release_recovery.remove_stagings(ws):
                print(line)
        return _release(args, ws)


def _release(args: argparse.Namespace, ws: Workspace) -> int:
    plan = planning.compute(ws, pre=args.pre)
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
        if args.branch:
            print(f"on branch:    {args.branch} (the working tree stays as it is)")
        if args.tag:
            print("would tag:    " + ", ".join(p.tag or "" for p in plan.releases))
        print("\nnothing changed; run `monorel version --yes` to apply")
        return 0
    release = versioning.apply(ws, plan, branch=args.branch, tag=args.tag)
    print(render(plan))
    branch = release.ref.removeprefix("refs/heads/")
    print(
        f"\ncommitted {release.commit[:12]} on {branch}: "
        + versioning.commit_message(ws, plan).splitlines()[0]
    )
    for tag in release.tags:
        print(f"tagged {tag}")
    if release.late_signal:
        print(f"({release.late_signal} arrived while the release was published: it is whole)")
    if not release.tags:
        print("no tags made: `monorel tag` makes them once the commit is on its branch")
    print(
        f"push with: git push --atomic origin {branch} " + " ".join(release.tags)
        if release.tags
        else f"push with: git push origin {branch}"
    )
    return 0
