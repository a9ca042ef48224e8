"""`monorel build [PKG...] [--dev]`: build and verify the released packages' sdists and wheels.

``--dev`` builds a branch build instead: version ``<next>.devN`` set in a temporary copy
(the tree is not touched), written to ``<state-dir>/dist-dev/<pkg>/``, for dev indexes only.
"""

from __future__ import annotations

import argparse

from monorel import building
from monorel.workspace import Workspace

HELP = "build sdist + wheel of released packages (uv build --no-sources) and verify them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "packages", nargs="*", metavar="PKG", help="packages to build (default: all released)"
    )
    add_dev_arguments(parser)


def add_dev_arguments(parser: argparse.ArgumentParser) -> None:
    """``--dev`` / ``--dev-number``, shared with `monorel publish`."""
    parser.add_argument(
        "--dev",
        action="store_true",
        help="a branch build: version <next>.devN in a temporary copy (the tree is not "
        "touched); dev indexes only",
    )
    parser.add_argument(
        "--dev-number",
        type=int,
        metavar="N",
        help="N of .devN (default: commits since the package's release point); implies --dev",
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    for built in build_all(args, ws):
        print(f"{built.name} {built.version}: verified")
        for artifact in built.artifacts:
            path = artifact.path
            shown = path.relative_to(ws.root) if path.is_relative_to(ws.root) else path
            print(f"  {shown}  sha256={artifact.sha256}")
    return 0


def build_all(args: argparse.Namespace, ws: Workspace) -> list[building.BuiltPackage]:
    """Dev builds with ``--dev``/``--dev-number``, else release builds of the working tree."""
    members = building.releasable(ws, args.packages)
    if is_dev(args):
        versions = building.dev_versions(ws, members, args.dev_number)
        return [building.build_dev(ws, m, versions[m.name]) for m in members]
    building.require_release_points(ws, members)
    return [building.build(ws, m) for m in members]


def is_dev(args: argparse.Namespace) -> bool:
    return bool(args.dev or args.dev_number is not None)
