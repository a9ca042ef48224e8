"""check: `monorel check` on this repo and on generated workspaces of 10, 50 and 200 packages.

For each tree: the CLI's wall time (its own process, as CI runs it), then the same rules
in this process, each timed (they share one parsed-source cache, so a rule's time is
what it added), and plain ``lint-imports`` with contracts equivalent to MR-IMPORT
(``bench._generate.import_linter_config``), without its cache as monorel has none.
Growth is judged by the cost per added package between the sizes.
``--quick``: this repo and 10 packages.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from bench import _generate
from bench._harness import ROOT, BenchError, Report, Target, script, workdir
from bench._harness import run as run_command

NAME = "check"
SUMMARY = "monorel check on this repo and on 10/50/200 generated packages, vs lint-imports"
SIZES = (10, 50, 200)
QUICK_SIZES = (10,)
TARGET_200_SECONDS = 10.0


def run(quick: bool) -> Report:
    report = Report(
        NAME, quick, columns=["tree", "packages", "modules", "tool", "seconds", "findings"]
    )
    sizes = QUICK_SIZES if quick else SIZES
    if quick:
        report.skipped.append(f"--quick: sizes {', '.join(map(str, SIZES[1:]))} (full mode only)")
    # this repo, as it is checked out (its findings are whatever the tree has right now)
    _measure(report, "this repo", ROOT, packages=None, clean=False)
    walls: dict[int, float] = {}
    with workdir("check") as tmp:
        for size in sizes:
            root = tmp / f"ws-{size}"
            _generate.generate(root, size)
            walls[size] = _measure(report, f"generated {size}", root, packages=size, clean=True)
            _lint_imports(report, f"generated {size}", root, size)
    for size, seconds in walls.items():
        report.metrics[f"monorel_check_{size}_seconds"] = round(seconds, 3)
        report.metrics[f"monorel_check_{size}_ms_per_package"] = round(1000 * seconds / size, 1)
    ordered = sorted(walls)
    for small, large in zip(ordered, ordered[1:], strict=False):
        marginal = (walls[large] - walls[small]) / (large - small)
        report.metrics[f"marginal_ms_per_package_{small}_to_{large}"] = round(1000 * marginal, 1)
    if len(ordered) >= 3:
        first = report.metrics[f"marginal_ms_per_package_{ordered[0]}_to_{ordered[1]}"]
        last = report.metrics[f"marginal_ms_per_package_{ordered[-2]}_to_{ordered[-1]}"]
        report.metrics["growth_marginal_ratio"] = round(last / first, 2) if first > 0 else 0.0
        report.notes.append(
            f"cost per added package: {first} ms ({ordered[0]}->{ordered[1]}), "
            f"{last} ms ({ordered[-2]}->{ordered[-1]}); a ratio near 1 is linear growth"
        )
    if 200 in walls:
        report.targets.append(
            Target("monorel check, 200 packages", walls[200], TARGET_200_SECONDS, "s")
        )
    return report


def _measure(report: Report, tree: str, root: Path, *, packages: int | None, clean: bool) -> float:
    from monorel import workspace

    ws = workspace.load(root)
    count = len([m for m in ws.members.values() if m.role == "library"])
    modules = sum(len(list(m.package_dir.rglob("*.py"))) for m in ws.members.values())
    seconds, proc = run_command(
        [script("monorel"), "--root", root, "check", "--format", "json"],
        cwd=root,
        check=False,
        drop_env=("DJANGO_SETTINGS_MODULE",),
    )
    if proc.returncode not in (0, 1):
        raise BenchError(
            f"monorel check on {tree} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
        )
    findings = json.loads(proc.stdout)["summary"]["total"]
    if clean and findings:
        raise BenchError(
            f"the generated workspace should be clean, got {findings} finding(s):\n"
            + proc.stdout[-3000:]
        )
    base = {"tree": tree, "packages": packages or count, "modules": modules}
    report.rows.append(
        {**base, "tool": "monorel check (CLI wall)", "seconds": seconds, "findings": findings}
    )
    key = "repo" if packages is None else str(packages)
    report.metrics[f"monorel_check_{key}_cli_seconds"] = round(seconds, 3)
    for rule, rule_seconds, rule_findings in _per_rule(ws):
        report.rows.append(
            {
                **base,
                "tool": f"  rule {rule} (in-process)",
                "seconds": rule_seconds,
                "findings": rule_findings,
            }
        )
        report.metrics[f"rule_{rule}_{key}_seconds"] = round(rule_seconds, 3)
    return seconds


def _per_rule(ws) -> list[tuple[str, float, int]]:
    from monorel.checks import RULES
    from monorel.checks.context import CheckContext

    saved = os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    try:
        ctx = CheckContext(ws)
        timings = []
        for rule in RULES:
            started = time.perf_counter()
            found = rule.check(ctx)
            timings.append((rule.NAME, time.perf_counter() - started, len(found)))
        return timings
    finally:
        if saved is not None:
            os.environ["DJANGO_SETTINGS_MODULE"] = saved


def _lint_imports(report: Report, tree: str, root: Path, size: int) -> None:
    packages = _generate.plan(size)
    pythonpath = os.pathsep.join(str(p) for p in _generate.source_dirs(root, packages))
    seconds, proc = run_command(
        [script("lint-imports"), "--no-cache", ".importlinter"],
        cwd=root,
        env={"PYTHONPATH": pythonpath},
        check=False,
    )
    if proc.returncode != 0:
        raise BenchError(
            f"lint-imports on {tree} failed or found violations:\n{proc.stdout[-3000:]}"
        )
    modules = sum(1 for _ in root.glob("packages/*/src/**/*.py")) + sum(
        1 for _ in root.glob("apps/host/src/**/*.py")
    )
    kept = next((line for line in proc.stdout.splitlines() if line.startswith("Contracts:")), "")
    report.rows.append(
        {
            "tree": tree,
            "packages": size,
            "modules": modules,
            "tool": f"lint-imports, {size + 1} forbidden contracts (no cache)",
            "seconds": seconds,
            "findings": 0,
        }
    )
    report.metrics[f"lint_imports_{size}_seconds"] = round(seconds, 3)
    if kept:
        report.metrics[f"lint_imports_{size}_contracts"] = kept
