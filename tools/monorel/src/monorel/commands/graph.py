"""`monorel graph [--format mermaid|dot|json|svg] [--output FILE]`: the workspace drawn.

Members and their declared dependencies, the public modules each one uses of another,
the cross-package migration dependencies, and every boundary violation in red
(``monorel.graph``; formats in ``monorel.graph_render``). Exits 1 when the graph has
violations, like ``monorel check``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from monorel import graph, graph_render
from monorel.errors import EXIT_FINDINGS, EXIT_OK
from monorel.workspace import Workspace

HELP = "draw members, dependencies, imports and migration edges; violations in red"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("mermaid", "dot", "json", "svg"),
        default="mermaid",
        help="mermaid (default; GitHub renders it in Markdown), dot (Graphviz), json, or svg "
        "(drawn by monorel, no Graphviz needed)",
    )
    parser.add_argument(
        "--output", "-o", type=Path, metavar="FILE", help="write to FILE instead of stdout"
    )


def run(args: argparse.Namespace, ws: Workspace) -> int:
    ws.require_public_modules()
    drawn = graph.build(ws)
    if args.format == "json":
        text = json.dumps(drawn.to_json(), indent=2) + "\n"
    elif args.format == "dot":
        text = graph_render.dot(drawn) + "\n"
    elif args.format == "svg":
        text = graph_render.svg(drawn, title=f"monorel graph: {ws.root.name}")
    else:
        text = graph_render.mermaid(drawn) + "\n"
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    violated = any(e.violated for e in drawn.edges) or drawn.unattached
    return EXIT_FINDINGS if violated else EXIT_OK
