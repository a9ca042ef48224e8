"""One upgrade leg: from one released version of the package to the current one.

Steps, in order; the first that fails ends the leg and is reported with its error:

  install old      venv with the old wheel + the host's other pins (current workspace wheels)
  install new      venv with the current wheel instead of the old one
  migrate old      ``migrate`` a fresh database
  load seed        ``loaddata`` the host's seed fixture (as the host had it at the old release)
  generate rows    rows generated from the old models for every table (``_fill``)
  snapshot         a hash of every value of every row of the watched tables
  migrate          ``migrate`` the same database with the new code
  plan empty       ``migrate --plan`` has nothing left to apply
  makemigrations   ``makemigrations --check``: no model change lacks a migration
  -- the four proofs about this leg's upgraded database --
  schema           its schema equals a fresh install's (``schema``)
  data survival    every row and value survived, or changed as the fragments declare
                   (``snapshot``)
  contract tests   the host's contract tests (new code) on this database
  old code         the old release's contract tests (old venv) on this database; a
                   failure is *expected* (reported, not failing) when the leg is major

Each side runs in one process (``worker``), both started at once: the old side sets the
database up while the new side starts Django and pytest and collects the contract tests;
then the new side upgrades the database and runs them, while the old side collects the old
release's contract tests, which it runs last. A step that collected its tests early takes
what the leg waits for once it may run them (its output says how long collecting took).
The first step of each command also counts what no step measures (for a
side's first command: starting its interpreter and Django), so a leg's steps add up to it.
pytest-django uses the leg's database as it is (``_leg_database``).
The fresh install to compare the schema with is the same for every leg: one per
rehearsal (``FreshSchema``).
"""

from __future__ import annotations

import contextlib
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from monorel.errors import MonorelError
from monorel.rehearsal import failure, schema, snapshot
from monorel.rehearsal.databases import Databases
from monorel.rehearsal.declarations import Declared
from monorel.rehearsal.worker import Worker, leg_env, steps_of

_TIMEOUT = 900  # seconds per command; a hung migration must not hang CI forever
_OUTPUT_KEPT = 8000  # characters of a failed step's output kept for the report / junit
_COMMANDS = {
    "old": ("migrate old", "load seed", "generate rows", "snapshot"),
    "new": ("migrate", "plan empty", "makemigrations", "schema", "data survival"),
    "contracts": ("contract tests",),
    "old-code": ("old code",),
}
STEPS = (
    "install old",
    "install new",
    *_COMMANDS["old"],
    *_COMMANDS["new"],
    *_COMMANDS["contracts"],
    *_COMMANDS["old-code"],
)
PROOFS = ("schema", "data survival", "contract tests", "old code")


@dataclass(frozen=True)
class Deployment:
    """The host side of every leg: settings, import path, seed and contract tests."""

    host: str  # member name, for the report
    host_dir: Path
    settings: str
    pythonpath: tuple[Path, ...]
    seed: Path
    contract_tests: Path | None
    apps: tuple[str, ...] = ()  # import packages whose Django apps get generated rows


@dataclass(frozen=True)
class OldContracts:
    """The host's contract tests as they were at the old release, or why there are none."""

    tests: Path | None  # the exported directory (or file); None: see ``missing``
    rootdir: Path | None = None
    missing: str = ""  # why they are unknown; "" with tests None: none configured


@dataclass
class Case:
    """One contract test of one leg, as its JUnit report has it."""

    name: str
    seconds: float
    outcome: str  # passed | failed | error | skipped | expected
    message: str = ""
    text: str = ""


@dataclass
class StepResult:
    name: str
    ok: bool
    seconds: float
    error: str = ""
    output: str = ""
    expected: bool = False  # failed, and allowed: the old code of a major release
    cases: list[Case] = field(default_factory=list)


@dataclass
class LegResult:
    package: str
    from_version: str
    to_version: str
    steps: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    @property
    def failed(self) -> StepResult | None:
        return next((s for s in self.steps if not s.ok), None)

    @property
    def expected(self) -> StepResult | None:
        return next((s for s in self.steps if s.expected), None)


class FreshInstallFailed(Exception):
    """Migrating an empty database with the new code failed: no schema to compare with."""


class FreshSchema:
    """The schema of a database migrated from scratch with the new code (once per rehearsal)."""

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

    def read(self) -> dict:
        self._work_dir.mkdir(parents=True, exist_ok=True)
        try:
            python = self._new_python()
            url = self._databases.create("fresh", self._work_dir)
        except MonorelError as exc:
            raise FreshInstallFailed(exc.message) from exc
        config = _write_config(self._work_dir, self._deployment, None, None)
        env = leg_env(self._deployment.pythonpath, self._deployment.settings, url)
        try:
            with Worker(python, config, env=env, cwd=self._work_dir, timeout=_TIMEOUT) as worker:
                why = worker.run("fresh")
        finally:
            with contextlib.suppress(MonorelError):
                self._databases.drop(url)
        steps = steps_of(self._work_dir, "fresh")
        failed = next((s for s in steps if not s["ok"]), None)
        if failed is not None:
            raise FreshInstallFailed(
                f"{failed['name']}: {failed['error'] or failure.summarize(failed['output'])}"
            )
        if why is not None or len(steps) < 2:
            raise FreshInstallFailed(failure.summarize(why or "no schema was read"))
        return schema.load(self._work_dir / "schema-fresh.json")


@dataclass
class Leg:
    package: str
    from_version: str
    to_version: str
    old_python: Callable[[], Path]  # makes (or reuses) the old venv; returns its python
    new_python: Callable[[], Path]  # the current venv, shared by all legs
    fresh_schema: Callable[[], dict]  # shared by all legs (see FreshSchema)
    databases: Databases
    deployment: Deployment
    work_dir: Path
    # the seed fixture as the host had it at the old release (the old models load it);
    # None: the deployment's current seed
    seed: Path | None = None
    old_contracts: OldContracts = field(default_factory=lambda: OldContracts(None))
    declared: Declared = field(default_factory=Declared)

    def run(self) -> LegResult:
        result = LegResult(self.package, self.from_version, self.to_version)
        started = time.perf_counter()
        self.work_dir.mkdir(parents=True, exist_ok=True)
        url: str | None = None
        workers: list[Worker] = []
        try:
            old = _timed(result, "install old", self.old_python)
            if old is None:
                return result
            new = _timed(result, "install new", self.new_python)
            if new is None:
                return result
            try:
                url = self.databases.create(f"{self.package}_{self.from_version}", self.work_dir)
            except MonorelError as exc:
                result.steps.append(_tool_failure("migrate old", 0.0, exc))
                return result
            config = _write_config(
                self.work_dir,
                self.deployment,
                self.seed or self.deployment.seed,
                self.old_contracts,
            )
            env = leg_env(self.deployment.pythonpath, self.deployment.settings, url)
            old_side = Worker(old, config, env=env, cwd=self.work_dir, timeout=_TIMEOUT)
            workers.append(old_side)
            new_side = Worker(new, config, env=env, cwd=self.work_dir, timeout=_TIMEOUT)
            workers.append(new_side)
            # the new side starts Django and pytest and collects the contract tests while
            # the old side sets the database up; then it upgrades it ("new") and on "go"
            # runs the tests
            new_side.send("contracts")
            if not self._command(result, old_side, "old"):
                return result
            if self.old_contracts.tests is not None or not self.old_contracts.missing:
                # the old side collects its tests while the new side upgrades; "go" runs them
                old_side.send("old-code")
            if not self._command(result, new_side, "new"):
                return result
            if not self._command(result, new_side, "contracts", go=True):
                return result
            new_side.close()  # the new side is done: its connection goes first
            workers.remove(new_side)
            if self.old_contracts.tests is None and self.old_contracts.missing:
                result.steps.append(StepResult("old code", False, 0.0, self.old_contracts.missing))
                return result
            self._command(result, workers[0], "old-code", go=True)
            return result
        finally:
            for worker in workers:
                worker.close()
            if url is not None:
                # a leftover database on a throwaway server is not a leg failure
                with contextlib.suppress(MonorelError):
                    self.databases.drop(url)
            result.seconds = time.perf_counter() - started

    def _command(self, result: LegResult, worker: Worker, command: str, go: bool = False) -> bool:
        """Run one command of a side (``go``: sent before, waiting for ``go``); record its
        steps; True when all passed."""
        expected = _COMMANDS[command]
        started = time.perf_counter()
        why = (worker.send("go") or worker.wait(command)) if go else worker.run(command)
        reported = steps_of(self.work_dir, command)
        if reported:
            # what no step measured (starting the process and Django, for a side's first
            # command) belongs to the command's first step, so the steps add up to the leg
            elapsed = time.perf_counter() - started
            reported[0]["seconds"] += max(0.0, elapsed - sum(s["seconds"] for s in reported))
        for step in reported:
            result.steps.append(self._finish(step))
            if not result.steps[-1].ok:
                return False
        if why is None and len(reported) == len(expected):
            return True
        # the process died between steps (import error, crash, timeout): blame the next step
        seconds = max(0.0, time.perf_counter() - started - sum(s["seconds"] for s in reported))
        name = expected[min(len(reported), len(expected) - 1)]
        text = why or "ended without reporting its steps"
        result.steps.append(
            StepResult(name, False, seconds, failure.summarize(text), text[-_OUTPUT_KEPT:])
        )
        return False

    def _finish(self, step: dict) -> StepResult:
        """A reported step as a result; the proofs compare what their step read."""
        output = step["output"][-_OUTPUT_KEPT:]
        if "prepared" in step:
            output += f"\n(collected in {step['prepared']:.2f}s while the new side worked)"
        if not step["ok"]:
            error = step["error"] or failure.summarize(step["output"])
            found = StepResult(step["name"], False, step["seconds"], error, output)
        else:
            found = StepResult(step["name"], True, step["seconds"], "", output)
        finish = _FINISH.get(step["name"])
        if finish is None:
            return found
        started = time.perf_counter()
        finish(self, found)
        found.seconds += time.perf_counter() - started
        return found

    def _schema(self, step: StepResult) -> None:
        if not step.ok:
            return
        try:
            fresh = self.fresh_schema()
        except (FreshInstallFailed, OSError) as exc:
            step.ok, step.error = False, f"a fresh install with the new code failed: {exc}"
            return
        upgraded = schema.load(self.work_dir / "schema-upgraded.json")
        _judge(step, schema.compare(fresh, upgraded, self.from_version), [])

    def _data_survival(self, step: StepResult) -> None:
        if not step.ok:
            return
        before_file = self.work_dir / "snapshot-before.json"
        after_file = self.work_dir / "snapshot-after.json"
        survival = snapshot.compare(
            snapshot.load(before_file), snapshot.load(after_file), self.declared
        )
        views = snapshot.compare_views(
            snapshot.load_views(before_file), snapshot.load_views(after_file)
        )
        _judge(step, survival.findings + views, survival.notes)

    def _contract_tests(self, step: StepResult) -> None:
        _read_cases(step, self.work_dir / "contracts.xml")

    def _old_code(self, step: StepResult) -> None:
        _read_cases(step, self.work_dir / "old-code.xml")
        if not step.ok and self.declared.major:
            step.ok, step.expected = True, True
            step.error = f"expected for a major release: {step.error}"
            for case in step.cases:
                if case.outcome in ("failed", "error"):
                    case.outcome = "expected"


_FINISH: dict[str, Callable[[Leg, StepResult], None]] = {
    "schema": Leg._schema,
    "data survival": Leg._data_survival,
    "contract tests": Leg._contract_tests,
    "old code": Leg._old_code,
}


def _judge(step: StepResult, findings: list[str], notes: list[str]) -> None:
    step.ok = not findings
    step.error = "; ".join(findings)
    step.output = "\n".join([*findings, *notes])


def _write_config(
    work_dir: Path, deployment: Deployment, seed: Path | None, old: OldContracts | None
) -> Path:
    """The leg's ``_steps.py`` configuration (both sides read the same file)."""
    ini = work_dir / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")

    def contracts(tests: Path | None, rootdir: Path | None, junit: str) -> dict | None:
        if tests is None or rootdir is None:
            return None
        return {
            "tests": str(tests),
            "rootdir": str(rootdir),
            "ini": str(ini),
            "junit": str(work_dir / junit),
        }

    config = {
        "work_dir": str(work_dir),
        "apps": list(deployment.apps),
        "seed": str(seed) if seed else None,
        "contracts": contracts(deployment.contract_tests, deployment.host_dir, "contracts.xml"),
        "old_contracts": contracts(old.tests, old.rootdir, "old-code.xml") if old else None,
    }
    path = work_dir / "leg.json"
    path.write_text(json.dumps(config, indent=1), encoding="utf-8")
    return path


def _read_cases(step: StepResult, junit: Path) -> None:
    """The step's test cases; a failed step's error names the failed tests and why."""
    step.cases = _cases(junit)
    failed = [c for c in step.cases if c.outcome in ("failed", "error")]
    if step.ok or not failed:
        return
    shown = "; ".join(
        f"{c.name.rsplit('::', 1)[-1]} ({_first_line(c.message)})" for c in failed[:3]
    )
    more = f"; ... {len(failed) - 3} more" if len(failed) > 3 else ""
    step.error = f"{len(failed)} of {len(step.cases)} failed: {shown}{more}"


def _first_line(message: str) -> str:
    line = (message.strip().splitlines() or [""])[0]
    # "django.db.utils.OperationalError: ..." -> "OperationalError: ..."
    head, colon, rest = line.partition(": ")
    if colon and "." in head and " " not in head:
        line = f"{head.rsplit('.', 1)[-1]}: {rest}"
    return line if len(line) <= 200 else line[:197] + "..."


def _cases(junit: Path) -> list[Case]:
    """Each test case of a pytest JUnit report, with its outcome and duration."""
    if not junit.is_file():
        return []
    found = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        outcome, message, text = "passed", "", ""
        for kind in ("failure", "error", "skipped"):
            node = case.find(kind)
            if node is not None:
                outcome = {"failure": "failed"}.get(kind, kind)
                message, text = node.get("message", ""), (node.text or "")[-_OUTPUT_KEPT:]
                break
        classname = case.get("classname", "")
        name = f"{classname}::{case.get('name', '')}" if classname else case.get("name", "")
        found.append(Case(name, float(case.get("time", "0") or 0), outcome, message, text))
    return found


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
