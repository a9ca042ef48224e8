"""`monorel graph`: members, declared dependencies, imported public modules, cross-package
migrations and violations in red, in every format; and the README shows this repo's."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from monorel_check_support import run_cli
from monorel_release_support import ROOT

SERVICES = "packages/ledger-app/src/ledger_app/services.py"


@pytest.fixture
def violated(ws: Path) -> Path:
    """The sample workspace with ledger-app importing people-app's models (not public)."""
    path = ws / SERVICES
    path.write_text("from people_app.models import Person\n" + path.read_text(), encoding="utf-8")
    return ws


def test_json_holds_nodes_edges_and_the_violation_on_its_edge(violated: Path) -> None:
    # when drawn as JSON
    code, out, _ = run_cli(violated, "graph", "--format", "json")

    # then: every member, and the edges with their labels; the violation sits on the
    # ledger -> people imports edge
    assert code == 1
    graph = json.loads(out)
    assert [(n["name"], n["role"], n["public_modules"]) for n in graph["nodes"]] == [
        ("people-app", "library", ["people_app.api"]),
        ("ledger-app", "library", ["ledger_app.api"]),
        ("shop", "host", []),
    ]
    edges = [(e["source"], e["target"], e["kind"], e["labels"]) for e in graph["edges"]]
    assert edges == [
        ("ledger-app", "people-app", "depends", [">=1.0,<2"]),
        ("ledger-app", "people-app", "imports", ["people_app.api", "people_app.models"]),
        (
            "ledger-app",
            "people-app",
            "migrates",
            ["ledger_app.0001_initial -> people_app.0001_initial"],
        ),
        ("shop", "ledger-app", "depends", ["==1.0.0"]),
        ("shop", "ledger-app", "imports", ["ledger_app.api"]),
        ("shop", "people-app", "depends", ["==1.0.0"]),
    ]
    violations = {(e["source"], e["kind"]): e["violations"] for e in graph["edges"]}
    assert [(v["rule"], v["path"], v["line"]) for v in violations[("ledger-app", "imports")]] == [
        ("MR-IMPORT", SERVICES, 1)
    ]
    assert sum(len(v) for v in violations.values()) == 1
    assert graph["unattached_violations"] == []


def test_mermaid_and_dot_draw_the_violating_edge_red(violated: Path) -> None:
    # when drawn as mermaid and as dot
    _, mermaid, _ = run_cli(violated, "graph")
    _, dot, _ = run_cli(violated, "graph", "--format", "dot")

    # then the imports edge (the second) is red in both, the others keep their style
    assert mermaid.startswith("flowchart BT\n  people_app[")
    assert '  ledger_app -.->|"imports people_app.api, people_app.models; 1 violation(s): ' in (
        mermaid
    )
    assert "  linkStyle 1 stroke:#d00000,stroke-width:2.5px,color:#d00000\n" in mermaid
    assert "  ledger_app ==>|" in mermaid  # the migration dependency
    red = [line for line in dot.splitlines() if 'color="#d00000"' in line]
    assert red == [
        '  "ledger-app" -> "people-app" [label="imports people_app.api, people_app.models; '
        '1 violation(s): MR-IMPORT", style=dashed, color="#d00000", fontcolor="#d00000", '
        "penwidth=1.6];"
    ]


def test_svg_is_well_formed_and_shows_every_member(violated: Path, tmp_path: Path) -> None:
    # when drawn as SVG into a file
    target = tmp_path / "graph.svg"
    code, out, _ = run_cli(violated, "graph", "--format", "svg", "--output", str(target))

    # then the file is an SVG document with a box per member and one red edge
    assert (code, out) == (1, "")
    svg = ET.parse(target).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.tag == f"{ns}svg"
    nodes = {g.get("id"): [t.text for t in g.iter(f"{ns}text")] for g in svg.iter(f"{ns}g")}
    assert nodes["node-people-app"][0] == "people-app 1.0.0"
    assert nodes["node-ledger-app"][0] == "ledger-app 1.0.0"
    assert nodes["node-shop"][0] == "shop 0.1.0"
    paths = [p for p in svg.iter(f"{ns}path") if "edge" in (p.get("class") or "")]
    assert len(paths) == 6
    assert [p.get("class") for p in paths if p.get("stroke") == "#d00000"] == ["edge imports"]


def test_a_clean_workspace_graph_exits_0(ws: Path) -> None:
    assert run_cli(ws, "graph", "--format", "json")[0] == 0


def test_the_readme_shows_this_repository_s_graph() -> None:
    # given the README's mermaid block / when this repository is drawn / then they agree,
    # up to the version numbers a release moves (regenerate: uv run monorel graph)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- monorel graph -->\n```mermaid\n(.*?)```\n", readme, re.S)
    assert block is not None, "the README has no <!-- monorel graph --> mermaid block"
    code, out, _ = run_cli(ROOT, "graph")
    versions = re.compile(r"\d+\.\d+\.\d+")
    assert (code, versions.sub("X", block.group(1))) == (0, versions.sub("X", out))
