"""`monorel ship --local`: the release gate on the embedded devpi (dev -> proof -> stable)."""

from __future__ import annotations

import argparse

from rich.console import Console

from monorel import embedded_devpi, shipping
from monorel.commands import gate
from monorel.errors import ProofFailed, UsageError
from monorel.gate import pipeline
from monorel.workspace import Workspace

HELP = "run the release gate on the embedded devpi: publish to dev, prove, promote to stable"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--local",
        action="store_true",
        help="use the embedded devpi-server (the only mode; CI runs `monorel gate`)",
    )
    parser.add_argument("--port", type=int, default=None, help="port of the embedded devpi")
    parser.add_argument(
        "--keep-consumer", action="store_true", help="keep the throwaway consumer directory"
    )
    parser.add_argument(
        "--stop-devpi",
        action="store_true",
        help="stop the embedded devpi afterwards if this run started it",
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    if not args.local:
        raise UsageError(
            "monorel ship needs --local",
            fix="run `monorel ship --local`; a real index is fed by `monorel gate --dev URL "
            "--stable URL`",
        )
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"[bold]monorel ship --local[/bold] in {ws.root}")
    try:
        report = shipping.ship_local(
            ws,
            port=args.port or embedded_devpi.configured_port(ws),
            console=console,
            keep_consumer=args.keep_consumer,
            stop_devpi=args.stop_devpi,
        )
    except ProofFailed as failed:
        if isinstance(failed.report, pipeline.GateReport):
            gate.render(failed.report, console)
        raise
    gate.render(report.gate, console)
    if report.pending:
        pending = ", ".join(f"{p.name} -> {p.next_version}" for p in report.pending)
        console.print(f"pending, not yet versioned: {pending} (run `monorel version`)")
    state = "started" if report.devpi_started else "was already running"
    console.print(f"devpi {state}: {report.gate.stable.url} (stop it with `monorel devpi down`)")
    return 0
