"""`monorel build [PKG...]`: build and verify the released packages' sdists and wheels."""

from __future__ import annotations

import argparse

from monorel import building
from monorel.workspace import Workspace

HELP = "build sdist + wheel of released packages (uv build --no-sources) and verify them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "packages", nargs="*", metavar="PKG", help="packages to build (default: all released)"
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    members = building.releasable(ws, args.packages)
    for member in members:
        # the wheel is checked against the release tag of its version: a clone that cannot
        # tell whether (and where) that version was released is refused (MR040), not trusted
        ws.release_index.release_point(member, member.version)
    for member in members:
        built = building.build(ws, member)
        print(f"{built.name} {built.version}: verified")
        for artifact in built.artifacts:
            print(f"  {artifact.path.relative_to(ws.root)}  sha256={artifact.sha256}")
    return 0
