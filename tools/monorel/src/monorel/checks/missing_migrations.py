"""MR-MAKEMIGRATIONS: no model change lacks its migration, under each member's own settings.

Per member with Django apps: ``makemigrations --check --dry-run <its labels>`` in a
subprocess of this interpreter, with ``DJANGO_SETTINGS_MODULE`` = the member's settings
and ``sys.path`` led by the source directory and configured pythonpath of the member and
of its workspace dependencies, transitively (a library's test settings install its
dependencies' apps), or of every member for the host. The host also checks the
libraries' apps its settings install (a library's migrations must hold under the host's
settings too). Members run in parallel (forked from one process
that imported Django once); no database is touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from monorel.adapters import django_
from monorel.checks.context import CheckContext
from monorel.checks.findings import Finding
from monorel.workspace import Member, Workspace

RULE = "MR-MAKEMIGRATIONS"
NAME = "makemigrations"
SUMMARY = "no missing migrations (makemigrations --check) under each member's settings"

_BLOCK = re.compile(r"^Migrations for '(?P<label>[^']+)':\n(?P<body>(?:[ \t]+.*\n?)*)", re.M)
_NOT_INSTALLED = re.compile(r"^monorel: not installed: (?P<labels>.*)$", re.M)


@dataclass(frozen=True)
class _Job:
    member: Member
    labels: tuple[str, ...]  # every label to check
    own: tuple[str, ...]  # the member's own labels: these must be installed


def check(ctx: CheckContext) -> list[Finding]:
    findings: list[Finding] = []
    jobs: list[_Job] = []
    for member in ctx.ws.members.values():
        own = tuple(app.label for app in ctx.apps_of(member))
        if not own:
            continue
        if not member.django_settings:
            findings.append(
                Finding(
                    path=ctx.rel(member.pyproject),
                    line=1,
                    rule=RULE,
                    message=f"{member.name} defines Django apps ({', '.join(own)}) but no "
                    "settings to check their migrations with",
                    fix="set DJANGO_SETTINGS_MODULE in its [tool.pytest.ini_options], or "
                    f"django-settings in [tool.monorel.packages.{member.name}]",
                )
            )
            continue
        labels = own
        if member.role == "host":
            labels += tuple(app.label for app in ctx.apps if app.label not in own)
        jobs.append(_Job(member, labels, own))
    if not jobs:
        return findings
    results = django_.makemigrations_check(
        [
            django_.MakemigrationsJob(
                job.member.django_settings or "", job.labels, _pythonpath(ctx, job.member)
            )
            for job in jobs
        ],
        cwd=ctx.ws.root,
    )
    seen: set[tuple[str, str]] = set()
    # libraries first, so that the host's run does not repeat what they already reported
    for job, result in sorted(
        zip(jobs, results, strict=True), key=lambda p: p[0].member.role == "host"
    ):
        findings += _findings(ctx, job, result, seen)
    return findings


def _pythonpath(ctx: CheckContext, member: Member) -> tuple[Path, ...]:
    return import_path(ctx.ws, member)


def import_path(ws: Workspace, member: Member) -> tuple[Path, ...]:
    """Where the member's settings import from: a host's, every member's directories; a
    library's, its own and its workspace dependencies', transitively. (The semver verdict
    loads migrations with the same path.)

    Every import searches each entry, so one path of all 2N member directories per job
    made the rule O(N^2) (bench/RESULTS.md, C3). The entries keep the order of
    ``CheckContext.pythonpath()``, so a module resolves to the same file as with the full path.
    """
    needed = set(ws.members) if member.role == "host" else _with_dependencies(ws, member)
    paths: list[Path] = []
    for other in ws.members.values():
        if other.name not in needed:
            continue
        for path in (*other.source_roots, *other.pythonpath):
            if path not in paths:
                paths.append(path)
    return tuple(paths)


def _with_dependencies(ws: Workspace, member: Member) -> set[str]:
    """The member's name and those of its workspace dependencies, transitively."""
    names: set[str] = set()
    pending = [member.name]
    while pending:
        name = pending.pop()
        if name in names:
            continue
        names.add(name)
        pending += ws.workspace_requirements(ws.members[name])
    return names


def _findings(
    ctx: CheckContext, job: _Job, result: django_.CommandResult, seen: set[tuple[str, str]]
) -> list[Finding]:
    member, settings = job.member, job.member.django_settings
    findings: list[Finding] = []
    not_installed = _NOT_INSTALLED.search(result.stdout)
    for label in not_installed["labels"].split() if not_installed else []:
        if label in job.own:
            app = ctx.app(label)
            findings.append(
                Finding(
                    path=ctx.rel(member.pyproject),
                    line=1,
                    rule=RULE,
                    message=f"app {label!r} of {member.name} is not installed by its settings "
                    f"{settings}, so its migrations cannot be checked",
                    fix=f'add "{app.name if app else label}" to INSTALLED_APPS of {settings}',
                )
            )
    blocks = list(_BLOCK.finditer(result.stdout))
    for block in blocks:
        label = block["label"]
        lines = [line.strip() for line in block["body"].splitlines() if line.strip()]
        changes = "; ".join(line.lstrip("+-~ ") for line in lines[1:]) or "model changes"
        if (label, changes) in seen:
            continue
        seen.add((label, changes))
        app = ctx.app(label)
        path = ctx.rel(app.migrations_dir) if app else (lines[0] if lines else ctx.rel(member.path))
        findings.append(
            Finding(
                path=path,
                line=None,
                rule=RULE,
                message=f"models of app {label!r} changed without a migration under "
                f"{settings}: {changes}",
                fix=f"run `DJANGO_SETTINGS_MODULE={settings} python -m django makemigrations "
                f"{label}` and commit the new migration",
            )
        )
    if result.returncode != 0 and not blocks:
        tail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or ["no output"]
        findings.append(
            Finding(
                path=ctx.rel(member.pyproject),
                line=1,
                rule=RULE,
                message=f"makemigrations --check under {settings} failed "
                f"(exit {result.returncode}): {tail[0]}",
                fix=f"run `DJANGO_SETTINGS_MODULE={settings} python -m django makemigrations "
                f"--check --dry-run` to see the error",
            )
        )
    return findings
