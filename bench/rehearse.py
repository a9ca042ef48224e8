"""rehearse: `monorel rehearse billing-app` against the naive upgrade job, side by side.

Workspace: a fresh clone of this repo with its release tags. The matrix is the three
latest earlier releases of billing-app; when history has fewer, the clone gets one
more: the current code is released (version bumped, committed, tagged), then changed
(a README line), so that it too is an earlier release of the working tree. That is how
a real third release looks to `monorel rehearse`, without touching this repository.

monorel, through its CLI (``--junit`` gives each leg's time and steps):

  matrix, cold    the three legs, a fresh cache dir: old wheels built from git, venvs made
                  (uv's own cache of third-party wheels stays warm)
  matrix, warm    the same again: wheels and venvs reused
  one leg         the oldest release only (the most migrations), warm
  ... on SQLite (a file per leg) and on an ephemeral PostgreSQL cluster (``--db postgres``)

Each monorel leg ends with the four proofs about its upgraded database (schema, data
survival, contract tests, old code); their time per leg on PostgreSQL is a target.

The naive path, what a hand-written CI job does per leg, one leg after another:
``python -m venv``; ``pip install`` the old wheel, the other workspace wheels and the
third-party requirements; ``migrate`` a fresh database; ``loaddata`` the seed as it was
at the old release; ``pip install --force-reinstall`` the new wheel; ``migrate``;
``pytest`` the host's contract tests. pip gets the same wheels monorel built and a local
wheelhouse of the locked third-party wheels (no network, like a warm pip cache).

``--quick``: one cold leg on SQLite and the same naive leg.
"""

from __future__ import annotations

import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from bench._harness import (
    BenchError,
    Report,
    Stopwatch,
    Target,
    clone_repo,
    script,
    workdir,
)
from bench._harness import run as run_command

NAME = "rehearse"
SUMMARY = "monorel rehearse (one leg, 3-version matrix; SQLite, PostgreSQL) vs the naive job"
PACKAGE = "billing-app"
LEGS = 3
TARGET_SPEEDUP = 5.0
TARGET_PG_LEG_SECONDS = 5.0
TARGET_PROOFS_SECONDS = 1.5  # the four proofs of one leg on PostgreSQL (issue 11)
PROOFS = ("schema", "data survival", "contract tests", "old code")
_GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
_TEST_REQUIREMENTS = ("pytest", "pytest-django")


def run(quick: bool) -> Report:
    from monorel import workspace
    from monorel.commands.rehearse import earlier_releases

    report = Report(NAME, quick, columns=["path", "db", "what", "legs", "seconds", "per leg"])
    with workdir("rehearse") as tmp:
        root = clone_repo(tmp / "clone")
        ws = workspace.load(root)
        versions = [r.version for r in earlier_releases(ws, ws.member(PACKAGE))]
        if not versions:
            raise BenchError(
                f"{PACKAGE} has no release in this clone's history: the benchmark needs the "
                "release tags (git fetch --tags --unshallow)"
            )
        if len(versions) < LEGS and not quick:
            _add_release(root)
            ws = workspace.load(root)
            versions = [r.version for r in earlier_releases(ws, ws.member(PACKAGE))]
        matrix = versions[-LEGS:]
        oldest = matrix[:1]
        report.metrics["to_version"] = ws.member(PACKAGE).version
        report.metrics["matrix_from"] = " ".join(matrix)
        cache = tmp / "cache"

        if quick:
            cold = _monorel(report, root, oldest, "sqlite", cache, "one leg, cold")
            inputs = _naive_inputs(ws, tmp, cache)
            naive = _naive(report, ws, tmp, inputs, oldest, "sqlite")
            report.metrics["quick_leg_speedup_cold"] = round(naive / cold, 2)
            report.skipped.append(
                "--quick: the 3-version matrix, the warm runs and PostgreSQL (full mode only)"
            )
            return report

        cold = _monorel(report, root, matrix, "sqlite", cache, "matrix, cold")
        warm = _monorel(report, root, matrix, "sqlite", cache, "matrix, warm")
        _monorel(report, root, oldest, "sqlite", cache, "one leg, warm")
        # this machine exports PYTHONDONTWRITEBYTECODE=1, as many container images do; the
        # harness unsets it, except here, to show what it costs a rehearsal
        _monorel(
            report,
            root,
            matrix,
            "sqlite",
            cache,
            "matrix, warm, PYTHONDONTWRITEBYTECODE=1",
            bytecode_cache=False,
        )
        pg_cold = _monorel(report, root, matrix, "postgres", tmp / "cache-pg", "matrix, cold")
        pg_warm = _monorel(report, root, matrix, "postgres", cache, "matrix, warm")
        pg_leg = _monorel(report, root, oldest, "postgres", cache, "one leg, warm")
        sqlite_leg = report.metrics["monorel_sqlite_one_leg_warm_seconds"]
        inputs = _naive_inputs(ws, tmp, cache)
        naive_sqlite = _naive(report, ws, tmp, inputs, matrix, "sqlite")
        naive_pg = _naive(report, ws, tmp, inputs, matrix, "postgres")
        first = _key(oldest[0])
        report.metrics["one_leg_speedup_sqlite_warm"] = round(
            report.metrics[f"naive_sqlite_leg_{first}_seconds"] / sqlite_leg, 2
        )
        report.metrics["one_leg_speedup_postgres_warm"] = round(
            report.metrics[f"naive_postgres_leg_{first}_seconds"] / pg_leg, 2
        )

    speedups = {
        "sqlite_warm": naive_sqlite / warm,
        "sqlite_cold": naive_sqlite / cold,
        "postgres_warm": naive_pg / pg_warm,
        "postgres_cold": naive_pg / pg_cold,
    }
    for key, value in speedups.items():
        report.metrics[f"matrix_speedup_{key}"] = round(value, 2)
    longest_pg_leg = report.metrics["monorel_postgres_matrix_warm_longest_leg_seconds"]
    longest_cold_pg_leg = report.metrics["monorel_postgres_matrix_cold_longest_leg_seconds"]
    report.targets += [
        Target(
            "matrix speedup vs naive, PostgreSQL, warm",
            speedups["postgres_warm"],
            TARGET_SPEEDUP,
            "x",
            better="higher",
        ),
        Target(
            "matrix speedup vs naive, SQLite, warm",
            speedups["sqlite_warm"],
            TARGET_SPEEDUP,
            "x",
            better="higher",
        ),
        Target(
            "matrix speedup vs naive, SQLite, cold cache",
            speedups["sqlite_cold"],
            TARGET_SPEEDUP,
            "x",
            better="higher",
        ),
        Target(
            "longest leg on PostgreSQL (warm matrix)", longest_pg_leg, TARGET_PG_LEG_SECONDS, "s"
        ),
        Target(
            "matrix speedup vs naive, PostgreSQL, cold cache",
            speedups["postgres_cold"],
            TARGET_SPEEDUP,
            "x",
            better="higher",
        ),
        Target(
            "longest leg on PostgreSQL (cold matrix: builds and venvs)",
            longest_cold_pg_leg,
            TARGET_PG_LEG_SECONDS,
            "s",
        ),
    ]
    report.targets.append(
        Target(
            "the four proofs of a leg on PostgreSQL (warm matrix, longest leg)",
            report.metrics["monorel_postgres_matrix_warm_proofs_longest_leg_seconds"],
            TARGET_PROOFS_SECONDS,
            "s",
        )
    )
    report.notes.append(
        "monorel runs 2 legs at a time (--jobs 2, its default); each leg ends with the four "
        "proofs (schema, data survival, contract tests, old code) on its own database; the "
        "naive job runs every step of every leg, one leg after another, and proves only that "
        "the contract tests pass on a fresh test database"
    )
    return report


def _add_release(root: Path) -> None:
    """Release the current code of PACKAGE as the next minor version, then change it."""
    pyproject = root / "packages" / PACKAGE / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    current = re.search(r'^version = "(\d+)\.(\d+)\.(\d+)"', text, re.M)
    if current is None:
        raise BenchError(f"no version line in {pyproject}")
    major, minor = int(current[1]), int(current[2])
    version = f"{major}.{minor + 1}.0"
    pyproject.write_text(text.replace(current[0], f'version = "{version}"', 1), encoding="utf-8")
    _git(root, "commit", "-q", "-am", f"bench: release {PACKAGE} {version}")
    _git(root, "tag", f"{PACKAGE}-v{version}")
    readme = root / "packages" / PACKAGE / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\n(changed after the release)\n")
    _git(root, "commit", "-q", "-am", f"bench: change {PACKAGE} after {version}")


def _git(root: Path, *args: str) -> None:
    run_command([*_GIT, *args], cwd=root)


# -- monorel ----------------------------------------------------------------------------------


def _monorel(
    report: Report,
    root: Path,
    versions: list[str],
    db: str,
    cache: Path,
    what: str,
    *,
    bytecode_cache: bool = True,
) -> float:
    junit = cache.parent / f"junit-{db}-{len(versions)}.xml"
    seconds, proc = run_command(
        [
            script("monorel"),
            "--root",
            root,
            "rehearse",
            PACKAGE,
            "--from",
            *versions,
            "--db",
            db,
            "--cache-dir",
            cache,
            "--junit",
            junit,
            "--timings",
        ],
        cwd=root,
        check=False,
        bytecode_cache=bytecode_cache,
        drop_env=("DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV"),
    )
    if proc.returncode != 0:
        raise BenchError(f"monorel rehearse failed ({what}, {db}):\n{proc.stdout[-4000:]}")
    legs = _junit_legs(junit)
    longest = max(seconds for seconds, _ in legs.values())
    proofs = max(sum(s for name, s in steps if name in PROOFS) for _, steps in legs.values())
    report.rows.append(
        {
            "path": "monorel rehearse",
            "db": db,
            "what": what,
            "legs": len(legs),
            "seconds": seconds,
            "per leg": seconds / len(legs),
        }
    )
    for version, (leg_seconds, steps) in legs.items():
        report.rows.append(
            {
                "path": "",
                "db": "",
                "what": f"  leg from {version}",
                "legs": "",
                "seconds": leg_seconds,
                "per leg": "",
                "detail": ", ".join(f"{name} {s:.1f}" for name, s in steps),
            }
        )
    key = f"monorel_{db}_{_key(what)}"
    report.metrics[f"{key}_seconds"] = round(seconds, 3)
    report.metrics[f"{key}_longest_leg_seconds"] = round(longest, 3)
    report.metrics[f"{key}_proofs_longest_leg_seconds"] = round(proofs, 3)
    return seconds


def _junit_legs(path: Path) -> dict[str, tuple[float, list[tuple[str, float]]]]:
    legs = {}
    suite = f"monorel.rehearse.{PACKAGE}"
    for case in ET.parse(path).iter("testcase"):
        if case.get("classname") != suite:
            continue  # a contract test of a leg, not a leg
        version = case.get("name", "").split(" ")[1]
        steps = []
        for line in (case.findtext("system-out") or "").splitlines():
            match = re.match(r"^(.*): (ok|FAILED|expected) ([\d.]+)s$", line.strip())
            if match:
                steps.append((match[1], float(match[3])))
        legs[version] = (float(case.get("time", "0")), steps)
    return legs


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


# -- the naive job ----------------------------------------------------------------------------


def _naive(report: Report, ws, tmp: Path, inputs: _Inputs, versions: list[str], db: str) -> float:
    """Every leg the naive way, one after another; total seconds (cluster start included)."""
    from monorel.postgres import EphemeralPostgres

    total = Stopwatch()
    with total:
        cluster = EphemeralPostgres().start() if db == "postgres" else None
        try:
            for version in versions:
                if cluster is not None:
                    url = cluster.create_database(f"naive_{_key(version)}")
                else:
                    url = f"sqlite:///{tmp / f'naive-{version}.sqlite3'}"
                steps = _naive_leg(ws, tmp / f"naive-{db}-{version}", inputs, version, url)
                seconds = sum(s for _, s in steps)
                report.rows.append(
                    {
                        "path": "",
                        "db": "",
                        "what": f"  leg from {version}",
                        "legs": "",
                        "seconds": seconds,
                        "per leg": "",
                        "detail": ", ".join(f"{name} {s:.1f}" for name, s in steps),
                    }
                )
                report.metrics[f"naive_{db}_leg_{_key(version)}_seconds"] = round(seconds, 3)
        finally:
            if cluster is not None:
                cluster.stop()
    report.rows.insert(
        len(report.rows) - len(versions),
        {
            "path": "naive job",
            "db": db,
            "what": "one leg" if len(versions) == 1 else "matrix, one leg after another",
            "legs": len(versions),
            "seconds": total.seconds,
            "per leg": total.seconds / len(versions),
        },
    )
    report.metrics[f"naive_{db}_{len(versions)}_legs_seconds"] = round(total.seconds, 3)
    return total.seconds


class _Inputs:
    """What the naive job gets from outside: wheels (ours) and a third-party wheelhouse."""

    def __init__(
        self,
        wheels: dict[str, Path],
        old: dict[str, Path],
        wheelhouse: Path,
        constraints: Path,
        requirements: list[str],
    ) -> None:
        self.current = wheels  # dist name -> current wheel
        self.old = old  # version -> old wheel of PACKAGE
        self.wheelhouse = wheelhouse
        self.constraints = constraints
        self.requirements = requirements


def _naive_inputs(ws, tmp: Path, cache: Path) -> _Inputs:
    """The wheels monorel built (same bytes) and the locked third-party wheels, fetched once."""
    from monorel.adapters import pip, python, uv
    from packaging.utils import canonicalize_name

    current: dict[str, Path] = {}
    old: dict[str, Path] = {}
    # <cache>/wheels/<name>/<version>-<tree digest>/ for the working tree, and
    # <version>-git-<tree id>/ or <version>-index-<url key>/ for released versions
    for wheel in sorted((cache / "wheels").glob("*/*/*.whl")):
        name, slot = wheel.parent.parent.name, wheel.parent.name
        if "-git-" in slot or "-index-" in slot:
            old[slot.split("-")[0]] = wheel
        else:
            current[name] = wheel
    host = next(m for m in ws.members.values() if m.role == "host")
    requirements = [
        str(r) for r in host.requirements if canonicalize_name(r.name) not in ws.members
    ] + list(_TEST_REQUIREMENTS)
    constraints = tmp / "naive-constraints.txt"
    constraints.write_text(uv.export_constraints(ws.root), encoding="utf-8")
    wheelhouse = tmp / "naive-wheelhouse"
    helper = tmp / "naive-helper-venv"
    python.create_venv(helper)
    pip.download(helper, requirements, wheelhouse, constraints=constraints)
    return _Inputs(current, old, wheelhouse, constraints, requirements)


def _naive_leg(ws, work: Path, inputs: _Inputs, version: str, url: str) -> list[tuple[str, float]]:
    from monorel.adapters import git

    host = next(m for m in ws.members.values() if m.role == "host")
    work.mkdir(parents=True)
    venv = work / "venv"
    python = venv / "bin" / "python"
    seed = host.seed
    old_seed = git.show(ws.root, f"{PACKAGE}-v{version}", seed.relative_to(ws.root).as_posix())
    if old_seed is not None:
        seed = work / seed.name
        seed.write_text(old_seed, encoding="utf-8")
    others = [w for name, w in inputs.current.items() if name != PACKAGE]
    # our current wheels stand in for the index the naive job installs from
    pip = [
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-index",
        "--find-links",
        inputs.wheelhouse,
        *(arg for w in others for arg in ("--find-links", w.parent)),
        "--constraint",
        inputs.constraints,
    ]
    env = {
        "PYTHONPATH": os.pathsep.join(str(p) for p in (host.package_dir.parent, *host.pythonpath)),
        "DJANGO_SETTINGS_MODULE": host.django_settings or "",
        "DATABASE_URL": url,
    }
    ini = work / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")
    django = [python, "-m", "django"]
    steps = [
        ("venv", [sys.executable, "-m", "venv", venv], {}),
        ("pip install old", [*pip, inputs.old[version], *others, *inputs.requirements], {}),
        ("migrate", [*django, "migrate", "--noinput"], env),
        ("loaddata", [*django, "loaddata", seed], env),
        (
            "pip install --force-reinstall new",
            [*pip, "--force-reinstall", inputs.current[PACKAGE]],
            {},
        ),
        ("migrate", [*django, "migrate", "--noinput"], env),
        (
            "pytest",
            [
                python,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-c",
                ini,
                "--rootdir",
                host.path,
                "--confcutdir",
                host.path,
                host.contract_tests,
            ],
            env,
        ),
    ]
    timings = []
    for name, argv, extra in steps:
        seconds, _ = run_command(
            argv,
            cwd=work,
            env=extra,
            drop_env=("VIRTUAL_ENV", "PYTHONPATH", "DJANGO_SETTINGS_MODULE"),
        )
        timings.append((name, seconds))
    return timings
