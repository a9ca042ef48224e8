"""``monorel`` command line: parse, load the workspace once, dispatch to a command module.

Each command lives in ``monorel.commands.<name>`` and exposes ``HELP``,
``add_arguments(parser)`` and ``run(args, workspace) -> int``.
Exit codes: 0 ok, 1 findings or refusal, 2 usage or configuration error,
3 an external tool failed (see ``monorel.errors``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from monorel import workspace
from monorel.errors import EXIT_USAGE, MonorelError

COMMANDS = (
    "check",
    "plan",
    "version",
    "tag",
    "build",
    "publish",
    "devpi",
    "ship",
    "rehearse",
    "semver",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="monorel",
        description=(
            "Boundaries, releases and upgrade rehearsal for a uv workspace of Django packages."
        ),
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="a directory inside the workspace (default: the current directory)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"monorel.commands.{name}")
        command_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        ws = workspace.load(args.root)
        return int(args._module.run(args, ws))
    except MonorelError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
