"""MR-DJREF: Django string references are dependency edges and follow the declared graph.

Read with ``ast`` from every module of a member (and its settings module):
``ForeignKey/OneToOneField/ManyToManyField("label.Model")`` (first argument, ``to=``,
``through=``), ``get_model("label", "Model")`` / ``get_model("label.Model")``,
``get_app_config("label")``, ``include("pkg.urls")``, ``import_string``/``import_module``,
and, in settings modules, every string of an UPPERCASE setting that is a dotted path
(``BILLING_PAYMENT_GATEWAY = "host.payments.FakeGateway"``; plain app names in
``INSTALLED_APPS``). The first component names the target: an app label, else an import name.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from monorel import sources
from monorel.checks.context import CheckContext
from monorel.checks.declared import suggested_range
from monorel.checks.findings import Finding
from monorel.workspace import Member

RULE = "MR-DJREF"
NAME = "django-refs"
SUMMARY = "Django string references (models, urls, settings) follow declared dependencies"

_RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField"}
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
_NAME = re.compile(r"^[A-Za-z_]\w*$")
_TRIGGERS = re.compile(
    r"ForeignKey|OneToOneField|ManyToManyField|get_model|get_app_config|include|import_string"
    r"|import_module"
)


@dataclass(frozen=True)
class Reference:
    text: str  # the string as written
    target: str  # its first component: an app label or import name
    kind: str  # what made it a reference, for the message
    line: int


def check(ctx: CheckContext) -> list[Finding]:
    findings: list[Finding] = []
    for member in ctx.ws.members.values():
        for path in _files(ctx, member):
            settings = _is_settings(ctx, member, path)
            text = None if settings else _text(path)
            if text is not None and not _TRIGGERS.search(text):
                continue  # cheap pre-filter: no call that could make a reference
            tree = ctx.parse(path)
            if isinstance(tree, SyntaxError):
                continue  # MR-IMPORT reports unparsable modules
            for ref in references(tree, settings=settings):
                finding = _violation(ctx, member, path, ref)
                if finding is not None:
                    findings.append(finding)
    return findings


def references(tree: ast.Module, *, settings: bool) -> Iterator[Reference]:
    """String references in a module; in a settings module also its UPPERCASE settings."""
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):  # source order
        yield from _call_references(call)
    if settings:
        for stmt in tree.body:
            yield from _setting_references(stmt)


def _call_references(call: ast.Call) -> Iterator[Reference]:
    func = _func_name(call)
    args = [_string(a) for a in call.args]
    kwargs = {k.arg: _string(k.value) for k in call.keywords if k.arg}
    if func in _RELATION_FIELDS:
        for text in (args[0] if args else None, kwargs.get("to"), kwargs.get("through")):
            if text and "." in text:
                yield Reference(text, text.split(".", 1)[0], f"{func} target", call.lineno)
    elif func == "get_model":
        label = kwargs.get("app_label") or (args[0] if args else None)
        if label and (len(call.args) >= 2 or "model_name" in kwargs):
            yield Reference(label, label, "get_model", call.lineno)
        elif label and "." in label:
            yield Reference(label, label.split(".", 1)[0], "get_model", call.lineno)
    elif func == "get_app_config" and args and args[0]:
        yield Reference(args[0], args[0], "get_app_config", call.lineno)
    elif func == "include" and call.args:
        first = call.args[0]
        if isinstance(first, ast.Tuple | ast.List) and first.elts:
            first = first.elts[0]
        text = _string(first)
        if text and _DOTTED.match(text):
            yield Reference(text, text.split(".", 1)[0], "include", call.lineno)
    elif func in ("import_string", "import_module") and args and args[0]:
        text = args[0]
        if _DOTTED.match(text) or _NAME.match(text):
            yield Reference(text, text.split(".", 1)[0], func, call.lineno)


def _setting_references(stmt: ast.stmt) -> Iterator[Reference]:
    if isinstance(stmt, ast.Assign):
        names = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
        value = stmt.value
    elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
        names, value = [stmt.target.id], stmt.value
    else:
        return
    for name in names:
        if not name.isupper() or name.startswith("_"):
            continue
        for node in ast.walk(value):
            text = _string(node)
            if text is None:
                continue
            if _DOTTED.match(text) or (name == "INSTALLED_APPS" and _NAME.match(text)):
                yield Reference(text, text.split(".", 1)[0], f"setting {name}", node.lineno)


def _violation(ctx: CheckContext, member: Member, path: Path, ref: Reference) -> Finding | None:
    target = ctx.owner(ref.target)
    if target is None or target.name == member.name:
        return None
    where = dict(path=ctx.rel(path), line=ref.line, rule=RULE, target=target.name)
    if member.role == "library" and target.role == "host":
        return Finding(
            **where,
            message=(
                f'{ref.kind} "{ref.text}" points into {target.name}, the host: '
                f"library {member.name} may not depend on it"
            ),
            fix=(
                f"move what {member.name} needs into {member.name} (or a library it declares); "
                "let the host plug implementations in through settings"
            ),
        )
    if target.name not in ctx.ws.workspace_requirements(member):
        return Finding(
            **where,
            message=(
                f'{ref.kind} "{ref.text}" points into {target.name}, but {member.name} does '
                f"not declare {target.name} in [project].dependencies"
            ),
            fix=(
                f'declare "{suggested_range(target)}" in {ctx.rel(member.pyproject)}, '
                "or remove the reference"
            ),
        )
    return None


def _files(ctx: CheckContext, member: Member) -> list[Path]:
    files = ctx.source_files(member)
    settings = ctx.settings_file(member)
    if settings is not None and settings not in files:
        files.append(settings)
    return files


def _is_settings(ctx: CheckContext, member: Member, path: Path) -> bool:
    if path == ctx.settings_file(member):
        return True
    # a settings module, or a module of a settings package (settings/base.py, ...)
    return path.stem == "settings" or path.parent.name == "settings"


def _func_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _text(path: Path) -> str | None:
    try:
        return sources.read(path)
    except SyntaxError:
        return None  # undecodable: ctx.parse records it and MR-IMPORT reports it
