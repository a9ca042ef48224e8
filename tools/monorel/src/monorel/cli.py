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
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from monorel import redaction, workspace
from monorel.errors import EXIT_FINDINGS, EXIT_USAGE, MonorelError

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

COMMANDS = (
    "init",
    "add",
    "check",
    "plan",
    "version",
    "tag",
    "build",
    "publish",
    "gate",
    "devpi",
    "ship",
    "rehearse",
    "semver",
    "affected",
    "graph",
)


class _Parser(argparse.ArgumentParser):
    """argparse, whose usage errors quote the command line: redacted first."""

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        super()._print_message(redaction.redact(message), file)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``only`` (a command's name) the other commands are
    listed without importing their modules (importing all of them costs every run about
    a third of a second; ``monorel --help`` and bad command names still get the whole)."""
    parser = _Parser(
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
        if only is not None and name != only:
            sub.add_parser(name)
            continue
        module = importlib.import_module(f"monorel.commands.{name}")
        command_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # a password in an --index URL is known before anything could print it
    redaction.scan_argv(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser(_command_named(list(sys.argv[1:] if argv is None else argv)))
    args = parser.parse_args(argv)
    try:
        lenient = getattr(args._module, "LENIENT_WORKSPACE", False)
        ws = workspace.load(args.root, lenient=lenient)
        return int(args._module.run(args, ws))
    except MonorelError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_USAGE
    except Exception:  # a bug: its traceback, redacted (it may quote a URL or an argument)
        print(redaction.redact(traceback.format_exc()), file=sys.stderr, end="")
        return EXIT_FINDINGS


def _command_named(argv: list[str]) -> str | None:
    """The command ``argv`` runs, if it names one before any other argument than --root."""
    rest = iter(argv)
    for token in rest:
        if token == "--root":
            next(rest, None)
        elif not token.startswith("--root="):
            return token if token in COMMANDS else None
    return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
