"""`monorel ship --local`: embedded devpi, build + publish what is new, install as a consumer."""

from __future__ import annotations

import argparse
from urllib.parse import unquote

from rich.console import Console
from rich.table import Table

from monorel import embedded_devpi, shipping
from monorel.errors import UsageError
from monorel.workspace import Workspace

HELP = "publish new releases to the embedded devpi and install them in a throwaway consumer"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--local",
        action="store_true",
        help="use the embedded devpi-server (the only mode; CI/production use build + publish)",
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
            fix="run `monorel ship --local`; a real index is fed by `monorel publish --index URL`",
        )
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"[bold]monorel ship --local[/bold] in {ws.root}")
    report = shipping.ship_local(
        ws,
        port=args.port or embedded_devpi.configured_port(ws),
        console=console,
        keep_consumer=args.keep_consumer,
        stop_devpi=args.stop_devpi,
    )
    render(report, console)
    return 0


def render(report: shipping.ShipReport, console: Console) -> None:
    console.print()
    table = Table(title=f"Packages on {report.index_url}", title_justify="left")
    table.add_column("package")
    table.add_column("version")
    table.add_column("this run")
    table.add_column("built from")
    for p in report.published:
        uploaded = [f.filename for f in p.files if f.action == "upload"]
        what = f"published {len(uploaded)} file(s)" if uploaded else "identical, skipped"
        table.add_row(p.name, p.version, what, report.sources.get(p.name, ""))
    for name, version in report.already_released:
        table.add_row(name, version, "already released, nothing published", "")
    console.print(table)
    if not report.published:
        console.print("nothing new to publish: every package version is already on the index")
    consumer = report.consumer
    console.print(f"[bold]consumer[/bold] (plain venv + pip, index {report.simple_url}):")
    for item in consumer.installed:
        console.print(f"  {item.name} {item.version} from {unquote(item.url)}")
    console.print(f"  third-party, from the wheelhouse: {', '.join(consumer.third_party)}")
    console.print(f"  manage.py migrate: ok; contract tests: {consumer.tests}")
    where = consumer.directory if report.kept_consumer else "(removed; --keep-consumer keeps it)"
    console.print(f"  consumer project: {where}")
    if report.pending:
        pending = ", ".join(f"{p.name} -> {p.next_version}" for p in report.pending)
        console.print(f"pending, not yet versioned: {pending} (run `monorel version`)")
    timings = Table(title="Timings", title_justify="left")
    timings.add_column("step")
    timings.add_column("seconds", justify="right")
    for t in report.timings:
        timings.add_row(t.step, f"{t.seconds:.1f}")
    # Steps marked "(in parallel)" overlapped others; the rest add up to the wall clock.
    total = sum(t.seconds for t in report.timings if not t.parallel)
    timings.add_row("total (wall clock)", f"{total:.1f}")
    console.print(timings)
    state = "started" if report.devpi_started else "was already running"
    console.print(f"devpi {state}: {report.index_url} (stop it with `monorel devpi down`)")
