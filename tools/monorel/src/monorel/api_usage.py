"""Which names of each member's public modules the other members use, and which names those
modules define: the one index that MR-IMPORT's name rule and the plan's "breaks" lines read.

Everything is read statically with ``ast``, from the working tree (the versions the
workspace holds); nothing is imported.

A public module *defines* every name bound at its top level (assignments, ``def``,
``class``, imports, also inside top-level ``if``/``try``/``with``/``for``), plus, for a
package, its submodules. Its *public* names are its ``__all__`` where that is a literal
(``__all__ = [...]``, ``+= [...]``, ``.append("x")``, ``.extend([...])``), else the defined
names without a leading underscore; module metadata (``__name__``, a defined ``__all__``
or ``__version__``) always counts as public. Where the names cannot be told statically, a lookup
answers "unknown" with the reason, never "missing" or "public": a star import, a module-level
``__getattr__`` or a write through ``globals()`` (any name may exist), a computed
``__all__`` (any defined name may be public), a module that does not parse.

A *usage* is one line of another member's package or ``tests/`` code that reaches a name
of a public module: ``from billing_app.api import X`` (imports X), or ``api.X`` /
``getattr(api, "X")`` after ``from billing_app import api``, ``import billing_app.api as
api`` or ``import billing_app.api`` (uses X). ``from billing_app.api import *`` is a usage
of the name ``*``: which names it needs cannot be told.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal, Protocol

from monorel import exports
from monorel.workspace import Member, Workspace

Status = Literal["public", "private", "missing", "unknown"]
STAR = "*"
# attributes every module has, whatever its source says
_MODULE_ATTRIBUTES = frozenset(
    ("__name__", "__doc__", "__file__", "__package__", "__loader__", "__spec__", "__path__")
    + ("__cached__", "__builtins__", "__dict__")
)


@dataclass(frozen=True)
class ModuleNames:
    """What a public module defines, as far as can be told statically."""

    module: str  # dotted, e.g. "billing_app.api"
    member: str  # the member that owns it
    path: Path | None  # its file; None where the module does not exist
    defined: frozenset[str]
    exported: frozenset[str] | None  # a literal __all__; None: there is none (or unknown)
    all_unknown: str | None  # why __all__ cannot be read ("computed at line 4"), else None
    dynamic: str | None  # why undefined names may exist anyway ("a star import at line 3")

    def status(self, name: str) -> Status:
        """Whether ``from <module> import name`` reaches one of its public names."""
        if self.path is None:
            return "missing"
        if name in _MODULE_ATTRIBUTES or (_is_dunder(name) and name in self.defined):
            return "public"  # module metadata (__all__, __version__), never private
        if name in self.defined:
            if self.all_unknown is not None:
                return "unknown"
            if self.exported is not None:
                return "public" if name in self.exported else "private"
            return "private" if name.startswith("_") else "public"
        return "unknown" if self.dynamic is not None else "missing"

    def why_unknown(self, name: str) -> str:
        return (self.all_unknown if name in self.defined else self.dynamic) or ""


@dataclass(frozen=True)
class Usage:
    """One line of ``member``'s code that reaches ``name`` of public module ``module``."""

    member: str  # the using member
    path: Path  # the file
    line: int
    module: str  # the public module, e.g. "billing_app.api"
    name: str  # e.g. "webhook_payload"; STAR for a star import
    how: Literal["imports", "uses"]

    def describe(self, root: Path) -> str:
        """``apps/host/src/host/webhooks.py:12 imports webhook_payload``."""
        where = f"{_rel(root, self.path)}:{self.line}"
        if self.name == STAR:
            return f"{where} star-imports {self.module} (which names it uses cannot be told)"
        what = (
            self.name if self.how == "imports" else f"{self.module.rsplit('.', 1)[-1]}.{self.name}"
        )
        return f"{where} {self.how} {what}"


class UsageIndex:
    """Usages of every member's public modules by the other members, and those modules'
    names; read once per command (``Workspace.api_usage``-style: build it once, ask often)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._names: dict[str, ModuleNames] = {}
        self.unparsable: list[tuple[Path, int, str]] = []  # (file, line, message)

    @cached_property
    def public_modules(self) -> dict[str, Member]:
        """Every public module of every member -> its owner."""
        return {module: m for m in self.ws.members.values() for module in m.public_modules}

    def names(self, module: str) -> ModuleNames:
        if module not in self._names:
            self._names[module] = _read_names(module, self.public_modules[module])
        return self._names[module]

    @cached_property
    def usages(self) -> list[Usage]:
        found: list[Usage] = []
        for member in self.ws.members.values():
            for path in _source_files(member):
                try:
                    tree = ast.parse(path.read_bytes(), filename=str(path))
                except SyntaxError as exc:
                    self.unparsable.append((path, exc.lineno or 1, exc.msg))
                    continue
                found += _usages_in(tree, member, path, self.public_modules)
        return sorted(found, key=lambda u: (u.member, str(u.path), u.line, u.name))

    def users(self, module: str, name: str | None = None) -> list[Usage]:
        """Usages of ``module`` (of ``name`` only, plus star imports, where given)."""
        return [
            u
            for u in self.usages
            if u.module == module and (name is None or u.name in (name, STAR))
        ]


def public_module_of(obj: str, modules: tuple[str, ...]) -> tuple[str, str] | None:
    """("billing_app.api", "InvoiceService") for "billing_app.api.InvoiceService.create(x)":
    the public module a dotted object lives in and its top-level name there ("" for the
    module itself); None when it is in none of ``modules``."""
    dotted = obj.split("(", 1)[0]
    for module in sorted(modules, key=len, reverse=True):
        if dotted == module:
            return module, ""
        if dotted.startswith(module + "."):
            return module, dotted[len(module) + 1 :].split(".", 1)[0]
    return None


def _source_files(member: Member) -> Iterator[Path]:
    """The member's package modules, and its tests/ (tools: the package only)."""
    roots = [member.package_dir]
    if member.role != "tool":
        roots.append(member.path / "tests")
    for root in roots:
        if root.is_dir():
            yield from sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _usages_in(
    tree: ast.Module, member: Member, path: Path, public: dict[str, Member]
) -> list[Usage]:
    def foreign(module: str) -> bool:
        return module in public and public[module].name != member.name

    found: list[Usage] = []
    bound: dict[str, str] = {}  # local name -> the dotted module it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if foreign(node.module):
                    found.append(
                        Usage(member.name, path, node.lineno, node.module, alias.name, "imports")
                    )
                elif foreign(f"{node.module}.{alias.name}"):
                    bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:  # `import billing_app.api` binds billing_app
                    top = alias.name.split(".", 1)[0]
                    bound.setdefault(top, top)
    if not bound:
        return found
    for node in ast.walk(tree):
        target: ast.expr | None = None
        name = ""
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            target, name = node.value, node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            target, name = node.args[0], node.args[1].value
        module = _resolved(target, bound) if target is not None else None
        if module is not None and foreign(module):
            line = getattr(node, "lineno", 0)
            found.append(Usage(member.name, path, line, module, name, "uses"))
    return found


def _resolved(node: ast.expr, bound: dict[str, str]) -> str | None:
    """The dotted module an expression like ``api`` or ``billing_app.api`` stands for."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in bound:
        return None
    return ".".join([bound[node.id], *reversed(parts)])


def _read_names(module: str, owner: Member) -> ModuleNames:
    path = _module_file(owner, module)
    if path is None:
        return ModuleNames(module, owner.name, None, frozenset(), None, None, None)
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as exc:
        reason = f"{path.name} does not parse (line {exc.lineno}: {exc.msg})"
        return ModuleNames(module, owner.name, path, frozenset(), None, reason, reason)
    reader = _TopLevel()
    reader.read(tree.body)
    try:
        exported, all_unknown = exports.exports_of(tree), None
    except exports.Unreadable as exc:
        exported, all_unknown = None, str(exc)
    writes = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "globals"
    ]
    if writes and reader.dynamic is None:
        reader.dynamic = f"globals() at line {writes[0]} (names may be set through it)"
    defined = set(reader.defined)
    if path.name == "__init__.py":
        defined |= {
            p.stem if p.suffix == ".py" else p.name
            for p in path.parent.iterdir()
            if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
        }
    return ModuleNames(
        module=module,
        member=owner.name,
        path=path,
        defined=frozenset(defined),
        exported=exported,
        all_unknown=all_unknown,
        dynamic=reader.dynamic,
    )


def _module_file(owner: Member, module: str) -> Path | None:
    base = owner.package_dir.parent.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


class _TopLevel:
    """The names a module body binds at import time (``__all__`` is ``monorel.exports``')."""

    def __init__(self) -> None:
        self.defined: set[str] = set()
        self.dynamic: str | None = None

    def read(self, body: list[ast.stmt]) -> None:
        for node in body:
            self._statement(node)

    def _statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self.defined.add(node.name)
            if node.name == "__getattr__" and not isinstance(node, ast.ClassDef):
                self.dynamic = self.dynamic or f"a module-level __getattr__ at line {node.lineno}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                self.defined.add(alias.asname or alias.name.split(".", 1)[0])
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == STAR:
                    self.dynamic = self.dynamic or f"a star import at line {node.lineno}"
                else:
                    self.defined.add(alias.asname or alias.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            self._assignment(node)
        elif isinstance(node, ast.If | ast.Try | ast.TryStar | ast.With | ast.For | ast.While):
            if isinstance(node, ast.For):
                self._targets(node.target)
            for block in ("body", "orelse", "finalbody"):
                self.read(getattr(node, block, []))
            for handler in getattr(node, "handlers", []):
                if handler.name:
                    self.defined.add(handler.name)
                self.read(handler.body)

    def _assignment(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if isinstance(node, ast.AnnAssign) and node.value is None:
            return  # an annotation alone binds nothing
        for target in targets:
            self._targets(target)

    def _targets(self, target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.defined.add(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._targets(element)
        elif isinstance(target, ast.Starred):
            self._targets(target.value)


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


BreakStatus = Literal["uses", "broken", "unknown"]


@dataclass(frozen=True)
class Break:
    """A workspace member that uses a name a breaking API change removes or changes.

    ``status``: "broken" where the name is no longer public in the working tree (the
    member fails now), "unknown" where that cannot be told (a star import, a file that
    does not parse), "uses" where the name is still there but changed (a signature): the
    member may need changing.
    """

    change: str  # the evidence's subject, e.g. "api.py removes webhook_payload"
    member: str  # the using member
    usage: str  # "apps/host/src/host/webhooks.py:12 imports webhook_payload"
    status: BreakStatus
    path: str  # repository-relative
    line: int | None
    name: str

    @property
    def summary(self) -> str:
        """``breaks host: apps/host/src/host/webhooks.py:12 imports webhook_payload``."""
        return f"breaks {self.member}: {self.usage}"

    @property
    def problem(self) -> str | None:
        """Why the release must not happen as it stands; None for a mere use."""
        if self.status == "broken":
            return f"{self.change}, which {self.member} still uses: {self.usage}"
        if self.status == "unknown":
            return f"{self.change}: whether {self.member} uses it cannot be told: {self.usage}"
        return None

    def as_dict(self) -> dict[str, object]:
        return {
            "change": self.change,
            "member": self.member,
            "path": self.path,
            "line": self.line,
            "name": self.name,
            "usage": self.usage,
            "status": self.status,
        }


class _ApiEvidence(Protocol):
    """What ``breaks`` reads of a ``semver.Evidence`` item."""

    @property
    def kind(self) -> str: ...

    @property
    def obj(self) -> str: ...

    @property
    def bump(self) -> str: ...

    @property
    def subject(self) -> str: ...


def breaks(index: UsageIndex, member: Member, evidence: Iterable[_ApiEvidence]) -> list[Break]:
    """For each breaking public-API evidence item of ``member``, the other members that use
    the removed or changed name (and the files whose uses cannot be read)."""
    found: list[Break] = []
    root = index.ws.root
    for item in evidence:
        if not (item.kind.startswith("api.") and item.bump == "major"):
            continue
        located = public_module_of(item.obj, member.public_modules)
        if located is None:
            continue
        module, name = located
        names = index.names(module)
        for usage in index.users(module, name or None):
            if usage.name == STAR:
                status: BreakStatus = "unknown"
            elif not name or names.status(usage.name) != "public":
                status = "broken" if names.status(usage.name) != "unknown" else "unknown"
            else:
                status = "uses"
            found.append(
                Break(
                    change=item.subject,
                    member=usage.member,
                    usage=usage.describe(root),
                    status=status,
                    path=_rel(root, usage.path),
                    line=usage.line,
                    name=usage.name,
                )
            )
        for path, line, message in index.unparsable:
            if _owner(index.ws, path) == member.name:
                continue
            found.append(
                Break(
                    change=item.subject,
                    member=_owner(index.ws, path),
                    usage=f"{_rel(root, path)}:{line} does not parse ({message})",
                    status="unknown",
                    path=_rel(root, path),
                    line=line,
                    name=name,
                )
            )
    return found


def _owner(ws: Workspace, path: Path) -> str:
    return next((m.name for m in ws.members.values() if path.is_relative_to(m.path)), "?")
