"""One upgrade leg: from one released version of the package to the current one.

Steps, in order; the first that fails ends the leg and is reported with its error:

  install old      venv with the old wheel + the host's other pins (current workspace wheels)
  migrate old      ``migrate`` a fresh database
  load seed        ``loaddata`` the host's seed fixture
  snapshot         row counts + per-row value hashes of every table the seed wrote to
  install new      venv with the current wheel instead of the old one
  migrate          ``migrate`` the same database with the new code
  plan empty       ``migrate --plan`` has nothing left to apply
  makemigrations   ``makemigrations --check``: no model change lacks a migration
  row survival     every seeded row and every column that held data is still there
  contract tests   the host's contract tests, with pytest from the new venv

The host is not installed: its source directory goes on PYTHONPATH and its settings
module is named in DJANGO_SETTINGS_MODULE; the database is given as DATABASE_URL.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from monorel.errors import MonorelError
from monorel.rehearsal import failure, snapshot
from monorel.rehearsal.databases import Databases

_PROBE = Path(__file__).with_name("_probe.py")
_STEP_TIMEOUT = 900  # seconds; a hung migration must not hang CI forever
_OUTPUT_KEPT = 8000  # characters of a failed step's output kept for the report / junit

STEPS = (
    "install old",
    "migrate old",
    "load seed",
    "snapshot",
    "install new",
    "migrate",
    "plan empty",
    "makemigrations",
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
        return all(s.ok for s in self.steps) and bool(self.steps)

    @property
    def failed(self) -> StepResult | None:
        return next((s for s in self.steps if not s.ok), None)


class StepFailed(Exception):
    def __init__(self, error: str, output: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.output = output


@dataclass
class Leg:
    package: str
    from_version: str
    to_version: str
    old_python: Callable[[], Path]  # makes (or reuses) the old venv; returns its python
    new_python: Callable[[], Path]  # the current venv, shared by all legs
    databases: Databases
    deployment: Deployment
    work_dir: Path

    def run(self) -> LegResult:
        result = LegResult(self.package, self.from_version, self.to_version)
        started = time.perf_counter()
        self.work_dir.mkdir(parents=True, exist_ok=True)
        url: str | None = None
        try:
            old = self._step(result, "install old", self.old_python)
            if old is None:
                return result
            url = self._step(
                result,
                "migrate old",
                lambda: self._create_and_migrate(old),
            )
            if url is None:
                return result
            steps: list[tuple[str, Callable[[], object]]] = [
                (
                    "load seed",
                    lambda: self._django(old, url, "loaddata", str(self.deployment.seed)),
                ),
                ("snapshot", lambda: self._snapshot(old, url, result)),
                ("install new", self.new_python),
            ]
            for name, action in steps:
                if self._step(result, name, action) is None:
                    return result
            new = self.new_python()
            for name, action in [
                ("migrate", lambda: self._django(new, url, "migrate", "--noinput")),
                ("plan empty", lambda: self._plan_empty(new, url)),
                ("makemigrations", lambda: self._makemigrations(new, url)),
                ("row survival", lambda: self._row_survival(new, url)),
                ("contract tests", lambda: self._contract_tests(new, url)),
            ]:
                if self._step(result, name, action) is None:
                    return result
            return result
        finally:
            if url is not None:
                # a leftover database on a throwaway server is not a leg failure
                with contextlib.suppress(MonorelError):
                    self.databases.drop(url)
            result.seconds = time.perf_counter() - started

    # -- steps -----------------------------------------------------------------------------

    def _step(self, result: LegResult, name: str, action: Callable[[], object]) -> object | None:
        """Run one step; record it; return its value, or None when it failed."""
        started = time.perf_counter()
        try:
            value = action()
        except StepFailed as exc:
            result.steps.append(
                StepResult(
                    name,
                    False,
                    time.perf_counter() - started,
                    exc.error,
                    exc.output[-_OUTPUT_KEPT:],
                )
            )
            return None
        except MonorelError as exc:  # a tool (uv, git, psql) failed while preparing the step
            result.steps.append(
                StepResult(
                    name,
                    False,
                    time.perf_counter() - started,
                    failure.summarize(exc.message),
                    exc.message[-_OUTPUT_KEPT:],
                )
            )
            return None
        result.steps.append(StepResult(name, True, time.perf_counter() - started))
        return True if value is None else value

    def _create_and_migrate(self, python: Path) -> str:
        url = self.databases.create(f"{self.package}_{self.from_version}", self.work_dir)
        try:
            self._django(python, url, "migrate", "--noinput")
        except StepFailed:
            self.databases.drop(url)
            raise
        return url

    def _snapshot(self, python: Path, url: str, result: LegResult) -> None:
        self._python(
            python, url, str(_PROBE), "before", str(self.deployment.seed), str(self._before)
        )
        result.tables = snapshot.summarize(snapshot.load(self._before))

    def _plan_empty(self, python: Path, url: str) -> None:
        output = self._django(python, url, "migrate", "--plan")
        if "No planned migration operations" not in output:
            planned = [line.strip() for line in output.splitlines()[1:] if line.strip()]
            raise StepFailed(
                f"migrations still planned after migrate: {'; '.join(planned)}", output
            )

    def _makemigrations(self, python: Path, url: str) -> None:
        try:
            self._django(python, url, "makemigrations", "--check", "--dry-run")
        except StepFailed as exc:
            apps = re.findall(r"Migrations for '([^']+)'", exc.output)
            if apps:
                raise StepFailed(
                    f"model changes without a migration in: {', '.join(apps)}", exc.output
                ) from None
            raise

    def _row_survival(self, python: Path, url: str) -> None:
        after = self.work_dir / "snapshot-after.json"
        self._python(python, url, str(_PROBE), "after", str(self._before), str(after))
        findings = snapshot.compare(snapshot.load(self._before), snapshot.load(after))
        if findings:
            raise StepFailed("; ".join(findings), "\n".join(findings))

    def _contract_tests(self, python: Path, url: str) -> None:
        tests = self.deployment.contract_tests
        if tests is None:
            return  # nothing configured; the report says so in the README, not as a failure
        ini = self.work_dir / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        host_dir = str(self.deployment.host_dir)
        try:
            self._python(
                python,
                url,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-c",
                str(ini),
                "--rootdir",
                host_dir,
                "--confcutdir",
                host_dir,
                str(tests),
            )
        except StepFailed as exc:
            raise StepFailed(_pytest_summary(exc.output), exc.output) from None

    # -- running commands in a venv ---------------------------------------------------------

    @property
    def _before(self) -> Path:
        return self.work_dir / "snapshot-before.json"

    def _django(self, python: Path, url: str, *args: str) -> str:
        return self._python(python, url, "-m", "django", *args)

    def _python(self, python: Path, url: str, *args: str) -> str:
        env = {
            key: value
            for key, value in os.environ.items()
            # the caller's virtualenv and Django settings must not leak into the leg
            if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(
            PYTHONPATH=os.pathsep.join(str(p) for p in self.deployment.pythonpath),
            DJANGO_SETTINGS_MODULE=self.deployment.settings,
            DATABASE_URL=url,
            PYTHONUNBUFFERED="1",
        )
        try:
            proc = subprocess.run(
                [str(python), *args],
                cwd=self.work_dir,
                env=env,
                capture_output=True,
                text=True,
                timeout=_STEP_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise StepFailed(f"timed out after {_STEP_TIMEOUT}s", str(exc.output or "")) from None
        output = proc.stdout + ("\n" + proc.stderr if proc.stderr else "")
        if proc.returncode != 0:
            raise StepFailed(failure.summarize(proc.stderr or proc.stdout), output)
        return output


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
