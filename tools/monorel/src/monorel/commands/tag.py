"""`monorel tag [create] [--format text|json]`, `monorel tag resolve|notes TAG`, `monorel tag glob`.

``create`` (the default), for the release pipeline: after the release pull request
(``monorel version --branch NAME --no-tag``) is merged, HEAD releases the packages whose
versions it changed, and this makes their annotated tags (``[tool.monorel] tag-format``,
``<dist>-v<version>`` by default) at HEAD in one ``git update-ref`` transaction, under the
release lock. Idempotent: tags already at HEAD are fine, a run on a commit that releases
nothing makes nothing; a tag of that name on another commit is refused. It also finishes a
release that was interrupted while being published.

For release workflows, with the workspace's tag format, never a hard-coded one:
``resolve TAG`` prints ``package=`` / ``version=`` / ``prerelease=`` lines for
``$GITHUB_OUTPUT`` and refuses (exit 1, nothing printed) a tag that does not name a
released member at its pyproject's version; ``notes TAG`` prints that version's changelog
section; ``glob`` prints the ``on.push.tags`` filter (``*-v*``).
"""

from __future__ import annotations

import argparse
import json
import sys

from monorel import release_lock, release_recovery, release_tags, tagging
from monorel.adapters import git
from monorel.errors import EXIT_OK, UsageError
from monorel.workspace import Workspace

HELP = "create the tags of the release commit at HEAD; resolve a pushed tag for a workflow"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        nargs="?",
        choices=("create", "resolve", "notes", "glob"),
        default="create",
        help="create (the default): make the missing tags of the release commit at HEAD; "
        "resolve/notes TAG: the package, version and changelog section a pushed tag names; "
        "glob: the workflow's tag filter",
    )
    parser.add_argument(
        "tag", nargs="?", metavar="TAG", help="resolve/notes: e.g. billing-app-v2.4.1"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help='create: json is {"commit", "tags" (every release tag of HEAD), "created"}',
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    if args.action == "create":
        if args.tag:
            raise UsageError("monorel tag create takes no TAG", fix="monorel tag create")
        return _create(args, ws)
    if args.action == "glob":
        print(ws.config.tag_format.workflow_glob())
        return EXIT_OK
    if not args.tag:
        raise UsageError(
            f"monorel tag {args.action} needs a TAG", fix=f"monorel tag {args.action} TAG"
        )
    release = release_tags.resolve(ws, args.tag)
    if args.action == "resolve":
        print(f"package={release.package}")
        print(f"version={release.version}")
        print(f"prerelease={str(release.prerelease).lower()}")
    else:
        print(release_tags.release_notes(release))
    return EXIT_OK


def _create(args: argparse.Namespace, ws: Workspace) -> int:
    if not git.is_repository(ws.root):
        raise UsageError(f"{ws.root} is not in a git repository", fix="run it in a git checkout")
    with release_lock.held(git.common_dir(ws.root)):
        leftover = release_recovery.find_journal(ws)
        if leftover is not None:
            if leftover.finish is None:
                raise leftover.refuse()
            print("\n".join(leftover.finish()), file=sys.stderr)
        head = git.head(ws.root)
        tags = tagging.released_at(ws, head)
        created = tagging.create(ws, head, tags)
    if args.format == "json":
        names = [t.name for t in tags]
        print(json.dumps({"commit": head, "tags": names, "created": created}, indent=2))
        return 0
    releases = ", ".join(f"{t.member} {t.version}" for t in tags)
    if not tags:
        print(f"HEAD ({head[:12]}) releases no package: nothing to tag")
    elif not created:
        print(f"HEAD ({head[:12]}) releases {releases}: every tag is there already")
    for name in created:
        print(f"tagged {name}")
    return 0
