"""`monorel devpi up|down|status`: the embedded devpi-server under the state dir."""

from __future__ import annotations

import argparse

from monorel import embedded_devpi
from monorel.workspace import Workspace

HELP = "run the embedded devpi-server (loopback) with <org>/dev and <org>/stable indexes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("up", "down", "status"))
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="port for `up` (default: the port of [tool.monorel.indexes], else 3141)",
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    server = embedded_devpi.for_workspace(ws)
    if args.action == "up":
        port = args.port or embedded_devpi.configured_port(ws)
        state, started = embedded_devpi.up(server, port=port)
        verb = "started" if started else "already running"
        print(f"devpi-server {verb}: {state.url} (pid {state.pid})")
        _print_indexes(state, ws.config.org)
        print(f"server dir: {server.serverdir}")
        return 0
    if args.action == "down":
        pid = embedded_devpi.down(server)
        print(f"devpi-server stopped (pid {pid})" if pid else "devpi-server was not running")
        return 0
    state = embedded_devpi.status(server)
    if not state.running:
        print(f"devpi-server is not running (server dir: {server.serverdir})")
        return 1
    print(f"devpi-server running: {state.url} (pid {state.pid})")
    _print_indexes(state, ws.config.org)
    return 0


def _print_indexes(state: embedded_devpi.Status, org: str) -> None:
    for name, volatile in state.indexes.items():
        kind = "volatile" if volatile else "non-volatile"
        print(f"  {name:<16} {kind:<13} {state.url}/{name}/+simple/")
    # devpi-web (monorel's devpi extra): versions, descriptions, changelogs, files, search
    print(f"browse: {state.url}/{org}/stable")
