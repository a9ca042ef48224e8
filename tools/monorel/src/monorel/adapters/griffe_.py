"""griffe: the only module that imports griffe.

It loads one public module statically (no import, no inspection) from two source
roots, the release point's and the working tree's, and returns plain ``ApiChange``
records: griffe's breakages (``griffe.find_breaking_changes``) plus the additions
griffe does not report (new public names, new optional parameters).

Quirks handled here:
- griffe reports a breakage on the object that changed, which for a re-export
  (``from billing_app.services import create_invoice`` in ``api.py``) is the
  target; we name it by its public path (``create_invoice`` in ``billing_app.api``).
- a renamed parameter is, for griffe, a removed one plus an added one; where the
  new parameter takes the old one's position and kind we report one rename.
- aliases to other distributions (django, a sibling package) cannot be resolved
  from one source root; griffe skips them, and so do the additions.
- griffe logs (it does not raise) on modules it cannot parse: callers parse the
  public modules first (``ast``) so a syntax error is an error, not a silent skip.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import griffe

from monorel import exports

# griffe BreakageKind -> our stable kind id
_BREAKAGE_KINDS = {
    griffe.BreakageKind.OBJECT_REMOVED: "object-removed",
    griffe.BreakageKind.OBJECT_CHANGED_KIND: "object-changed-kind",
    griffe.BreakageKind.PARAMETER_REMOVED: "parameter-removed",
    griffe.BreakageKind.PARAMETER_ADDED_REQUIRED: "parameter-added-required",
    griffe.BreakageKind.PARAMETER_CHANGED_REQUIRED: "parameter-changed-required",
    griffe.BreakageKind.PARAMETER_MOVED: "parameter-moved",
    griffe.BreakageKind.PARAMETER_CHANGED_KIND: "parameter-changed-kind",
    griffe.BreakageKind.PARAMETER_CHANGED_DEFAULT: "parameter-changed-default",
    griffe.BreakageKind.RETURN_CHANGED_TYPE: "return-changed-type",
    griffe.BreakageKind.ATTRIBUTE_CHANGED_TYPE: "attribute-changed-type",
    griffe.BreakageKind.ATTRIBUTE_CHANGED_VALUE: "attribute-changed-value",
    griffe.BreakageKind.CLASS_REMOVED_BASE: "class-removed-base",
}


@dataclass(frozen=True)
class ApiChange:
    """One difference between two versions of a public module.

    ``name`` is relative to the public module (``create_invoice``, ``Invoice.total``);
    ``parameter`` is set for parameter changes; ``line`` is the line of the public
    name in the new module file (None for removals).
    """

    kind: str  # one of _BREAKAGE_KINDS' values, "parameter-renamed", "object-unexported",
    # or an addition:
    # "object-added", "parameter-added-optional", "parameter-made-optional"
    breaking: bool
    name: str
    parameter: str = ""
    line: int | None = None
    old: str = ""
    new: str = ""
    details: str = ""


def compare_module(module: str, old_root: Path, new_root: Path) -> list[ApiChange]:
    """Changes of public module ``module`` from ``old_root`` (a source root) to ``new_root``.

    Both versions must exist; the caller handles added or removed modules.
    """
    with griffe.logger.disable():
        old_loader, old = _load(module, old_root)
        _new_loader, new = _load(module, new_root)
        public = _PublicNames(old, new)
        breakages = list(griffe.find_breaking_changes(old, new))
        changes, renamed = _translate(breakages, public, old_loader)
        changes += _additions(old, new, public, renamed=renamed)
    return changes


def _load(module: str, root: Path) -> tuple[griffe.GriffeLoader, Any]:
    # one loader per tree: both trees hold the same package names
    loader = griffe.GriffeLoader(search_paths=[root], allow_inspection=False, store_source=False)
    return loader, loader.load(module)


class _PublicNames:
    """Maps an object path (a re-export's target, or a member of it) to its public name,
    and a public name to its line in the new module file."""

    def __init__(self, old: Any, new: Any) -> None:
        self._module = new.path
        self._file = new.filepath
        self._by_target: dict[str, str] = {}
        self._lines: dict[str, int | None] = {}
        for module in (old, new):
            for name, member in module.all_members.items():
                if not member.is_public:
                    continue
                self._by_target[member.path] = name
                target = _target_path(member)
                if target:
                    self._by_target.setdefault(target, name)
        for name, member in new.all_members.items():
            self._lines[name] = member.alias_lineno if member.is_alias else member.lineno

    def name_of(self, path: str) -> str:
        best = ""
        for target in self._by_target:
            if (path == target or path.startswith(target + ".")) and len(target) > len(best):
                best = target
        if not best:
            return path.removeprefix(self._module + ".")
        return self._by_target[best] + path[len(best) :]

    def line_of(self, name: str, obj: Any) -> int | None:
        """The object's own line where it is defined in the public module, else the line
        that makes its top-level name public there (a ``def``, ``class`` or import)."""
        if not obj.is_alias and obj.filepath == self._file and obj.lineno:
            return obj.lineno
        return self._lines.get(name.split(".", 1)[0])


def _target_path(member: Any) -> str | None:
    if not member.is_alias:
        return None
    try:
        return member.final_target.path
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return member.target_path


def _resolve(member: Any) -> Any | None:
    if not member.is_alias:
        return member
    try:
        return member.final_target
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None


def _translate(
    breakages: list[Any], public: _PublicNames, old_loader: griffe.GriffeLoader
) -> tuple[list[ApiChange], set[tuple[str, str]]]:
    """griffe breakages -> ApiChange; returns also the (function path, new name) renames."""
    renames = _renames(breakages, old_loader)
    renamed_new = {(path, new) for (path, _old), new in renames.items()}
    changes: list[ApiChange] = []
    for b in breakages:
        kind = _BREAKAGE_KINDS.get(b.kind, b.kind.name.lower().replace("_", "-"))
        name = public.name_of(b.obj.path)
        line = None if kind == "object-removed" else public.line_of(name, b.obj)
        if kind == "parameter-removed" and (b.obj.path, b.old_value.name) in renames:
            new_name = renames[(b.obj.path, b.old_value.name)]
            changes.append(
                ApiChange(
                    "parameter-renamed",
                    True,
                    name,
                    b.old_value.name,
                    line,
                    old=b.old_value.name,
                    new=new_name,
                )
            )
            continue
        if kind == "parameter-added-required" and (b.obj.path, b.new_value.name) in renamed_new:
            continue
        parameter = ""
        if kind.startswith("parameter-"):
            parameter = (b.new_value if kind == "parameter-added-required" else b.old_value).name
        old, new = _render(b)
        changes.append(ApiChange(kind, True, name, parameter, line, old, new, b.details))
    return changes, renamed_new


def _renames(breakages: list[Any], old_loader: griffe.GriffeLoader) -> dict[tuple[str, str], str]:
    """(function path, old parameter) -> new parameter, where a removed parameter's position
    and kind are taken by a parameter the old function did not have."""
    renames: dict[tuple[str, str], str] = {}
    for b in breakages:
        if b.kind is not griffe.BreakageKind.PARAMETER_REMOVED:
            continue
        try:
            old_function = old_loader.modules_collection[b.obj.path]
        except (KeyError, griffe.AliasResolutionError):
            continue
        old_params = list(old_function.parameters)
        old_names = {p.name for p in old_params}
        new_params = list(b.obj.parameters)
        index = next((i for i, p in enumerate(old_params) if p.name == b.old_value.name), None)
        if index is not None and index < len(new_params):
            candidate = new_params[index]
            if candidate.name not in old_names and candidate.kind is b.old_value.kind:
                renames[(b.obj.path, b.old_value.name)] = candidate.name
    return renames


def _render(breakage: Any) -> tuple[str, str]:
    """(old, new) as short text, for the kinds where the values say something."""
    kind, old, new = breakage.kind, breakage.old_value, breakage.new_value
    kinds = griffe.BreakageKind
    if kind is kinds.OBJECT_CHANGED_KIND:
        return old.value, new.value
    if kind is kinds.PARAMETER_CHANGED_KIND:
        return old.kind.value, new.kind.value
    if kind is kinds.PARAMETER_CHANGED_DEFAULT:
        return str(old.default), str(new.default)
    if kind in (kinds.RETURN_CHANGED_TYPE, kinds.ATTRIBUTE_CHANGED_TYPE):
        return str(old), str(new)
    if kind is kinds.CLASS_REMOVED_BASE:
        return ", ".join(str(b) for b in old), ", ".join(str(b) for b in new)
    return "", ""


def _additions(
    old: Any, new: Any, public: _PublicNames, *, renamed: set[tuple[str, str]]
) -> list[ApiChange]:
    """New public names and new optional parameters (griffe reports only breakages), and
    public names that are still defined but no longer public (griffe checks only that a
    name still exists, so dropping it from ``__all__`` goes unreported there)."""
    found: list[ApiChange] = []
    seen: set[str] = set()

    def walk(old_obj: Any, new_obj: Any, prefix: str) -> None:
        old_public = _public_members(old_obj)
        new_public = _public_members(new_obj)
        for name, member in new_public.items():
            dotted = f"{prefix}{name}"
            if name not in old_public:
                line = public.line_of(dotted, member)
                found.append(ApiChange("object-added", False, dotted, line=line))
                continue
            compare(old_public[name], member, dotted)
        hidden = set(old_public) - set(new_public)
        for name in sorted(hidden & set(_members(new_obj))):
            dotted = f"{prefix}{name}"
            line = public.line_of(dotted, _members(new_obj)[name])
            found.append(ApiChange("object-unexported", True, dotted, line=line))

    def compare(old_member: Any, new_member: Any, dotted: str) -> None:
        old_obj, new_obj = _resolve(old_member), _resolve(new_member)
        if old_obj is None or new_obj is None or old_obj.kind != new_obj.kind:
            return  # unresolvable re-export, or a kind change griffe already reported
        if new_obj.path in seen:
            return
        seen.add(new_obj.path)
        if new_obj.is_class or new_obj.is_module:
            walk(old_obj, new_obj, f"{dotted}.")
        elif new_obj.is_function:
            line = public.line_of(dotted, new_obj)
            found.extend(_parameter_additions(old_obj, new_obj, dotted, line, renamed))

    walk(old, new, "")
    return found


def _members(obj: Any) -> dict[str, Any]:
    try:
        return dict(obj.all_members)
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return {}


def _public_members(obj: Any) -> dict[str, Any]:
    members = _members(obj)
    if obj.is_module and isinstance(obj.filepath, Path):
        # griffe falls back to "every public-looking name" for an empty or computed
        # __all__: read it ourselves (the caller refused an unreadable one already)
        listed = exports.static_exports(Path(obj.filepath))
        if listed is not None:
            return {name: m for name, m in members.items() if name in listed}
    return {name: m for name, m in members.items() if m.is_public and name != exports.ALL_NAME}


def _parameter_additions(
    old: Any, new: Any, dotted: str, line: int | None, renamed: set[tuple[str, str]]
) -> list[ApiChange]:
    old_params = {p.name: p for p in old.parameters}
    found = []
    for param in new.parameters:
        if (new.path, param.name) in renamed:
            continue
        before = old_params.get(param.name)
        if before is None and not param.required:
            found.append(ApiChange("parameter-added-optional", False, dotted, param.name, line))
        elif before is not None and before.required and not param.required:
            found.append(ApiChange("parameter-made-optional", False, dotted, param.name, line))
    return found
