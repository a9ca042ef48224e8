"""`monorel tag resolve|notes TAG`, `monorel tag glob`: release tags for release workflows.

``resolve`` prints ``package=`` / ``version=`` / ``prerelease=`` lines for
``$GITHUB_OUTPUT`` and refuses (exit 1, nothing printed) a tag that does not name a
released member at its pyproject's version; ``notes`` prints that version's changelog
section; ``glob`` prints the ``on.push.tags`` filter for ``[tool.monorel] tag-format``
(``*-v*``). Tags are read with the workspace's format, never a hard-coded one.
"""

from __future__ import annotations

import argparse

from monorel import release_tags
from monorel.errors import EXIT_OK, UsageError
from monorel.workspace import Workspace

HELP = "resolve a pushed release tag (package, version, notes) with the workspace's tag format"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("resolve", "notes", "glob"))
    parser.add_argument("tag", nargs="?", metavar="TAG", help="e.g. billing-app-v2.4.1")


def run(args: argparse.Namespace, ws: Workspace) -> int:
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
