"""MR-IMPORT: a member imports another member only if it declares it, and only its public modules.

The graph comes from grimp (``monorel.adapters.grimp_``), over the import packages of every
member: imports in functions and under ``TYPE_CHECKING`` count. Tool members are checked
only where they import a library or host member (tools may share code among themselves).

A library's or host's ``tests/`` directory is held to the same boundary: its tests may
use their own package freely, and another member only through its public modules and
only where the member declares it, in ``[project].dependencies`` or in one of its
``[dependency-groups]`` (test-only dependencies belong there).

Names count too (``monorel.api_usage``, the index the plan's "breaks" lines read as well):
every name another member imports from a public module (``from billing_app.api import
X``) or reaches through it (``api.X``) must be one of that module's public names in the
working tree, the version the workspace holds (its literal ``__all__``, else its defined
names without a leading underscore). A name it does not define, a name it does not
export, a star import of it, and a module whose names cannot be told statically (a star
import, a module-level ``__getattr__``, a computed ``__all__``) are findings: "unknown" is
never "ok".
"""

from __future__ import annotations

from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from monorel import api_usage
from monorel.adapters import grimp_
from monorel.checks.context import CheckContext
from monorel.checks.declared import suggested_range
from monorel.checks.findings import Finding
from monorel.workspace import Member

RULE = "MR-IMPORT"
NAME = "imports"
SUMMARY = "imports follow declared dependencies and reach only public modules"


# the import name under which a member's tests/ directory joins the graph: no real
# package can be called that, and its modules are the test files
_TESTS = "__monorel_tests__"


def check(ctx: CheckContext) -> list[Finding]:
    ws = ctx.ws
    packages = ws.import_package_paths()
    tests = {
        f"{_TESTS}{m.import_name}": m
        for m in ws.members.values()
        if m.role != "tool" and (m.path / "tests").is_dir()
    }
    packages |= {name: m.path / "tests" for name, m in tests.items()}
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
        top = imp.importer.split(".")[0]
        importer = tests[top] if top in tests else ws.by_import_name(top)
        target = ws.by_import_name(imp.imported.split(".")[0])
        if importer is None or target is None or importer.name == target.name:
            continue
        if importer.role == "tool" and target.role == "tool":
            continue
        if top in tests:
            file = _module_file(importer.path / "tests", imp.importer)
            declared = _test_dependencies(ctx, importer)
        else:
            package = importer.import_package(top)
            file = _module_file(package.path if package else importer.package_dir, imp.importer)
            declared = set(ctx.ws.workspace_requirements(importer))
        finding = _violation(ctx, importer, target, imp, file, declared)
        if finding is not None:
            findings.append(finding)
    return findings + _name_findings(ctx, api_usage.UsageIndex(ws))


def _name_findings(ctx: CheckContext, index: api_usage.UsageIndex) -> list[Finding]:
    """A usage of a name that the public module does not define, or does not export, or
    of which that cannot be told."""
    findings = []
    for usage in index.usages:
        importer = ctx.ws.members[usage.member]
        names = index.names(usage.module)
        target = ctx.ws.members[names.member]
        if importer.role == "tool" and target.role == "tool":
            continue
        problem = _name_problem(usage, names, target)
        if problem is None:
            continue
        message, fix = problem
        findings.append(
            Finding(
                path=ctx.rel(usage.path),
                line=usage.line,
                rule=RULE,
                message=f"{_who(ctx, importer, usage.path)} {message}",
                fix=fix,
            )
        )
    return findings


def _name_problem(
    usage: api_usage.Usage, names: api_usage.ModuleNames, target: Member
) -> tuple[str, str] | None:
    module, name = usage.module, usage.name
    at = f"{target.name} {target.version}"
    if name == api_usage.STAR:
        return (
            f"star-imports {module}: which of its names it uses cannot be told statically",
            f"import the names it uses explicitly (from {module} import A, B)",
        )
    status = names.status(name)
    if status == "public":
        return None
    what = f"imports {name} from {module}" if usage.how == "imports" else f"uses {module}.{name}"
    if names.path is None:
        return (
            f"{what}, but {at} has no module {module}",
            f"import it from a module {target.name} has, or list the right one in "
            f"[tool.monorel.packages.{target.name}] public-modules",
        )
    if status == "missing":
        return (
            f"{what}, which {module} does not define ({at} in the workspace)",
            f"use a name {module} defines, or define {name} there again (removing a public "
            "name is a breaking change)",
        )
    if status == "private":
        why = "not in its __all__" if names.exported is not None else "a _private name"
        return (
            f"{what}, which is not a public name of {module} ({why}; {at})",
            f"export {name} in {module}'s __all__ (a new public name), or stop using it",
        )
    return (
        f"{what}, and whether {module} ({at}) defines it as a public name cannot be told "
        f"statically: {names.why_unknown(name)}",
        f"give {module} a literal __all__ and static definitions (no star imports, no "
        "module-level __getattr__), so the boundary can be checked",
    )


def _who(ctx: CheckContext, member: Member, path: Path) -> str:
    """The dotted module of a package file, else (a test file) its path."""
    try:
        parts = path.relative_to(member.package_dir.parent).with_suffix("").parts
    except ValueError:
        return ctx.rel(path)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _violation(
    ctx: CheckContext,
    importer: Member,
    target: Member,
    imp: grimp_.DirectImport,
    file: Path,
    declared: set[str],
) -> Finding | None:
    where = dict(path=ctx.rel(file), line=imp.line, rule=RULE, target=target.name)
    who = ctx.rel(file) if imp.importer.startswith(_TESTS) else imp.importer
    if importer.role == "library" and target.role == "host":
        return Finding(
            **where,
            message=(
                f"{who} imports {imp.imported}: library {importer.name} may not "
                f"depend on {target.name}, the host"
            ),
            fix=(
                f"invert the dependency: define the interface in {importer.name} and let "
                f"{target.name} plug its implementation in through a setting"
            ),
        )
    if target.name not in declared:
        return Finding(
            **where,
            message=(
                f"{who} imports {imp.imported}, but {importer.name} does not declare "
                f"{target.name} in [project].dependencies"
            ),
            fix=(
                f'declare "{suggested_range(target)}" in {ctx.rel(importer.pyproject)} '
                f"(with {target.name} = {{ workspace = true }} in [tool.uv.sources]), "
                + (
                    "or, for tests only, in one of its [dependency-groups], "
                    if who != imp.importer
                    else ""
                )
                + "or remove the import"
            ),
        )
    if not _is_public(imp.imported, target):
        public = ", ".join(target.public_modules)
        return Finding(
            **where,
            message=(
                f"{who} imports {imp.imported}, which is not a public module of "
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


def _test_dependencies(ctx: CheckContext, member: Member) -> set[str]:
    """Members the member's tests may use: its dependencies and its dependency groups'."""
    declared = set(ctx.ws.workspace_requirements(member))
    for entries in (member.data.get("dependency-groups") or {}).values():
        for entry in entries if isinstance(entries, list) else []:
            try:
                name = canonicalize_name(Requirement(entry).name) if isinstance(entry, str) else ""
            except InvalidRequirement:
                continue
            if name in ctx.ws.members and name != member.name:
                declared.add(name)
    return declared


def _module_file(directory: Path, module: str) -> Path:
    if directory.suffix == ".py":
        return directory  # a single-module member
    parts = module.split(".")[1:]
    base = directory.joinpath(*parts)
    if base.is_dir():
        return base / "__init__.py"
    return base.with_suffix(".py")
