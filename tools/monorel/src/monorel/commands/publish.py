"""`monorel publish [PKG...] --index NAME|URL`: build, verify and upload in dependency order.

Each package is built from what its current version released: the working tree when it is
unchanged since the version's release point (tag or version commit), else that commit.
"""

from __future__ import annotations

import argparse

from monorel import building, publishing
from monorel.workspace import Workspace

HELP = "build, verify and upload released packages to an index (identical files are skipped)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "packages", nargs="*", metavar="PKG", help="packages to publish (default: all released)"
    )
    parser.add_argument(
        "--index",
        required=True,
        metavar="NAME|URL",
        help="a name from [tool.monorel.indexes] (dev, stable) or an upload URL",
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    index = publishing.resolve_index(ws, args.index)
    built = []
    for member in building.releasable(ws, args.packages):
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
