"""`monorel add [PKG TYPE TEXT...] [--issue N]`, `monorel add --empty PKG [TEXT...]`.

Writes a towncrier fragment into the package's ``changelog.d/`` (``monorel.adding``).
With every argument given it is scripted; on a terminal, what is missing is asked for:
a package picker (packages changed since their release point first), the fragment types
with what each does to the version, and the text. ``--empty`` writes a ``skip``
fragment: the change needs no release.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from monorel import adding
from monorel.errors import EXIT_OK, UsageError
from monorel.workspace import Member, Workspace

HELP = "write a changelog fragment (scripted, or interactive with a package picker)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("package", nargs="?", metavar="PKG", help="e.g. billing-app")
    parser.add_argument("type", nargs="?", metavar="TYPE", help="e.g. feature (see --help)")
    parser.add_argument("text", nargs="*", metavar="TEXT", help="the changelog entry")
    parser.add_argument("--issue", metavar="N", help="name it <N>.<type>.md (links the issue)")
    parser.add_argument(
        "--empty",
        action="store_true",
        help="a skip fragment: this change releases nothing (PKG [TEXT] only)",
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    interactive = sys.stdin.isatty()
    words = [w for w in (args.type, *args.text) if w] if args.empty else list(args.text)
    member = _package(ws, args.package, interactive)
    if args.empty:
        fragment_type = "skip"
        text = " ".join(words) or "No release needed."
    else:
        fragment_type = args.type or _ask_type(member, interactive)
        text = " ".join(words) or _ask_text(interactive)
    path = adding.write(member, fragment_type, text, issue=args.issue)
    print(
        f"wrote {path.relative_to(ws.root).as_posix()} ({adding.describe(member, fragment_type)})"
    )
    return EXIT_OK


def _package(ws: Workspace, name: str | None, interactive: bool) -> Member:
    if name is not None:
        return ws.member(name)
    choices = adding.changed_first(ws)
    if not choices:
        raise UsageError("no member takes fragments", fix="run `monorel init` first")
    if not interactive:
        raise UsageError("monorel add needs PKG TYPE TEXT", fix=_SCRIPTED)
    labels = [
        f"{m.name} {m.version}" + ("  (changed)" if changed else "") for m, changed in choices
    ]
    index = _pick("package", labels, [m.name for m, _ in choices])
    return choices[index][0]


def _ask_type(member: Member, interactive: bool) -> str:
    if not interactive:
        raise UsageError("monorel add needs a fragment TYPE", fix=_SCRIPTED)
    types = adding.fragment_types(member)
    return types[_pick("type", [adding.describe(member, t) for t in types], list(types))]


def _ask_text(interactive: bool) -> str:
    if not interactive:
        raise UsageError("monorel add needs the fragment TEXT", fix=_SCRIPTED)
    while True:
        text = input("what changed (one line, as users read it): ").strip()
        if text:
            return text


def _pick(what: str, labels: Sequence[str], names: Sequence[str]) -> int:
    for number, label in enumerate(labels, start=1):
        print(f"  {number}) {label}")
    while True:
        answer = input(f"{what} [1-{len(labels)} or name]: ").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(labels):
            return int(answer) - 1
        if answer in names:
            return list(names).index(answer)
        print(f"  not one of the {what}s above")


_SCRIPTED = (
    "pass them (monorel add billing-app feature Invoices carry a due date.), "
    "or run it on a terminal to be asked"
)
