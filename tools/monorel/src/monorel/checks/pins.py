"""MR-PIN: the host pins every workspace dependency to exactly the version it runs.

uv ignores the version specifier of a workspace-sourced dependency, so a stale
``billing-app==1.0.0`` pin locks and syncs cleanly after billing moves on. With
``host-pins = "current"`` (default) a pin must equal the member's current version; with
``"released"`` it must equal the member's last release point (tag, else history).
"""

from __future__ import annotations

from monorel.checks.context import CheckContext
from monorel.checks.declared import requirement_line
from monorel.checks.findings import Finding

RULE = "MR-PIN"
NAME = "pins"
SUMMARY = "the host pins workspace dependencies == their current (or released) version"


def check(ctx: CheckContext) -> list[Finding]:
    findings: list[Finding] = []
    mode = ctx.ws.config.host_pins
    for host in ctx.ws.members.values():
        if host.role != "host":
            continue
        for name, requirement in sorted(ctx.ws.workspace_requirements(host).items()):
            dependency = ctx.ws.members[name]
            if mode == "current":
                wanted, what = dependency.version, "its current version"
            else:
                point = ctx.last_release(dependency)
                if point is None:
                    findings.append(
                        Finding(
                            path=ctx.rel(host.pyproject),
                            line=requirement_line(host, name),
                            rule=RULE,
                            message=(
                                f"host-pins = released, but {name} has no release point "
                                f"(no tag {dependency.tag_glob} and no version in history)"
                            ),
                            fix=f'release {name} first, or set host-pins = "current"',
                        )
                    )
                    continue
                wanted, what = point.version, f"its last release, {point.source} {point.ref[:12]}"
            pins = [s for s in requirement.specifier if s.operator in ("==", "===")]
            pinned = pins[0].version if len(pins) == 1 and len(requirement.specifier) == 1 else None
            if pinned == wanted:
                continue
            declared = str(requirement.specifier) or "no version"
            findings.append(
                Finding(
                    path=ctx.rel(host.pyproject),
                    line=requirement_line(host, name),
                    rule=RULE,
                    message=(
                        f'host {host.name} declares "{requirement}" ({declared}), but {name} is '
                        f"{wanted} ({what}): uv ignores the pin of a workspace member"
                    ),
                    fix=f'pin "{name}=={wanted}" in {ctx.rel(host.pyproject)}',
                )
            )
    return findings
