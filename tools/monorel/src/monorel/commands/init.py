"""`monorel init [--yes] [--org NAME] [--no-ci] [--no-pre-commit]`: set up an existing workspace.

Without ``--yes`` it prints what it detected and what it would write, and writes nothing;
with ``--yes`` it writes all of it or nothing (``monorel.adoption``). It never overwrites
a file: it appends to a pyproject.toml (and says so) or keeps a file as it is (and says
why). Run again, it finds nothing to do.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from monorel import adoption
from monorel.errors import EXIT_OK
from monorel.workspace import Workspace

HELP = "set up an existing uv workspace: [tool.monorel], towncrier, changelogs, CI, pre-commit"
# init is there to fix a workspace monorel cannot read yet: load it leniently
LENIENT_WORKSPACE = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="write it (default: only show it)")
    parser.add_argument(
        "--org",
        help="devpi user owning the <org>/dev and <org>/stable indexes "
        "(default: from the directory name)",
    )
    parser.add_argument("--no-ci", action="store_true", help="do not offer the CI workflows")
    parser.add_argument(
        "--no-pre-commit", action="store_true", help="do not offer the pre-commit hook"
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    plan = adoption.plan(
        ws,
        org=args.org or adoption.default_org(ws.root),
        ci=not args.no_ci,
        pre_commit=not args.no_pre_commit,
    )
    print(f"monorel init in {ws.root}")
    for d in plan.detected:
        apps = f"Django apps {', '.join(d.apps)}" if d.apps else "no Django apps"
        settings = f", settings {d.settings}" if d.settings else ""
        released = "released" if d.released else "not released"
        public = f", public: {d.public}" if d.role == "library" else ""
        print(f"  {d.name}: {d.role}, {released}; {apps}{settings}{public}")
    for kept in plan.kept:
        print(f"keeps  {_rel(ws, kept.path)}: {kept.why}")
    verb = {
        "create": "creates" if args.yes else "would create",
        "append": "appends to" if args.yes else "would append to",
    }
    if args.yes:
        adoption.apply(plan)
    for write in plan.writes:
        print(f"{verb[write.action]} {_rel(ws, write.path)}: {write.what}")
    for note in plan.notes:
        print(f"note: {note}")
    if not plan.writes:
        print("nothing to do: the workspace is set up for monorel")
    elif not args.yes:
        print("nothing written; run `monorel init --yes` to write it")
    else:
        print("done: review the changes, then commit them; `monorel check` runs the rules")
    return EXIT_OK


def _rel(ws: Workspace, path: Path) -> str:
    return path.relative_to(ws.root).as_posix()
