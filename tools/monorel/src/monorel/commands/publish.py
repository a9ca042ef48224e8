"""`monorel publish [PKG...] --index NAME|URL [--dev]`: build, verify and upload to a dev index.

Each package is built from what its current version released: the working tree when it is
unchanged since the version's release point (tag or version commit), else that commit.
``--dev`` uploads branch builds (``<next>.devN``) instead. The index must be a dev index
(devpi: volatile); a stable one is reached by `monorel gate` only.
"""

from __future__ import annotations

import argparse

from monorel import building, publishing
from monorel.commands.build import add_dev_arguments, is_dev
from monorel.workspace import Workspace

HELP = "build, verify and upload released packages to a dev index (identical files are skipped)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "packages", nargs="*", metavar="PKG", help="packages to publish (default: all released)"
    )
    parser.add_argument(
        "--index",
        required=True,
        metavar="NAME|URL",
        help="a dev index: a name from [tool.monorel.indexes] (dev) or its upload URL "
        "(user:password@ in it is sent as authentication, never printed)",
    )
    add_dev_arguments(parser)


def run(args: argparse.Namespace, ws: Workspace) -> int:
    index = publishing.resolve_index(ws, args.index)
    members = building.releasable(ws, args.packages)
    dev = is_dev(args)
    versions = (
        building.dev_versions(ws, members, args.dev_number)
        if dev
        else {m.name: m.version for m in members}
    )
    if not dev:
        building.require_release_points(ws, members)
    # refuse a stable index before anything is built
    publishing.require_dev_index(index, list(versions.items()), purpose="publishing to")
    built = []
    for member in members:
        if dev:
            package = building.build_dev(ws, member, versions[member.name])
            print(f"{package.name} {package.version}: dev build, verified")
        else:
            package, source = building.build_release(ws, member)
            print(f"{package.name} {package.version}: built and verified from {source.label}")
        built.append(package)
    print(f"publishing to {index.label}")

    def report(plan: publishing.PackagePublication) -> None:
        for f in plan.files:
            verb = "uploaded" if f.action == "upload" else "already there (identical), skipped"
            print(f"  {plan.name} {plan.version}: {f.filename} {verb}")

    publishing.publish(ws, index, built, on_package=report)
    return 0
