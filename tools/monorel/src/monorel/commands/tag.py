"""`monorel tag [create] [--format text|json]`: create the tags of the release commit at HEAD.

For the release pipeline: after the release pull request (``monorel version --branch NAME
--no-tag``) is merged, HEAD releases the packages whose versions it changed, and this
makes their annotated tags ``<dist>-v<version>`` at HEAD in one ``git update-ref``
transaction, under the release lock. Idempotent: tags already at HEAD are fine, a run on a
commit that releases nothing makes nothing; a tag of that name on another commit is
refused. It also finishes a release that was interrupted while being published.
"""

from __future__ import annotations

import argparse
import json
import sys

from monorel import release_lock, release_recovery, tagging
from monorel.adapters import git
from monorel.errors import UsageError
from monorel.workspace import Workspace

HELP = "create the tags of the release commit at HEAD (idempotent, all in one step)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        nargs="?",
        choices=("create",),
        default="create",
        help="create (the default): make the missing tags of the release commit at HEAD",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help='json: {"commit", "tags" (every release tag of HEAD), "created"} for a workflow',
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
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
