"""MR-METADATA: the metadata a released package ships bounds every workspace dependency.

Locally uv resolves a workspace dependency through ``[tool.uv.sources]``, so a bare
``accounts-app`` works in the workspace and ships as an unbounded ``Requires-Dist`` in a
wheel built with ``--no-sources``. Hatchling writes ``[project].dependencies`` and
``[project.optional-dependencies]`` verbatim as ``Requires-Dist``, so by default this
rule reads them from pyproject.toml (no build). ``--build`` builds each wheel with
``uv build --wheel --no-sources`` instead and reads ``Requires-Dist`` from its METADATA.
"""

from __future__ import annotations

import tempfile
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from monorel.adapters import uv
from monorel.checks.context import CheckContext
from monorel.checks.declared import requirement_line, suggested_range
from monorel.checks.findings import Finding
from monorel.workspace import Member

RULE = "MR-METADATA"
NAME = "metadata"
SUMMARY = "released packages declare a version range for every workspace dependency"


def check(ctx: CheckContext) -> list[Finding]:
    findings: list[Finding] = []
    for member in ctx.ws.members.values():
        if not member.released:
            continue
        if ctx.build:
            requirements, source = _built(member), "the built wheel's METADATA"
        else:
            static = _declared(member)
            if static is None:
                findings.append(
                    Finding(
                        path=ctx.rel(member.pyproject),
                        line=1,
                        rule=RULE,
                        message=f"{member.name} computes its dependencies (dynamic), so "
                        "pyproject.toml does not show what the wheel will require",
                        fix="declare [project].dependencies statically, or run "
                        "`monorel check --build` to read the built metadata",
                    )
                )
                continue
            requirements, source = static, "[project] of pyproject.toml"
        for requirement in requirements:
            finding = _unbounded(ctx, member, requirement, source)
            if finding is not None:
                findings.append(finding)
    return findings


def _unbounded(
    ctx: CheckContext, member: Member, requirement: Requirement, source: str
) -> Finding | None:
    name = canonicalize_name(requirement.name)
    if name not in ctx.ws.members or name == member.name:
        return None
    if requirement.url:
        problem = f"a direct reference ({requirement.url})"
    elif not requirement.specifier:
        problem = "no version range"
    else:
        return None
    return Finding(
        path=ctx.rel(member.pyproject),
        line=requirement_line(member, name, requirement),
        rule=RULE,
        message=(
            f'{member.name} requires "{requirement}" with {problem} in {source}: '
            f"installed from an index it would accept any {name}"
        ),
        fix=f'declare "{suggested_range(ctx.ws.members[name])}"',
    )


def _declared(member: Member) -> list[Requirement] | None:
    """What hatchling writes as Requires-Dist; None when dependencies are dynamic."""
    project = member.data["project"]
    if "dependencies" in project.get("dynamic", []):
        return None
    requirements = list(member.requirements)
    for extra in project.get("optional-dependencies", {}).values():
        for raw in extra:
            try:
                requirements.append(Requirement(raw))
            except InvalidRequirement:
                continue  # the workspace model reports invalid [project].dependencies
    return requirements


def _built(member: Member) -> list[Requirement]:
    with tempfile.TemporaryDirectory(prefix="monorel-metadata-") as tmp:
        wheel = uv.build_wheel(member.path, Path(tmp))
        with zipfile.ZipFile(wheel) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            metadata = Parser().parsestr(archive.read(name).decode("utf-8"))
    return [Requirement(raw) for raw in metadata.get_all("Requires-Dist") or []]
