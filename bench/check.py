"""check: `monorel check` on this repo and on generated workspaces of 10, 50 and 200 packages.

For each tree: the CLI's wall time (its own process, as CI runs it) cold (no cache), then
warm (the cache of the cold run, nothing changed), then warm with one member's models
changed (a field without its migration: the run must report exactly that, and print what a
``--no-cache`` run of the same tree prints); the same rules in this process, each timed
without the cache (they share one parsed-source cache, so a rule's time is what it added);
plain ``lint-imports`` with contracts equivalent to MR-IMPORT
(``bench._generate.import_linter_config``), without its cache as a cold monorel has none;
and ``tach check`` with equivalent modules and interfaces (``bench._generate.tach_config``),
without its cache too. Growth is judged by the cost per added package between the sizes.
``--quick``: this repo and 10 packages. ``--size 1000`` (repeatable): those sizes instead
of 10/50/200 (1,000 packages take minutes: opt-in).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from bench import _generate
from bench._harness import ROOT, BenchError, Report, Target, script, workdir
from bench._harness import run as run_command

NAME = "check"
SUMMARY = "monorel check (cold, warm, one change) on generated packages, vs lint-imports and tach"
SIZES = (10, 50, 200)
QUICK_SIZES = (10,)
TARGET_200_SECONDS = 10.0
WARM_CHANGED_RATIO = 0.20  # warm run with one member's models changed / cold run, 200 packages
TARGET_1000_COLD_SECONDS = 30.0
TARGET_1000_WARM_SECONDS = 3.0
PER_RULE_UP_TO = 200  # the in-process per-rule timing is one more cold run: not at 1,000
COMPARED_UP_TO = 200  # lint-imports and tach run up to this size


def run(quick: bool, sizes: Sequence[int] | None = None) -> Report:
    report = Report(
        NAME, quick, columns=["tree", "packages", "modules", "tool", "seconds", "findings"]
    )
    chosen = tuple(sizes) if sizes else (QUICK_SIZES if quick else SIZES)
    if quick and not sizes:
        report.skipped.append(f"--quick: sizes {', '.join(map(str, SIZES[1:]))} (full mode only)")
    if 1000 not in chosen:
        report.skipped.append("size 1000 (opt-in: python -m bench check --size 1000)")
    # this repo, as it is checked out (its findings are whatever the tree has right now)
    _measure(report, "this repo", ROOT, packages=None, clean=False)
    walls: dict[int, float] = {}
    warm: dict[int, tuple[float, float]] = {}
    others: dict[int, dict[str, float]] = {}
    with workdir("check") as tmp:
        for size in chosen:
            root = tmp / f"ws-{size}"
            _generate.generate(root, size)
            tree = f"generated {size}"
            walls[size], cold = _measure(report, tree, root, packages=size, clean=True)
            warm[size] = _warm(report, tree, root, size, cold)
            if size > COMPARED_UP_TO:
                report.skipped.append(
                    f"lint-imports and tach at {size} packages (lint-imports grows with "
                    "contracts x forbidden modules: 38 s at 200, some 15 min at 1,000)"
                )
                continue
            others[size] = {
                "lint-imports": _lint_imports(report, tree, root, size),
                "tach": _tach(report, tree, root, size),
            }
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
    for size, (unchanged, changed) in warm.items():
        ratio = changed / walls[size] if walls[size] else 0.0
        report.metrics[f"monorel_check_{size}_warm_ratio"] = round(ratio, 3)
        compared = (
            f"; lint-imports {others[size]['lint-imports']:.2f} s, "
            f"tach {others[size]['tach']:.2f} s"
            if size in others
            else ""
        )
        report.notes.append(
            f"{size} packages: cold {walls[size]:.2f} s, warm {unchanged:.2f} s, warm with one "
            f"member's models changed {changed:.2f} s ({100 * ratio:.0f} % of cold){compared}"
        )
    if 200 in walls:
        report.targets += [
            Target("monorel check, 200 packages", walls[200], TARGET_200_SECONDS, "s"),
            Target(
                "warm, one member's models changed / cold, 200 packages",
                warm[200][1] / walls[200],
                WARM_CHANGED_RATIO,
                "x",
            ),
            Target(
                "cold monorel check / lint-imports, 200 packages",
                walls[200] / others[200]["lint-imports"],
                1.0,
                "x",
            ),
        ]
    if 1000 in walls:
        report.targets += [
            Target(
                "cold monorel check, 1,000 packages", walls[1000], TARGET_1000_COLD_SECONDS, "s"
            ),
            Target(
                "warm, one change, 1,000 packages", warm[1000][1], TARGET_1000_WARM_SECONDS, "s"
            ),
        ]
    return report


def _measure(
    report: Report, tree: str, root: Path, *, packages: int | None, clean: bool
) -> tuple[float, str]:
    from monorel import workspace

    ws = workspace.load(root)
    count = len([m for m in ws.members.values() if m.role == "library"])
    modules = sum(len(list(m.package_dir.rglob("*.py"))) for m in ws.members.values())
    # cold: a generated tree has no cache yet (this run writes it); this repo's own cache
    # is neither used nor touched
    seconds, proc = _check(tree, root, *(["--no-cache"] if packages is None else []))
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
    if packages is not None and packages > PER_RULE_UP_TO:
        report.skipped.append(f"per-rule timing at {packages} packages (one more cold run)")
        return seconds, proc.stdout
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
    return seconds, proc.stdout


def _check(tree: str, root: Path, *extra: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    seconds, proc = run_command(
        [script("monorel"), "--root", root, "check", "--format", "json", *extra],
        cwd=root,
        check=False,
        drop_env=("DJANGO_SETTINGS_MODULE",),
    )
    if proc.returncode not in (0, 1):
        raise BenchError(
            f"monorel check on {tree} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
        )
    return seconds, proc


def _warm(report: Report, tree: str, root: Path, size: int, cold: str) -> tuple[float, float]:
    """Warm runs on the cold run's cache: unchanged, then one member's models changed.
    Both must print what a run without the cache prints (the changed one is compared
    with a ``--no-cache`` run of the same tree; the cache is left as it was)."""
    unchanged, same = _check(tree, root)
    if same.stdout != cold:
        raise BenchError(f"a warm run on {tree} printed other findings than a cold one")
    package = _generate.plan(size)[size // 2]
    models = root / "packages" / package.dist / "src" / package.module / "models.py"
    original = models.read_text(encoding="utf-8")
    models.write_text(original + "    bench_extra = models.IntegerField(default=0)\n")
    try:
        changed, warm = _check(tree, root)
        _, fresh = _check(tree, root, "--no-cache")
    finally:
        models.write_text(original, encoding="utf-8")
    rules = sorted(f["rule"] for f in json.loads(warm.stdout)["findings"])
    if warm.stdout != fresh.stdout or rules != ["MR-FRAGMENT", "MR-MAKEMIGRATIONS"]:
        raise BenchError(
            f"a warm run on {tree} after changing {package.dist}'s models reported {rules}, "
            "not its missing migration (and its missing fragment) as a run without the cache "
            f"does:\n{warm.stdout[-3000:]}"
        )
    base = {"tree": tree, "packages": size, "modules": "", "findings": 0}
    report.rows.append(
        {**base, "tool": "monorel check, warm (nothing changed)", "seconds": unchanged}
    )
    report.rows.append(
        {
            **base,
            "tool": f"monorel check, warm ({package.dist} models changed)",
            "seconds": changed,
            "findings": len(rules),
        }
    )
    report.metrics[f"monorel_check_{size}_warm_seconds"] = round(unchanged, 3)
    report.metrics[f"monorel_check_{size}_warm_changed_seconds"] = round(changed, 3)
    return unchanged, changed


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


def _lint_imports(report: Report, tree: str, root: Path, size: int) -> float:
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
    return seconds


def _tach(report: Report, tree: str, root: Path, size: int) -> float:
    """``tach check`` (no cache) on a copy of the tree without the members' pyproject.toml:
    next to one, tach takes each source root for a distribution of its own and leaves
    imports between them to ``check-external``, checking no module boundary at all."""
    try:
        tach = script("tach")
    except BenchError:
        report.skipped.append(
            "tach: not installed (uv sync --all-packages installs the bench group)"
        )
        return float("nan")
    copy = root.parent / f"{root.name}-tach"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".git", ".monorel"))
    for pyproject in copy.glob("*/*/pyproject.toml"):
        pyproject.unlink()
    try:
        seconds, proc = run_command([tach, "check"], cwd=copy, check=False)
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    if proc.returncode != 0:
        raise BenchError(f"tach check on {tree} failed or found violations:\n{proc.stdout[-3000:]}")
    report.rows.append(
        {
            "tree": tree,
            "packages": size,
            "modules": "",
            "tool": f"tach check, {size + 1} modules, interfaces api (no cache)",
            "seconds": seconds,
            "findings": 0,
        }
    )
    report.metrics[f"tach_{size}_seconds"] = round(seconds, 3)
    return seconds
