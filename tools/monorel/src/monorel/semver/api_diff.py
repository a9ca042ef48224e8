"""Public API comparison: the member's public modules at the release point vs the tree.

Only ``Member.public_modules`` (``billing_app.api``) are compared, statically, with
griffe (``monorel.adapters.griffe_``). A name is public as griffe decides: listed in
``__all__`` where the module defines it, else not ``_private`` and not imported.
Breakages (griffe's kinds: removed objects, removed / renamed / newly required /
moved / re-kinded parameters, changed defaults, changed kinds, removed bases,
incompatible return types; plus names dropped from ``__all__`` while still defined,
and a removed public module) require a major and a ``breaking`` fragment; additions
(new public names, new optional parameters, parameters made optional, a new public
module) a minor. Renamed parameters are reported once, as a rename, where the new
name takes the old one's position and kind.
"""

from __future__ import annotations

from pathlib import Path

from monorel import exports, sources
from monorel.adapters import griffe_
from monorel.errors import PublicModuleMissing, SourceParseError
from monorel.semver.evidence import Evidence

_BREAKING_TEMPLATES = {
    "object-removed": "removes {name}",
    "object-unexported": "removes {name} from the public names (still defined)",
    "object-changed-kind": "changes {name} from {old} to {new}",
    "parameter-removed": "removes parameter {name}({parameter})",
    "parameter-renamed": "renames parameter {name}({old}) to {new}",
    "parameter-added-required": "adds required parameter {name}({parameter})",
    "parameter-changed-required": "makes parameter {name}({parameter}) required",
    "parameter-moved": "moves parameter {name}({parameter}) ({details})",
    "parameter-changed-kind": "changes parameter {name}({parameter}) from {old} to {new}",
    "parameter-changed-default": "changes the default of {name}({parameter}) from {old} to {new}",
    "return-changed-type": "changes the return type of {name} from {old} to {new}",
    "attribute-changed-type": "changes the type of {name} from {old} to {new}",
    "attribute-changed-value": "changes the value of {name} from {old} to {new}",
    "class-removed-base": "removes a base class of {name} ({old} -> {new})",
}
_ADDITION_TEMPLATES = {
    "object-added": "adds {name}",
    "parameter-added-optional": "adds optional parameter {name}({parameter})",
    "parameter-made-optional": "makes parameter {name}({parameter}) optional",
}


def compare(
    public_modules: tuple[str, ...], old_root: Path | None, new_root: Path, repo_root: Path
) -> list[Evidence]:
    """Evidence for every public module; ``old_root``/``new_root`` are source roots (the
    directory holding the import package, e.g. ``src``) of the release point and the tree.

    ``old_root`` is None where the package did not exist at the release point.
    ``repo_root`` and ``new_root`` place the evidence paths (repository-relative).
    """
    found: list[Evidence] = []
    for module in public_modules:
        old_file = _module_file(old_root, module) if old_root else None
        new_file = _module_file(new_root, module)
        rel = _repo_path(repo_root, new_root, module, new_file)
        if old_file is None and new_file is None:
            # no surface to compare is no evidence of "no change": say so, never "none"
            raise PublicModuleMissing(
                f"public module {module} exists neither at the release point nor in the "
                f"working tree ({rel}), so its API cannot be compared",
                fix="create the module, or set [tool.monorel.packages.<name>] public-modules "
                "to the modules that are public (public-modules = [] for none)",
            )
        if old_file is None:
            found.append(_module_evidence("api.module-added", rel, module, "adds", "minor"))
            continue
        if new_file is None:
            found.append(_module_evidence("api.module-removed", rel, module, "removes", "major"))
            continue
        assert old_root is not None
        _parse_or_raise(old_root, module, "at the release point")
        _parse_or_raise(new_root, module, "in the working tree")
        for change in griffe_.compare_module(module, old_root, new_root):
            found.append(_evidence(change, module, rel))
    return found


def _evidence(change: griffe_.ApiChange, module: str, rel: str) -> Evidence:
    templates = _BREAKING_TEMPLATES if change.breaking else _ADDITION_TEMPLATES
    template = templates.get(change.kind, "{kind} {name}")
    description = template.format(
        kind=change.kind,
        name=change.name,
        parameter=change.parameter,
        old=change.old or "?",
        new=change.new or "?",
        details=change.details,
    )
    obj = f"{module}.{change.name}" + (f"({change.parameter})" if change.parameter else "")
    return Evidence(
        kind=f"api.{change.kind}",
        path=rel,
        line=change.line,
        obj=obj,
        description=description,
        bump="major" if change.breaking else "minor",
        fragment_types=("breaking",) if change.breaking else (),
    )


def _module_evidence(kind: str, rel: str, module: str, verb: str, bump: str) -> Evidence:
    return Evidence(
        kind=kind,
        path=rel,
        line=None,
        obj=module,
        description=f"{verb} public module {module}",
        bump=bump,  # type: ignore[arg-type]
        fragment_types=("breaking",) if bump == "major" else (),
    )


def _module_file(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _repo_path(repo_root: Path, new_root: Path, module: str, new_file: Path | None) -> str:
    """The module's file relative to the repository (where it would be, if removed)."""
    path = new_file or new_root.joinpath(*module.split(".")).with_suffix(".py")
    return path.relative_to(repo_root).as_posix()


def _parse_or_raise(root: Path, module: str, where: str) -> None:
    # griffe logs and skips what it cannot parse; a public module that does not parse
    # must stop the verdict instead of reading as "everything was removed".
    file = _module_file(root, module)
    assert file is not None
    files = sorted(file.parent.rglob("*.py")) if file.name == "__init__.py" else [file]
    for path in files:
        try:
            sources.parse(path)
        except SyntaxError as exc:
            raise SourceParseError(
                f"public module {module} does not parse {where}: "
                f"{path.name}:{exc.lineno}: {exc.msg}",
                fix="fix the syntax error (or compare against another ref with --since)",
            ) from exc
        try:
            exports.static_exports(path)
        except exports.Unreadable as exc:
            # griffe would take every public-looking name for the API: a guess, not a verdict
            raise SourceParseError(
                f"public module {module} {where}: {path.name}: {exc}: its API cannot be told",
                fix="write __all__ as a literal list of strings (or drop it and use _private "
                "names for what is not public)",
            ) from exc
        data = path.read_bytes()
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            # griffe reads modules as UTF-8 whatever their coding cookie says: it would
            # compare a misread module, so say so instead
            raise SourceParseError(
                f"public module {module} is {sources.encoding_of(data)} {where} "
                f"({path.name}), and griffe reads public modules as UTF-8 only",
                fix=f"re-encode {path.name} as UTF-8 (and drop its coding cookie)",
            ) from exc
