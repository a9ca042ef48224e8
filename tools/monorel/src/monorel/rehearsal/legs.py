"""One upgrade leg: from one released version of the package to the current one.

Steps, in order; the first that fails ends the leg and is reported with its error:

  install old      venv with the old wheel + the host's other pins (current workspace wheels)
  migrate old      ``migrate`` a fresh database
  load seed        ``loaddata`` the host's seed fixture (as the host had it at the old release)
  snapshot         row counts + per-row value hashes of every table the seed wrote to
  install new      venv with the current wheel instead of the old one
  migrate          ``migrate`` the same database with the new code
  plan empty       ``migrate --plan`` has nothing left to apply
  makemigrations   ``makemigrations --check``: no model change lacks a migration
  row survival     every seeded row and every column that held data is still there
  contract tests   the host's contract tests, with pytest from the new venv

The Django steps of each side run in one process (``_steps.py``) to pay for one
interpreter and one ``django.setup()`` per side. The contract tests use their own test
database (pytest-django), so their result depends only on the current install: they run
once per rehearsal (``ContractTests``) and every leg that reaches them reports that run.

The host is not installed: its source directory goes on PYTHONPATH and its settings
module is named in DJANGO_SETTINGS_MODULE; the database is given as DATABASE_URL.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from monorel.errors import MonorelError
from monorel.rehearsal import failure, snapshot
from monorel.rehearsal.databases import Databases

_STEPS_SCRIPT = Path(__file__).with_name("_steps.py")
_TIMEOUT = 900  # seconds per process; a hung migration must not hang CI forever
_OUTPUT_KEPT = 8000  # characters of a failed step's output kept for the report / junit
_OLD_STEPS = ("migrate old", "load seed", "snapshot")
_NEW_STEPS = ("migrate", "plan empty", "makemigrations", "snapshot after")

STEPS = (
    "install old",
    *_OLD_STEPS,
    "install new",
    *_NEW_STEPS[:-1],
    "row survival",
    "contract tests",
)


@dataclass(frozen=True)
class Deployment:
    """The host side of every leg: settings, import path, seed and contract tests."""

    host: str  # member name, for the report
    host_dir: Path
    settings: str
    pythonpath: tuple[Path, ...]
    seed: Path
    contract_tests: Path | None


@dataclass
class StepResult:
    name: str
    ok: bool
    seconds: float
    error: str = ""
    output: str = ""


@dataclass
class LegResult:
    package: str
    from_version: str
    to_version: str
    steps: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0
    tables: list[snapshot.TableSummary] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    @property
    def failed(self) -> StepResult | None:
        return next((s for s in self.steps if not s.ok), None)


@dataclass
class Leg:
    package: str
    from_version: str
    to_version: str
    old_python: Callable[[], Path]  # makes (or reuses) the old venv; returns its python
    new_python: Callable[[], Path]  # the current venv, shared by all legs
    contract_tests: Callable[[], StepResult]  # shared by all legs (see ContractTests)
    databases: Databases
    deployment: Deployment
    work_dir: Path
    # the seed fixture as the host had it at the old release (the old models load it);
    # None: the deployment's current seed
    seed: Path | None = None

    def run(self) -> LegResult:
        result = LegResult(self.package, self.from_version, self.to_version)
        started = time.perf_counter()
        self.work_dir.mkdir(parents=True, exist_ok=True)
        url: str | None = None
        try:
            old = _timed(result, "install old", self.old_python)
            if old is None:
                return result
            try:
                url = self.databases.create(f"{self.package}_{self.from_version}", self.work_dir)
            except MonorelError as exc:
                result.steps.append(_tool_failure("migrate old", 0.0, exc))
                return result
            seed = self.seed or self.deployment.seed
            if not self._phase(result, old, url, "old", seed, _OLD_STEPS):
                return result
            result.tables = snapshot.summarize(snapshot.load(self._before))
            new = _timed(result, "install new", self.new_python)
            if new is None:
                return result
            if not self._phase(result, new, url, "new", self._before, _NEW_STEPS):
                return result
            result.steps.append(self.contract_tests())
            return result
        finally:
            if url is not None:
                # a leftover database on a throwaway server is not a leg failure
                with contextlib.suppress(MonorelError):
                    self.databases.drop(url)
            result.seconds = time.perf_counter() - started

    @property
    def _before(self) -> Path:
        return self.work_dir / "snapshot-before.json"

    def _phase(
        self,
        result: LegResult,
        python: Path,
        url: str,
        phase: str,
        source: Path,
        expected: tuple[str, ...],
    ) -> bool:
        """Run one side's Django steps; record them; True when all passed."""
        out = self.work_dir / ("snapshot-before.json" if phase == "old" else "snapshot-after.json")
        results_file = self.work_dir / f"steps-{phase}.json"
        results_file.unlink(missing_ok=True)
        started = time.perf_counter()
        proc = _run_python(
            python,
            self.deployment,
            url,
            self.work_dir,
            str(_STEPS_SCRIPT),
            phase,
            str(source),
            str(out),
            str(results_file),
        )
        reported = json.loads(results_file.read_text())["steps"] if results_file.is_file() else []
        for step in reported:
            if step["name"] == "snapshot after":
                continue  # folded into "row survival" below
            error = step["error"] or (failure.summarize(step["output"]) if not step["ok"] else "")
            result.steps.append(
                StepResult(
                    step["name"], step["ok"], step["seconds"], error, step["output"][-_OUTPUT_KEPT:]
                )
            )
        if len(reported) < len(expected) and all(s["ok"] for s in reported):
            # the process died between steps (import error, crash): blame the next step
            output = proc.stdout + proc.stderr
            seconds = time.perf_counter() - started - sum(s["seconds"] for s in reported)
            result.steps.append(
                StepResult(
                    _visible(expected[len(reported)]),
                    False,
                    seconds,
                    failure.summarize(proc.stderr or proc.stdout),
                    output[-_OUTPUT_KEPT:],
                )
            )
            return False
        if phase == "new" and reported and reported[-1]["name"] == "snapshot after":
            result.steps.append(self._row_survival(reported[-1], out))
        return all(s.ok for s in result.steps)

    def _row_survival(self, step: dict, after: Path) -> StepResult:
        if not step["ok"]:
            return StepResult(
                "row survival",
                False,
                step["seconds"],
                failure.summarize(step["output"]),
                step["output"][-_OUTPUT_KEPT:],
            )
        findings = snapshot.compare(snapshot.load(self._before), snapshot.load(after))
        findings += snapshot.compare_views(
            snapshot.load_views(self._before), snapshot.load_views(after)
        )
        return StepResult(
            "row survival", not findings, step["seconds"], "; ".join(findings), "\n".join(findings)
        )


class ContractTests:
    """The host's contract tests, run with pytest from the current venv (once per rehearsal)."""

    def __init__(
        self,
        deployment: Deployment,
        databases: Databases,
        new_python: Callable[[], Path],
        work_dir: Path,
    ) -> None:
        self._deployment = deployment
        self._databases = databases
        self._new_python = new_python
        self._work_dir = work_dir

    def run(self) -> StepResult:
        started = time.perf_counter()
        tests = self._deployment.contract_tests
        if tests is None:  # none configured: nothing to fail
            return StepResult("contract tests", True, 0.0, "", "no contract tests configured")
        self._work_dir.mkdir(parents=True, exist_ok=True)
        try:
            python = self._new_python()
            # pytest-django makes its own test database from this one's name and settings
            url = self._databases.create("contracts", self._work_dir)
        except MonorelError as exc:
            return _tool_failure("contract tests", time.perf_counter() - started, exc)
        ini = self._work_dir / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        host_dir = str(self._deployment.host_dir)
        try:
            proc = _run_python(
                python,
                self._deployment,
                url,
                self._work_dir,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-c",  # our empty ini: the workspace's pytest config is not the deployment's
                str(ini),
                "--rootdir",
                host_dir,
                "--confcutdir",
                host_dir,
                str(tests),
            )
        finally:
            with contextlib.suppress(MonorelError):
                self._databases.drop(url)
        seconds = time.perf_counter() - started
        output = proc.stdout + proc.stderr
        if proc.returncode == 0:
            return StepResult("contract tests", True, seconds, "", output[-_OUTPUT_KEPT:])
        return StepResult(
            "contract tests", False, seconds, _pytest_summary(output), output[-_OUTPUT_KEPT:]
        )


def _timed(result: LegResult, name: str, action: Callable[[], Path]) -> Path | None:
    started = time.perf_counter()
    try:
        value = action()
    except MonorelError as exc:  # uv or git failed while making the venv
        result.steps.append(_tool_failure(name, time.perf_counter() - started, exc))
        return None
    result.steps.append(StepResult(name, True, time.perf_counter() - started))
    return value


def _tool_failure(name: str, seconds: float, exc: MonorelError) -> StepResult:
    return StepResult(
        name, False, seconds, failure.summarize(exc.message), exc.message[-_OUTPUT_KEPT:]
    )


def _visible(step: str) -> str:
    return "row survival" if step == "snapshot after" else step


def _run_python(
    python: Path, deployment: Deployment, url: str, cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # the caller's virtualenv and Django settings must not leak into the leg
        if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        PYTHONPATH=os.pathsep.join(str(p) for p in deployment.pythonpath),
        DJANGO_SETTINGS_MODULE=deployment.settings,
        DATABASE_URL=url,
        PYTHONUNBUFFERED="1",
    )
    try:
        return subprocess.run(
            [str(python), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return subprocess.CompletedProcess(
            exc.cmd, 124, "", f"timed out after {_TIMEOUT}s\n{exc.output or ''}"
        )


def _pytest_summary(output: str) -> str:
    failed = [
        line.split(" - ")[0].removeprefix("FAILED ").removeprefix("ERROR ")
        for line in output.splitlines()
        if line.startswith(("FAILED ", "ERROR "))
    ]
    lines = [line for line in output.splitlines() if line.strip()]
    last = lines[-1].strip("= ") if lines else "pytest failed"
    if failed:
        return f"{last}: {', '.join(failed[:5])}"
    return last
