"""The workspace as a graph: members, what they declare, import and migrate, and where a
boundary is broken.

Nodes are the members (role, version, public modules). Edges, from the member that
depends to the member depended on:

- ``depends``: a declared workspace dependency (``[project].dependencies``), labelled
  with its version range;
- ``imports``: the modules of the target the source's code imports (grimp, as
  ``monorel check`` reads them);
- ``migrates``: cross-package migration dependencies (``("people_app", "0001_initial")``
  in a migration of another member), read by ``monorel.migration_files`` like the
  MR-MIGRATION rule.

Violations are the findings of the boundary rules (imports, django-refs, migrations),
suppressed ones left out: each is attached to the edge from its file's member to the
member it reaches into (an edge of its own where nothing else connects them), and
drawn red. The renderers (``graph_render``) turn this into mermaid, dot, JSON and SVG.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from monorel import migration_files
from monorel.adapters import grimp_
from monorel.checks import django_refs, imports, migrations, suppression
from monorel.checks.context import CheckContext
from monorel.checks.findings import Finding, sort_key
from monorel.workspace import Workspace

SCHEMA = "monorel.graph/1"
EdgeKind = Literal["depends", "imports", "migrates", "violates"]
EDGE_KINDS: tuple[EdgeKind, ...] = ("depends", "imports", "migrates", "violates")
_BOUNDARY_RULES = (imports, django_refs, migrations)
_NAME = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?")
_KIND_OF_RULE: dict[str, EdgeKind] = {imports.RULE: "imports", migrations.RULE: "migrates"}


@dataclass(frozen=True)
class Node:
    name: str
    role: str
    version: str
    released: bool
    path: str
    public_modules: tuple[str, ...]


@dataclass
class Edge:
    source: str
    target: str
    kind: EdgeKind
    labels: list[str] = field(default_factory=list)  # ranges, modules, migrations
    violations: list[Finding] = field(default_factory=list)

    @property
    def violated(self) -> bool:
        return bool(self.violations)


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]  # dependency order: dependencies first
    edges: tuple[Edge, ...]
    unattached: tuple[Finding, ...]  # violations with no member to point at

    def to_json(self) -> dict[str, object]:
        return {
            "schema": SCHEMA,
            "nodes": [
                {
                    "name": n.name,
                    "role": n.role,
                    "version": n.version,
                    "released": n.released,
                    "path": n.path,
                    "public_modules": list(n.public_modules),
                }
                for n in self.nodes
            ],
            "edges": [
                {
                    "source": e.source,
                    "target": e.target,
                    "kind": e.kind,
                    "labels": e.labels,
                    "violations": [f.to_json() for f in e.violations],
                }
                for e in self.edges
            ],
            "unattached_violations": [f.to_json() for f in self.unattached],
        }


def build(ws: Workspace) -> Graph:
    ctx = CheckContext(ws)
    nodes = tuple(
        Node(
            name=m.name,
            role=m.role,
            version=m.version,
            released=m.released,
            path=m.relpath(ws.root),
            public_modules=tuple(
                p for p in m.public_modules if m.module_file(p) or m.import_package(p)
            ),
        )
        for m in ws.topological_order()
    )
    edges: dict[tuple[str, str, EdgeKind], Edge] = {}

    def edge(source: str, target: str, kind: EdgeKind) -> Edge:
        return edges.setdefault((source, target, kind), Edge(source, target, kind))

    for member in ws.topological_order():
        for raw in member.raw_dependencies:
            name = canonicalize_name(Requirement(raw).name)
            if name in ws.members and name != member.name:
                spec = _NAME.sub("", raw, count=1).strip() or "any version"
                edge(member.name, name, "depends").labels.append(spec)
    for source, target, module in _imports(ws):
        labels = edge(source, target, "imports").labels
        if module not in labels:
            labels.append(module)
    for source, target, label in _migrations(ctx):
        labels = edge(source, target, "migrates").labels
        if label not in labels:
            labels.append(label)
    unattached = []
    for finding in _violations(ws, ctx):
        source = ws.member_of_path(finding.path)
        if source is None or finding.target is None or finding.target == source.name:
            unattached.append(finding)
            continue
        kind = _KIND_OF_RULE.get(finding.rule, "violates")
        if (source.name, finding.target, kind) not in edges:
            kind = "violates"  # e.g. an import in tests/ or a Django string reference
        edge(source.name, finding.target, kind).violations.append(finding)
    ordered = sorted(edges.values(), key=lambda e: (e.source, e.target, EDGE_KINDS.index(e.kind)))
    for e in ordered:
        e.labels.sort()
    return Graph(nodes, tuple(ordered), tuple(unattached))


def _imports(ws: Workspace) -> list[tuple[str, str, str]]:
    """(importer member, imported member, imported module) for every import across members."""
    found = grimp_.direct_imports(ws.import_package_paths())
    if isinstance(found, grimp_.UnparsableModule):
        return []  # MR-IMPORT reports it; the violations below carry it
    result = []
    for imp in found:
        source = ws.by_import_name(imp.importer.split(".")[0])
        target = ws.by_import_name(imp.imported.split(".")[0])
        if source is not None and target is not None and source.name != target.name:
            result.append((source.name, target.name, imp.imported))
    return sorted(set(result))


def _migrations(ctx: CheckContext) -> list[tuple[str, str, str]]:
    """(member, member it migrates after, "app.migration") for cross-package dependencies."""
    found = []
    for app in ctx.apps:
        for path in app.migration_files():
            tree = ctx.parse(path)
            if isinstance(tree, SyntaxError):
                continue
            for dep in migration_files.from_tree(path, tree).dependencies:
                other = ctx.app(dep.label)
                if other is None or other.member.name == app.member.name:
                    continue
                mine, theirs = f"{app.label}.{path.stem}", f"{other.label}.{dep.name}"
                if dep.reverse:  # run_before: their migration runs after this one
                    found.append((other.member.name, app.member.name, f"{theirs} -> {mine}"))
                else:
                    found.append((app.member.name, other.member.name, f"{mine} -> {theirs}"))
    return sorted(set(found))


def _violations(ws: Workspace, ctx: CheckContext) -> list[Finding]:
    """The boundary rules' findings, less those suppressed in the code."""
    found: list[Finding] = []
    for rule in _BOUNDARY_RULES:
        found += rule.check(ctx)
    names = {rule.NAME: rule.RULE for rule in _BOUNDARY_RULES}
    return sorted(suppression.apply(found, ws.root, names).kept, key=sort_key)
