"""migrations: the migration verdict over the migration histories of large public projects.

For each project, at benchmark time: a fresh venv, ``pip install`` of its wheel from PyPI
(with psycopg), its import package copied into a throwaway workspace member
(``<project>-history``) whose tests settings install every app the package defines,
and ``monorel semver <project>-history --since <commit without it> --format json``: every
migration of the project is new and goes through the whole verdict (Django's loader in
the venv, the SQL on one throwaway PostgreSQL cluster, pglast, the rules). Reported:
migrations per second (the CLI's wall time, the cluster already running), how many were
unclassified and why, the verdict distribution (each migration's strongest item), and
the time of ``monorel semver billing-app`` on this repo.

Targets (issue 10): ``monorel semver billing-app`` under 2 s; 1,000 migrations classified
in under 20 s (judged from the measured rate); zero crashes (a CLI that fails is a
benchmark failure, not a number). ``--quick``: django-taggit's history only, and the
billing-app run; its targets are not judged.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench._harness import ROOT, BenchError, Report, Target, script, workdir
from bench._harness import run as run_command

NAME = "migrations"
SUMMARY = "the migration verdict over wagtail's and django-oscar's histories; semver billing-app"
TARGET_BILLING_SECONDS = 2.0
TARGET_1000_SECONDS = 20.0
_LEVELS = ("major", "minor", "patch", "none", "unclassified")
_CONTRIB = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.flatpages",
]


@dataclass(frozen=True)
class Project:
    requirement: str  # what pip installs
    package: str  # the import package whose migrations are judged
    apps: tuple[str, ...]  # third-party apps its models need, before its own
    settings: str = ""  # extra settings lines
    skip: tuple[str, ...] = ()  # sub-packages left out (test apps)
    # its apps as its documentation lists them, where it needs exactly those; else every
    # app of the package with an AppConfig
    installed: tuple[str, ...] = ()


PROJECTS = {
    "wagtail": Project(
        "wagtail",
        "wagtail",
        ("modelcluster", "taggit"),
        settings='WAGTAIL_SITE_NAME = "bench"\nWAGTAILADMIN_BASE_URL = "http://localhost"\n',
        skip=("test", "project_template"),
    ),
    "django-oscar": Project(
        "django-oscar",
        "oscar",
        ("treebeard", "django_tables2", "widget_tweaks", "haystack"),
        settings=(
            "HAYSTACK_CONNECTIONS = {'default': {'ENGINE': "
            "'haystack.backends.simple_backend.SimpleEngine'}}\n"
            "from oscar.defaults import *  # noqa: E402,F403 - Oscar's documented settings\n"
        ),
        skip=("test",),
        installed=(
            "oscar.config.Shop",
            *(
                f"oscar.apps.{app}.apps.{config}Config"
                for app, config in (
                    ("analytics", "Analytics"),
                    ("checkout", "Checkout"),
                    ("address", "Address"),
                    ("shipping", "Shipping"),
                    ("catalogue", "Catalogue"),
                    ("catalogue.reviews", "CatalogueReviews"),
                    ("communication", "Communication"),
                    ("partner", "Partner"),
                    ("basket", "Basket"),
                    ("payment", "Payment"),
                    ("offer", "Offer"),
                    ("order", "Order"),
                    ("customer", "Customer"),
                    ("search", "Search"),
                    ("voucher", "Voucher"),
                    ("wishlists", "Wishlists"),
                    ("dashboard", "Dashboard"),
                    *(
                        (f"dashboard.{name}", f"{name.title()}Dashboard")
                        for name in (
                            "reports",
                            "users",
                            "orders",
                            "catalogue",
                            "offers",
                            "partners",
                            "pages",
                            "ranges",
                            "reviews",
                            "vouchers",
                            "communications",
                            "shipping",
                        )
                    ),
                )
            ),
        ),
    ),
}
QUICK_PROJECTS = {"django-taggit": Project("django-taggit", "taggit", ())}


def run(quick: bool) -> Report:
    report = Report(
        NAME,
        quick,
        columns=["what", "migrations", "seconds", "per_second", "unclassified", "verdicts"],
    )
    projects = QUICK_PROJECTS if quick else PROJECTS
    if quick:
        report.skipped.append("--quick: wagtail and django-oscar (full mode only); taggit instead")
    from monorel.postgres import EphemeralPostgres

    total_migrations = 0
    total_seconds = 0.0
    unclassified_total = 0
    with workdir("migrations") as tmp, EphemeralPostgres() as cluster:
        for name, project in projects.items():
            measured = _project(report, tmp / name, name, project, cluster.url)
            total_migrations += measured[0]
            total_seconds += measured[1]
            unclassified_total += measured[2]
    rate = total_migrations / total_seconds if total_seconds else 0.0
    report.metrics["migrations"] = total_migrations
    report.metrics["migrations_seconds"] = round(total_seconds, 3)
    report.metrics["migrations_per_second"] = round(rate, 1)
    report.metrics["unclassified"] = unclassified_total
    billing = _semver_billing(report)
    report.targets.append(
        Target("monorel semver billing-app on this repo", billing, TARGET_BILLING_SECONDS, "s")
    )
    if rate:
        report.targets.append(
            Target("1,000 migrations classified", 1000 / rate, TARGET_1000_SECONDS, "s")
        )
    return report


def _project(report: Report, base: Path, name: str, project: Project, database: str):
    base.mkdir(parents=True)
    install_seconds, python = _venv(base / "venv", project.requirement)
    member = f"{name}-history"
    ws, since = _workspace(base / "ws", member, project, python)
    cpu_before = _children_cpu()
    seconds, proc = run_command(
        [script("monorel"), "--root", ws, "semver", member, "--since", since, "--format", "json"],
        cwd=ws,
        env={
            "MONOREL_SEMVER_PYTHON": str(python),
            "MONOREL_SEMVER_DATABASE": database,
            "MONOREL_SEMVER_TIMINGS": "1",
        },
        drop_env=("DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV"),
        check=False,
        timeout=3600,
    )
    cpu = _children_cpu() - cpu_before
    if proc.returncode != 0:
        raise BenchError(
            f"monorel semver crashed on {name}'s migrations (exit {proc.returncode}):\n"
            f"{proc.stderr[-4000:]}"
        )
    verdict = json.loads(proc.stdout)
    files = sorted(p for p in (ws / "packages" / member / "src").rglob("migrations/[0-9]*.py"))
    per_migration = _verdicts(verdict)
    judged = len(per_migration)
    levels = Counter(per_migration.values())
    unclassified = verdict["unclassified"]
    reasons = Counter(_reason(u["reason"]) for u in unclassified)
    key = name.replace("-", "_")
    report.rows.append(
        {
            "what": f"{name} {_version(python, project)} history",
            "migrations": len(files),
            "seconds": seconds,
            "per_second": round(len(files) / seconds, 1),
            "unclassified": len({u["path"] for u in unclassified}),
            "verdicts": ", ".join(f"{level} {levels[level]}" for level in _LEVELS if levels[level]),
            "detail": "; ".join(f"{count}x {reason}" for reason, count in reasons.most_common(6)),
        }
    )
    report.metrics[f"{key}_migrations"] = len(files)
    report.metrics[f"{key}_judged"] = judged
    report.metrics[f"{key}_seconds"] = round(seconds, 3)
    report.metrics[f"{key}_cpu_seconds"] = round(cpu, 3)
    phases = _phases(proc.stderr)
    for phase, spent in phases.items():
        report.metrics[f"{key}_phase_{phase.replace('.', '_')}_seconds"] = spent
    report.metrics[f"{key}_install_seconds"] = round(install_seconds, 1)
    report.metrics[f"{key}_unclassified_migrations"] = len({u["path"] for u in unclassified})
    report.metrics[f"{key}_operator_notes"] = len(verdict["operator_notes"])
    for level in _LEVELS:
        report.metrics[f"{key}_{level}"] = levels[level]
    report.notes.append(
        f"{name}: {cpu:.1f} s of CPU in monorel and its Django child (the PostgreSQL server's "
        "not counted); phases (s): "
        + (", ".join(f"{phase} {spent:.2f}" for phase, spent in phases.items()) or "none printed")
    )
    report.notes.append(
        f"{name}: pip install took {install_seconds:.0f} s (not part of the rate); "
        f"{len(files) - judged} migration(s) replaced by squashes are judged through them"
    )
    return len(files), seconds, len({u["path"] for u in unclassified})


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children and theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _phases(stderr: str) -> dict[str, float]:
    """The verdict's own timings (MONOREL_SEMVER_TIMINGS=1): read, database, child (and
    the child's setup, load, apply), judge."""
    for line in stderr.splitlines():
        if line.startswith("monorel semver timings: "):
            shown = line.split(": ", 2)[2]
            return {
                name: float(value)
                for name, value in (part.rsplit(" ", 1) for part in shown.split(", "))
            }
    return {}


def _venv(path: Path, requirement: str) -> tuple[float, Path]:
    """A venv with ``requirement`` and psycopg from PyPI, installed by pip; (seconds, python)."""
    run_command([sys.executable, "-m", "venv", path])
    python = path / "bin" / "python"
    seconds, _ = run_command(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            requirement,
            "psycopg[binary]",
        ],
        timeout=1800,
    )
    return seconds, python


def _version(python: Path, project: Project) -> str:
    _, proc = run_command(
        [
            python,
            "-c",
            f"from importlib.metadata import version; print(version({project.requirement!r}))",
        ]
    )
    return proc.stdout.strip()


def _site_package(python: Path, package: str) -> Path:
    _, proc = run_command(
        [
            python,
            "-c",
            f"import {package}, pathlib; print(pathlib.Path({package}.__file__).parent)",
        ],
        drop_env=("DJANGO_SETTINGS_MODULE",),
    )
    return Path(proc.stdout.strip())


def _workspace(root: Path, member: str, project: Project, python: Path) -> tuple[Path, str]:
    """The throwaway workspace: a release point without the package, the package in the tree.

    Returns the root and the commit to compare with (where the package did not exist).
    """
    member_dir = root / "packages" / member
    (member_dir / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "bench-history"\nversion = "0.0.0"\nrequires-python = ">=3.11"\n\n'
        '[tool.uv]\npackage = false\n\n[tool.uv.workspace]\nmembers = ["packages/*"]\n\n'
        # third-party apps have no api module: their migrations are what is judged here
        "[tool.monorel]\npublic-modules = []\n",
        encoding="utf-8",
    )
    (member_dir / "pyproject.toml").write_text(
        f'[project]\nname = "{member}"\nversion = "1.0.0"\nrequires-python = ">=3.11"\n\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[tool.hatch.build.targets.wheel]\npackages = ["src/{project.package}"]\n\n'
        '[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = "bench_history_settings"\n'
        'pythonpath = ["tests"]\n',
        encoding="utf-8",
    )
    (root / ".gitignore").write_text("__pycache__/\n", encoding="utf-8")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    run_command([*git, "init", "-q", "-b", "main"], cwd=root)
    run_command([*git, "add", "-A"], cwd=root)
    run_command([*git, "commit", "-q", "-m", "before the package"], cwd=root)
    _, head = run_command(["git", "rev-parse", "HEAD"], cwd=root)
    source = _site_package(python, project.package)
    target = member_dir / "src" / project.package
    shutil.copytree(
        source,
        target,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", *project.skip),
    )
    apps = list(project.installed) or _apps(root, member)
    settings = (
        'SECRET_KEY = "bench"\nUSE_TZ = True\nSITE_ID = 1\n'
        'DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"\n'
        'STATIC_URL = "/static/"\nMEDIA_URL = "/media/"\n'
        f"INSTALLED_APPS = {[*_CONTRIB, *project.apps, *apps]!r}\n"
        "DATABASES = {}\n"
        "TEMPLATES = [{'BACKEND': 'django.template.backends.django.DjangoTemplates', "
        "'APP_DIRS': True, 'OPTIONS': {'context_processors': []}}]\n" + project.settings
    )
    (member_dir / "tests" / "bench_history_settings.py").write_text(settings, encoding="utf-8")
    return root, head.stdout.strip()


def _apps(root: Path, member: str) -> list[str]:
    """Every app of the package with an AppConfig, as monorel finds them (a package with a
    ``migrations/`` directory of helpers but no app, like ``wagtail.blocks``, is none)."""
    from monorel import workspace
    from monorel.checks.django_apps import discover

    ws = workspace.load(root)
    return [
        app.name for app in discover(ws.member(member)) if (app.directory / "apps.py").is_file()
    ]


def _verdicts(verdict: dict) -> dict[str, str]:
    """Each migration's strongest verdict (``unclassified`` where any item could not be judged)."""
    order = {level: i for i, level in enumerate(reversed(_LEVELS))}
    found: dict[str, str] = {}
    for item in verdict["evidence"]:
        level = "unclassified" if item["kind"] == "migration.unclassified" else item["bump"]
        current = found.get(item["path"])
        if current is None or order[level] > order[current]:
            found[item["path"]] = level
    return found


def _reason(text: str) -> str:
    """An unclassified reason without the specifics (for counting kinds of reasons)."""
    return text.split(":")[0][:80]


def _semver_billing(report: Report) -> float:
    """``monorel semver billing-app`` on this repo, as a user runs it: best of 3 CLI runs."""
    runs = []
    for _ in range(3):
        seconds, proc = run_command(
            [script("monorel"), "--root", ROOT, "semver", "billing-app", "--format", "json"],
            cwd=ROOT,
            drop_env=("DJANGO_SETTINGS_MODULE",),
        )
        runs.append(seconds)
    verdict = json.loads(proc.stdout)
    best = min(runs)
    report.rows.append(
        {
            "what": "monorel semver billing-app (this repo)",
            "migrations": "",
            "seconds": best,
            "per_second": "",
            "unclassified": len(verdict["unclassified"]),
            "verdicts": f"required {verdict['required']} since {verdict['baseline']}",
            "detail": "runs: " + ", ".join(f"{s:.2f}s" for s in runs),
        }
    )
    report.metrics["semver_billing_app_seconds"] = round(best, 3)
    report.metrics["semver_billing_app_median_seconds"] = round(statistics.median(runs), 3)
    return best
