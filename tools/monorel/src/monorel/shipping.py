"""`monorel ship --local`: the whole release gate on the embedded devpi, each step timed.

1. ``devpi up`` (the embedded server; reused when already running), on ``--port``;
2. the release plan (offline; shown as pending work, nothing is versioned here);
3. the gate (``monorel.gate.pipeline``) from the embedded ``<org>/dev`` to
   ``<org>/stable``: every released package whose current version is not on stable yet
   is built, published to dev, proven there (the stranger install of examples/consumer,
   the suites of the released packages and their dependents against the installed
   wheels, rehearsals of the packages with migrations) and promoted with devpi's push.
   A second run finds everything on stable and does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console

from monorel import embedded_devpi, planning, publishing
from monorel.adapters import git
from monorel.gate import consumer, pipeline
from monorel.gate.steps import Steps, Timing
from monorel.indexes import Index
from monorel.workspace import Workspace


@dataclass(frozen=True)
class ShipReport:
    devpi_started: bool
    gate: pipeline.GateReport
    pending: tuple[planning.PackagePlan, ...]

    @property
    def timings(self) -> tuple[Timing, ...]:
        return self.gate.timings


def ship_local(
    ws: Workspace,
    *,
    port: int,
    console: Console,
    keep_consumer: bool = False,
    stop_devpi: bool = False,
) -> ShipReport:
    consumer.consumer_sources(ws)  # fail before anything is started
    steps = Steps(console)
    server = embedded_devpi.for_workspace(ws)
    dirty = git.dirty_paths(ws.root) if git.is_repository(ws.root) else []
    if dirty:
        console.print(
            f"[yellow]warning:[/yellow] {len(dirty)} uncommitted change(s): packages are "
            "built from the working tree, not from a commit"
        )
    with steps.step("devpi up"):
        state, started = embedded_devpi.up(server, port=port)
    try:
        with steps.step("plan"):
            plan = planning.compute(ws)
        auth = embedded_devpi.upload_auth(server)
        assert auth is not None
        report = pipeline.run(
            ws,
            dev=Index(state.index_url(ws.config.org, "dev"), "dev"),
            stable=Index(state.index_url(ws.config.org, "stable"), "stable"),
            steps=steps,
            credentials=publishing.basic_credentials("embedded devpi", auth.user, auth.password),
            keep_consumer=keep_consumer,
        )
    finally:
        if stop_devpi and started:
            embedded_devpi.down(server)
    return ShipReport(devpi_started=started, gate=report, pending=plan.releases)
