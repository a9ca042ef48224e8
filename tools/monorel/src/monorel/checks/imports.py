"""MR-IMPORT: a member imports another member only if it declares it, and only its public modules.

The graph comes from grimp (``monorel.adapters.grimp_``), over the import packages of every
member: imports in functions and under ``TYPE_CHECKING`` count. Tool members are checked
only where they import a library or host member (tools may share code among themselves).
"""

from __future__ import annotations

from pathlib import Path

from monorel.adapters import grimp_
from monorel.checks.context import CheckContext
from monorel.checks.declared import suggested_range
from monorel.checks.findings import Finding
from monorel.workspace import Member

RULE = "MR-IMPORT"
NAME = "imports"
SUMMARY = "imports follow declared dependencies and reach only public modules"


def check(ctx: CheckContext) -> list[Finding]:
    ws = ctx.ws
    packages = {m.import_name: m.package_dir for m in ws.members.values() if m.package_dir.is_dir()}
    result = grimp_.direct_imports(packages)
    if isinstance(result, grimp_.UnparsableModule):
        return [
            Finding(
                path=ctx.rel(Path(result.filename)),
                line=result.line,
                rule=RULE,
                message="cannot parse the module, so its imports are unchecked: "
                f"{result.text.strip()}",
                fix="fix the syntax error",
            )
        ]
    findings = []
    for imp in result:
        importer = ws.by_import_name(imp.importer.split(".")[0])
        target = ws.by_import_name(imp.imported.split(".")[0])
        if importer is None or target is None or importer.name == target.name:
            continue
        if importer.role == "tool" and target.role == "tool":
            continue
        finding = _violation(ctx, importer, target, imp)
        if finding is not None:
            findings.append(finding)
    return findings


def _violation(
    ctx: CheckContext, importer: Member, target: Member, imp: grimp_.DirectImport
) -> Finding | None:
    where = dict(path=ctx.rel(_module_file(importer, imp.importer)), line=imp.line, rule=RULE)
    if importer.role == "library" and target.role == "host":
        return Finding(
            **where,
            message=(
                f"{imp.importer} imports {imp.imported}: library {importer.name} may not "
                f"depend on {target.name}, the host"
            ),
            fix=(
                f"invert the dependency: define the interface in {importer.name} and let "
                f"{target.name} plug its implementation in through a setting"
            ),
        )
    if target.name not in ctx.ws.workspace_requirements(importer):
        return Finding(
            **where,
            message=(
                f"{imp.importer} imports {imp.imported}, but {importer.name} does not declare "
                f"{target.name} in [project].dependencies"
            ),
            fix=(
                f'declare "{suggested_range(target)}" in {ctx.rel(importer.pyproject)} '
                f"(with {target.name} = {{ workspace = true }} in [tool.uv.sources]), "
                "or remove the import"
            ),
        )
    if not _is_public(imp.imported, target):
        public = ", ".join(target.public_modules)
        return Finding(
            **where,
            message=(
                f"{imp.importer} imports {imp.imported}, which is not a public module of "
                f"{target.name} (public: {public})"
            ),
            fix=(
                f"import it from {target.public_modules[0] if target.public_modules else public} "
                f"(export it there if it is missing), or list the module in "
                f"[tool.monorel.packages.{target.name}] public-modules"
            ),
        )
    return None


def _is_public(module: str, target: Member) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in target.public_modules)


def _module_file(member: Member, module: str) -> Path:
    parts = module.split(".")[1:]
    base = member.package_dir.joinpath(*parts)
    if base.is_dir():
        return base / "__init__.py"
    return base.with_suffix(".py")
