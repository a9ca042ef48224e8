"""ship: `monorel ship --local` on a fresh clone of this repo, cold and warm, step by step.

ship runs the whole release gate on the embedded devpi: build, publish to acme/dev, the
proofs there (the stranger install, each released package's suite and its dependents'
against the installed wheels, the rehearsals), devpi's push to acme/stable. Every step of
the gate is a row, the proofs and their parts marked "(in parallel)".

Runs (each in its own process, as the CLI would run; the step times are ship's own):

  first ever    fresh clone, empty state dir: devpi-init, build, publish, the consumer's
                third-party wheels fetched from PyPI into the wheelhouse, the suites'
                venv and the rehearsal caches made, every proof, the promotion
  cold devpi    the devpi server dir, its server and the dist dir removed; the wheelhouse,
                venvs and rehearsal caches kept (caches, not part of the index) - the
                target's "cold": the whole gate again
  warm          devpi running, every version already on stable: nothing is published,
                proven or promoted
  restart       devpi stopped, its server dir kept: a restart instead of devpi-init

``--quick`` runs "first ever" only (reusing this checkout's wheelhouse when it has one).
Also measured in full mode: what `devpi up` spends cold (init, start, user and indexes).
"""

from __future__ import annotations

import io
import re
import shutil
import sys
import time
from pathlib import Path

from bench._harness import (
    ROOT,
    BenchError,
    Report,
    Stopwatch,
    Target,
    child_json,
    child_main,
    clone_repo,
    free_port,
    workdir,
)

NAME = "ship"
SUMMARY = "monorel ship --local: cold and warm embedded devpi, per step"
TARGET_COLD_SECONDS = 15.0


def run(quick: bool) -> Report:
    from monorel import embedded_devpi
    from monorel import workspace as workspace_model

    report = Report(NAME, quick, columns=["run", "step", "seconds"])
    with workdir("ship") as tmp:
        root = clone_repo(tmp / "clone")
        ws = workspace_model.load(root)
        server = embedded_devpi.for_workspace(ws)
        wheelhouse = ROOT / ws.config.state_dir / "wheelhouse"
        port = free_port()
        try:
            if quick:
                if (wheelhouse / ".requirements.sha256").is_file():
                    shutil.copytree(wheelhouse, ws.state_dir / "wheelhouse")
                    report.notes.append("wheelhouse copied from this checkout (no PyPI download)")
                runs = [("first ever", None)]
            else:
                runs = [
                    ("first ever", None),
                    ("cold devpi", lambda: _make_devpi_cold(server, ws.state_dir)),
                    ("warm", None),
                    ("restart", lambda: embedded_devpi.down(server)),
                ]
            totals = {}
            for label, prepare in runs:
                if prepare is not None:
                    prepare()
                wall, result = _ship(root, port)
                totals[label] = wall
                for step, seconds, _parallel in result["timings"]:
                    report.rows.append({"run": label, "step": step, "seconds": seconds})
                # a step that ran "(in parallel)" overlapped others: it is not on the wall clock
                steps = sum(s for _step, s, parallel in result["timings"] if not parallel)
                report.rows.append(
                    {"run": label, "step": "(process start, imports)", "seconds": wall - steps}
                )
                report.rows.append({"run": label, "step": "TOTAL wall", "seconds": wall})
                report.metrics[_key(label) + "_seconds"] = round(wall, 3)
                report.metrics[_key(label) + "_published"] = result["published"]
                report.metrics[_key(label) + "_contract_tests"] = result["tests"]
                report.metrics[_key(label) + "_proofs"] = result["proofs"]
        finally:
            embedded_devpi.down(server)
        if quick:
            report.skipped.append(
                "--quick: the cold-devpi, warm and restart runs and the devpi up breakdown "
                "(full mode only)"
            )
            report.targets.append(
                Target(
                    "first ship (fresh state dir)", totals["first ever"], TARGET_COLD_SECONDS, "s"
                )
            )
        else:
            report.targets.append(
                Target("cold devpi ship", totals["cold devpi"], TARGET_COLD_SECONDS, "s")
            )
            report.targets.append(
                Target(
                    "first ship incl. PyPI wheelhouse",
                    totals["first ever"],
                    TARGET_COLD_SECONDS,
                    "s",
                )
            )
            for step, seconds in _devpi_up_breakdown(tmp):
                report.rows.append({"run": "devpi up, cold", "step": step, "seconds": seconds})
                report.metrics["devpi_up_" + _key(step) + "_seconds"] = round(seconds, 3)
    return report


def _key(label: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in label.lower()).strip("_")


def _ship(root: Path, port: int) -> tuple[float, dict]:
    watch = Stopwatch()
    with watch:
        result = child_json("bench.ship", {"root": str(root), "port": port})
    return watch.seconds, result


def _make_devpi_cold(server, state_dir: Path) -> None:
    from monorel import embedded_devpi

    embedded_devpi.down(server)
    shutil.rmtree(server.home)  # server dir, credentials, log
    shutil.rmtree(state_dir / "dist", ignore_errors=True)


def _devpi_up_breakdown(tmp: Path) -> list[tuple[str, float]]:
    """The parts of a cold `devpi up`, through the same adapter functions it calls."""
    from monorel.adapters import devpi

    home = tmp / "devpi-breakdown"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    steps: list[tuple[str, float]] = []
    started = time.perf_counter()
    devpi.init_serverdir(home / "server", root_password="bench-root")
    steps.append(("devpi-init", time.perf_counter() - started))
    started = time.perf_counter()
    pid = devpi.start_server(
        home / "server",
        host="127.0.0.1",
        port=port,
        restrict_modify="root,acme",
        log_file=home / "server.log",
    )
    try:
        devpi.wait_ready(url, pid=pid, log_file=home / "server.log")
        steps.append(("devpi-server start until /+api answers", time.perf_counter() - started))
        started = time.perf_counter()
        admin = devpi.BasicAuth("root", "bench-root")
        devpi.ensure_user(url, admin=admin, user="acme", password="bench-user")
        user = devpi.BasicAuth("acme", "bench-user")
        for index, volatile in (("acme/dev", True), ("acme/stable", False)):
            devpi.ensure_index(url, auth=user, index=index, volatile=volatile)
        steps.append(("user + 2 indexes", time.perf_counter() - started))
    finally:
        devpi.stop_server(pid)
    return steps


def _child(payload: dict) -> dict:
    """In the child: one `ship --local`, as the CLI runs it, with its own step timings."""
    from monorel import shipping, workspace
    from rich.console import Console

    ws = workspace.load(Path(payload["root"]))
    console = Console(file=io.StringIO(), width=200)
    try:
        report = shipping.ship_local(ws, port=payload["port"], console=console)
    except Exception as exc:
        raise BenchError(f"ship failed: {exc}\n{console.file.getvalue()[-3000:]}") from exc
    gate = report.gate
    if not gate.ok:
        raise BenchError(f"ship's gate failed: {[p.name for p in gate.proofs if not p.ok]}")
    return {
        # the embedded devpi's port differs from run to run: rows name it once, as <devpi>
        "timings": [
            (re.sub(r"http://127\.0\.0\.1:\d+", "<devpi>", t.step), t.seconds, t.parallel)
            for t in report.timings
        ],
        "published": sum(1 for p in gate.published for f in p.files if f.action == "upload"),
        "tests": gate.consumer.tests if gate.consumer else "(nothing new: no proof)",
        "proofs": [f"{p.name}: {'ok' if p.ok else 'FAILED'}" for p in gate.proofs],
    }


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:], _child))
