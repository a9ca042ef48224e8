"""`monorel gate [PKG...] --dev NAME|URL --stable NAME|URL`: dev -> proof -> stable.

Publishes what is released to the dev index (where needed), proves those very files there
(the stranger install, the suites against the installed wheels, the rehearsals) and
promotes them to the stable index with devpi's push. Exit 0 when promoted (or nothing
was new), 1 when a proof failed (the files stay on dev) or a refusal, 2/3 as usual.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import unquote

from rich.console import Console
from rich.table import Table

from monorel import publishing
from monorel.errors import ProofFailed
from monorel.gate import pipeline
from monorel.gate.steps import Steps, Timing
from monorel.redaction import redact
from monorel.workspace import Workspace

HELP = "publish to the dev index, prove the files there, promote the same files to stable"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "packages",
        nargs="*",
        metavar="PKG",
        help="packages to release (default: every released package whose version is new)",
    )
    parser.add_argument(
        "--dev",
        default="dev",
        metavar="NAME|URL",
        help="the volatile dev index (default: dev, from [tool.monorel.indexes] or the "
        "embedded devpi)",
    )
    parser.add_argument(
        "--stable",
        default="stable",
        metavar="NAME|URL",
        help="the non-volatile stable index, on the same devpi-server (default: stable)",
    )
    add_proof_arguments(parser)


def add_proof_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the proof, shared with `monorel ship`."""
    parser.add_argument(
        "--db",
        default="sqlite",
        metavar="sqlite|postgres|URL",
        help="the database of the rehearsals (default sqlite; see `monorel rehearse --db`)",
    )
    parser.add_argument(
        "--jobs", type=int, metavar="N", help="proofs at once (default: one per core, at most 2)"
    )
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write the proofs as JUnit XML")
    parser.add_argument(
        "--keep-consumer", action="store_true", help="keep the throwaway consumer directory"
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    dev = publishing.resolve_index(ws, args.dev)
    stable = publishing.resolve_index(ws, args.stable)
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"[bold]monorel gate[/bold] {dev.url} -> {stable.url}")
    try:
        report = pipeline.run(
            ws,
            dev=dev,
            stable=stable,
            steps=Steps(console),
            names=args.packages or None,
            db=args.db,
            jobs=args.jobs,
            keep_consumer=args.keep_consumer,
            junit=args.junit,
        )
    except ProofFailed as failed:
        if isinstance(failed.report, pipeline.GateReport):
            render(failed.report, console)
        raise
    render(report, console)
    return 0


def render(report: pipeline.GateReport, console: Console) -> None:
    """The releases, the proofs (with the output of each failed one) and the timings."""
    console.print()
    table = Table(title=f"Releases: {report.dev.url} -> {report.stable.url}", title_justify="left")
    for column in ("package", "version", "this run", "built from", "stable"):
        table.add_column(column)
    promoted = {p.name: p.action for p in report.promotions}
    published = {p.name: p for p in report.published}
    for release in report.releases:
        outcome = promoted.get(release.name, "not promoted (proof failed)")
        table.add_row(
            release.name,
            release.version,
            _this_run(published.get(release.name)),
            report.sources.get(release.name, ""),
            "promoted (devpi push)" if outcome == "pushed" else outcome,
        )
    for name, version in report.dev_only:
        table.add_row(name, version, _this_run(published.get(name)), "", "dev only (pre-release)")
    for name, version in report.unchanged:
        copied = " (copied to dev for the proof)" if (name, version) in report.copied else ""
        table.add_row(name, version, f"already released{copied}", "", "already there")
    console.print(table)
    if not report.releases:
        console.print("nothing new to promote: every released version is on the stable index")
    if report.proofs:
        proofs = Table(title="Proofs (on the dev index)", title_justify="left")
        for column in ("proof", "result", "seconds", "detail"):
            proofs.add_column(column)
        for result in report.proofs:
            mark = "ok" if result.ok else "[red]FAILED[/red]"
            proofs.add_row(result.name, mark, f"{result.seconds:.1f}", result.detail)
        console.print(proofs)
        for result in report.proofs:
            if not result.ok and result.output:
                console.print(f"[bold]{result.name}[/bold] failed; its output ends with:")
                console.print(redact(result.output), markup=False, highlight=False)
    if report.consumer is not None:
        consumer = report.consumer
        console.print(f"[bold]consumer[/bold] (plain venv + pip, index {report.dev.simple_url}):")
        for item in consumer.installed:
            console.print(f"  {item.name} {item.version} from {unquote(item.url)}")
        console.print(f"  third-party, from the wheelhouse: {', '.join(consumer.third_party)}")
        console.print(f"  manage.py migrate: ok; contract tests: {consumer.tests}")
        where = report.kept_consumer or "(removed; --keep-consumer keeps it)"
        console.print(f"  consumer project: {where}")
    render_timings(report.timings, console)


def render_timings(timings: tuple[Timing, ...], console: Console) -> None:
    table = Table(title="Timings", title_justify="left")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    for t in timings:
        table.add_row(t.step, f"{t.seconds:.1f}")
    # Steps marked "(in parallel)" overlapped others; the rest add up to the wall clock.
    total = sum(t.seconds for t in timings if not t.parallel)
    table.add_row("total (wall clock)", f"{total:.1f}")
    console.print(table)


def _this_run(publication: publishing.PackagePublication | None) -> str:
    if publication is None:
        return "already on dev"
    uploaded = [f for f in publication.files if f.action == "upload"]
    return f"published {len(uploaded)} file(s) to dev" if uploaded else "identical on dev, skipped"
