"""``monorel graph`` output: mermaid (GitHub renders it in Markdown), Graphviz dot, and an
SVG drawn here (layered, dependencies below their dependents; no Graphviz needed).

Edge styles, in every format: ``depends`` solid grey, ``imports`` dashed blue,
``migrates`` thick purple, and any edge with a violation red.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from monorel.graph import Edge, Graph, Node

RED = "#d00000"
_STYLE = {  # kind -> (colour, dash pattern, width, mermaid arrow, dot style)
    "depends": ("#555555", "", 1.6, "-->", "solid"),
    "imports": ("#2f6fd0", "6 4", 1.6, "-.->", "dashed"),
    "migrates": ("#7b3fc4", "", 3.2, "==>", "bold"),
    "violates": (RED, "2 3", 2.0, "-.->", "dotted"),
}
_FILL = {"library": "#eaf1ff", "host": "#fff1de", "tool": "#eeeeee"}
_STROKE = {"library": "#2f6fd0", "host": "#c77700", "tool": "#777777"}


def node_lines(node: Node) -> list[str]:
    lines = [f"{node.name} {node.version}", node.role + (", released" if node.released else "")]
    if node.public_modules:
        lines.append("public: " + ", ".join(node.public_modules))
    return lines


def edge_label(edge: Edge) -> str:
    text = {
        "depends": ", ".join(edge.labels),
        "imports": "imports " + ", ".join(edge.labels),
        "migrates": "migrations " + ", ".join(edge.labels),
        "violates": "",
    }[edge.kind]
    if edge.violations:
        rules = sorted({f.rule for f in edge.violations})
        count = len(edge.violations)
        text = (text + "; " if text else "") + f"{count} violation(s): {', '.join(rules)}"
    return text


# -- mermaid ------------------------------------------------------------------------------


def mermaid(graph: Graph) -> str:
    lines = ["flowchart BT"]
    for node in graph.nodes:
        label = "<br/>".join(_mermaid_text(line) for line in node_lines(node))
        lines.append(f'  {_id(node.name)}["{label}"]')
    red: list[int] = []
    for index, edge in enumerate(graph.edges):
        arrow = _STYLE[edge.kind][3]
        label = edge_label(edge)
        text = f'|"{_mermaid_text(label)}"|' if label else ""
        lines.append(f"  {_id(edge.source)} {arrow}{text} {_id(edge.target)}")
        if edge.violated:
            red.append(index)
    for index, edge in enumerate(graph.edges):
        colour, _, width, _, _ = _STYLE[edge.kind]
        if not edge.violated and edge.kind != "depends":
            lines.append(f"  linkStyle {index} stroke:{colour},stroke-width:{width}px")
    if red:
        lines.append(
            f"  linkStyle {','.join(map(str, red))} stroke:{RED},stroke-width:2.5px,color:{RED}"
        )
    for role in ("library", "host", "tool"):
        members = [_id(n.name) for n in graph.nodes if n.role == role]
        if members:
            lines.append(f"  classDef role_{role} fill:{_FILL[role]},stroke:{_STROKE[role]}")
            lines.append(f"  class {','.join(members)} role_{role}")
    return "\n".join(lines)


def _id(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _mermaid_text(text: str) -> str:
    return (
        text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )


# -- dot ----------------------------------------------------------------------------------


def dot(graph: Graph) -> str:
    lines = [
        "digraph monorel {",
        "  rankdir=BT;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=12];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for node in graph.nodes:
        label = "\\n".join(_dot_text(line) for line in node_lines(node))
        lines.append(
            f'  "{node.name}" [label="{label}", fillcolor="{_FILL[node.role]}", '
            f'color="{_STROKE[node.role]}"];'
        )
    for edge in graph.edges:
        colour, _, width, _, style = _STYLE[edge.kind]
        colour = RED if edge.violated else colour
        lines.append(
            f'  "{edge.source}" -> "{edge.target}" [label="{_dot_text(edge_label(edge))}", '
            f'style={style}, color="{colour}", fontcolor="{colour}", penwidth={width}];'
        )
    lines.append("}")
    return "\n".join(lines)


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


# -- svg ----------------------------------------------------------------------------------

_FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
_CHAR = 7.4  # average advance of the 13px font, for box widths
_PAD, _LINE, _ROW, _GAP, _MARGIN = 12, 18, 150, 60, 40


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


def svg(graph: Graph, title: str) -> str:
    """A layered drawing: each member one row above its highest declared dependency; an
    edge that skips rows runs down a corridor right of the boxes it passes."""
    boxes, layers = _layout(graph)
    pairs = _pairs(graph)
    right = max((b.x + b.width for b in boxes.values()), default=200)
    corridors = {
        pair: right + 40 + 56 * i for i, pair in enumerate(p for p in pairs if _long(p, layers))
    }
    width = max([right, *corridors.values(), _legend_width() + _MARGIN]) + _MARGIN + 40
    legend_y = max((b.y + b.height for b in boxes.values()), default=60) + 50
    height = legend_y + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{_FONT}">',
        "<defs>",
        *(_marker(colour) for colour in sorted({s[0] for s in _STYLE.values()} | {RED})),
        "</defs>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        f'<text x="{_MARGIN}" y="28" font-size="16" font-weight="bold">{_esc(title)}</text>',
    ]
    labels: list[str] = []
    for (source, target), edges in pairs.items():
        out += _pair(edges, boxes[source], boxes[target], corridors.get((source, target)), labels)
    for node in graph.nodes:
        out += _node(node, boxes[node.name])
    out += labels  # above the boxes and lines, so that they stay readable
    out += _legend(legend_y)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _pairs(graph: Graph) -> dict[tuple[str, str], list[Edge]]:
    pairs: dict[tuple[str, str], list[Edge]] = {}
    for edge in graph.edges:
        pairs.setdefault((edge.source, edge.target), []).append(edge)
    return pairs


def _long(pair: tuple[str, str], layers: dict[str, int]) -> bool:
    return abs(layers[pair[0]] - layers[pair[1]]) > 1


def _layout(graph: Graph) -> tuple[dict[str, _Box], dict[str, int]]:
    depends = {
        n.name: [e.target for e in graph.edges if e.source == n.name and e.kind == "depends"]
        for n in graph.nodes
    }
    layer: dict[str, int] = {}
    for node in graph.nodes:  # dependencies first
        layer[node.name] = 1 + max((layer.get(d, 0) for d in depends[node.name]), default=-1)
    top = max(layer.values(), default=0)
    sizes = {n.name: _size(n) for n in graph.nodes}
    boxes: dict[str, _Box] = {}
    for level in range(top + 1):
        row = [n.name for n in graph.nodes if layer[n.name] == level]

        def barycentre(name: str) -> tuple[float, str]:
            below = [boxes[d].centre for d in depends[name] if d in boxes]
            return (sum(below) / len(below) if below else 0.0, name)

        row.sort(key=barycentre)
        x = float(_MARGIN)
        y = 50 + (top - level) * _ROW
        for name in row:
            w, h = sizes[name]
            boxes[name] = _Box(x, y, w, h)
            x += w + _GAP
    return boxes, layer


def _size(node: Node) -> tuple[float, float]:
    lines = node_lines(node)
    width = max(len(line) for line in lines) * _CHAR + 2 * _PAD
    return max(width, 140.0), len(lines) * _LINE + 2 * _PAD - 4


def _node(node: Node, box: _Box) -> list[str]:
    out = [
        f'<g class="node" id="node-{_esc(node.name)}">',
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" '
        f'rx="8" fill="{_FILL[node.role]}" stroke="{_STROKE[node.role]}" stroke-width="1.5"/>',
    ]
    for index, line in enumerate(node_lines(node)):
        weight = ' font-weight="bold"' if index == 0 else ""
        size = 14 if index == 0 else 12
        y = box.y + _PAD + 10 + index * _LINE
        out.append(
            f'<text x="{box.x + _PAD:.1f}" y="{y:.1f}" font-size="{size}"{weight}>'
            f"{_esc(line)}</text>"
        )
    out.append("</g>")
    return out


def _pair(
    edges: list[Edge], source: _Box, target: _Box, corridor: float | None, labels: list[str]
) -> list[str]:
    """The edges between two members side by side, and one label block for all of them."""
    out = []
    spread = 14
    mid_points = []
    for index, edge in enumerate(edges):
        shift = (index - (len(edges) - 1) / 2) * spread
        path, mid = _route(source, target, corridor, shift)
        mid_points.append(mid)
        colour, dash, width, _, _ = _STYLE[edge.kind]
        if edge.violated:
            colour, width = RED, max(width, 2.4)
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        title = "\n".join(f.render() for f in edge.violations) or (
            f"{edge.source} {edge.kind} {edge.target}"
        )
        out.append(
            f'<path class="edge {edge.kind}" d="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="{width}"{dashes} marker-end="url(#arrow-{colour[1:]})">'
            f"<title>{_esc(title)}</title></path>"
        )
    texts = [(edge_label(e), RED if e.violated else _STYLE[e.kind][0]) for e in edges]
    texts = [(t, c) for t, c in texts if t]
    if texts:
        x = max(m[0] for m in mid_points) + spread
        y = sum(m[1] for m in mid_points) / len(mid_points)
        labels.append(_label(texts, x, y))
    return out


def _route(
    source: _Box, target: _Box, corridor: float | None, shift: float
) -> tuple[str, tuple[float, float]]:
    """The path from ``source`` to ``target`` and the point its label goes next to."""
    x1, x2 = source.centre + shift, target.centre + shift
    if source.y == target.y:  # same row: an arc over the boxes
        y = source.y
        lift = 70 + shift
        return (
            f"M {x1:.1f} {y:.1f} Q {(x1 + x2) / 2:.1f} {y - lift * 2:.1f} {x2:.1f} {y:.1f}",
            ((x1 + x2) / 2, y - lift),
        )
    down = source.y < target.y
    y1 = source.y + source.height if down else source.y
    y2 = target.y if down else target.y + target.height
    if corridor is None:
        return f"M {x1:.1f} {y1:.1f} L {x2:.1f} {y2:.1f}", ((x1 + x2) / 2, (y1 + y2) / 2)
    step = 22 if down else -22
    xc = corridor + shift
    # enter and leave the boxes beside the short edges' ends, not on top of them
    x1, x2 = x1 + 40, x2 + 40
    points = [(x1, y1), (x1, y1 + step + shift / 3), (xc, y1 + step + shift / 3)]
    points += [(xc, y2 - step - shift / 3), (x2, y2 - step - shift / 3), (x2, y2)]
    path = "M " + " L ".join(f"{x:.1f} {y:.1f}" for x, y in points)
    return path, (xc, (y1 + y2) / 2)


def _label(texts: list[tuple[str, str]], x: float, y: float) -> str:
    shown = [(t if len(t) <= 80 else t[:79] + "…", c) for t, c in texts]
    width = max(len(t) for t, _ in shown) * 6.3 + 10
    height = 15 * len(shown) + 4
    top = y - height / 2
    out = [
        f'<g class="label"><rect x="{x:.1f}" y="{top:.1f}" width="{width:.1f}" '
        f'height="{height:.1f}" rx="3" fill="#ffffff" fill-opacity="0.92" stroke="#dddddd"/>'
    ]
    for index, (text, colour) in enumerate(shown):
        out.append(
            f'<text x="{x + 5:.1f}" y="{top + 14 + 15 * index:.1f}" font-size="11" '
            f'fill="{colour}">{_esc(text)}</text>'
        )
    out.append("</g>")
    return "".join(out)


def _marker(colour: str) -> str:
    return (
        f'<marker id="arrow-{colour[1:]}" viewBox="0 0 10 10" refX="9" refY="5" '
        f'markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" '
        f'orient="auto-start-reverse">'
        f'<path d="M 0 0 L 10 5 L 0 10 z" fill="{colour}"/></marker>'
    )


_LEGEND = (
    ("depends", "declared dependency"),
    ("imports", "imports"),
    ("migrates", "migration dependency"),
    ("violates", "violation (any edge in red)"),
)


def _legend_width() -> float:
    return sum(60 + len(name) * 7 for _, name in _LEGEND)


def _legend(y: float) -> list[str]:
    out = []
    x = float(_MARGIN)
    for kind, name in _LEGEND:
        colour, dash, width, _, _ = _STYLE[kind]
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + 36:.1f}" y2="{y:.1f}" stroke="{colour}" '
            f'stroke-width="{width}"{dashes}/>'
        )
        out.append(f'<text x="{x + 44:.1f}" y="{y + 4:.1f}" font-size="12">{name}</text>')
        x += 60 + len(name) * 7
    return out


def _esc(text: str) -> str:
    return html.escape(text, quote=True)
