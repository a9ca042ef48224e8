"""Run the legs in parallel and report them: a text matrix and JUnit XML."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Generic, TypeVar

from monorel.rehearsal.legs import Leg, LegResult, StepResult

T = TypeVar("T")


class Once(Generic[T]):
    """Compute a value at most once across threads; later callers get it (or its error) too."""

    def __init__(self, produce: Callable[[], T]) -> None:
        self._produce = produce
        self._lock = threading.Lock()
        self._done = False
        self._value: T | None = None
        self._error: BaseException | None = None

    def __call__(self) -> T:
        with self._lock:
            if not self._done:
                try:
                    self._value = self._produce()
                except Exception as exc:  # noqa: BLE001 - re-raised to every caller below
                    self._error = exc
                self._done = True
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def run_legs(legs: Sequence[Leg], jobs: int) -> list[LegResult]:
    """Every leg's result, in the order of ``legs``."""
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="leg") as pool:
        return list(pool.map(lambda leg: leg.run(), legs))


def render(results: Sequence[LegResult], *, title: str, steps: bool = False) -> str:
    """from-version x result x time, with the failing step and its error.

    A leg that passed with an expected failure (the old code of a major release) names
    that step and says so. ``steps`` adds each leg's step timings below the matrix.
    """
    header = ("from", "result", "time", "step", "error")
    rows = []
    for r in results:
        shown = r.failed or r.expected
        rows.append(
            (
                r.from_version,
                "ok" if r.ok else "FAIL",
                f"{r.seconds:.1f}s",
                shown.name if shown else "",
                shown.error if shown else "",
            )
        )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(4)]
    lines = [title]
    for row in [header, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row[:4], widths, strict=True)]
        lines.append("  ".join([*cells, row[4]]).rstrip())
    passed = sum(r.ok for r in results)
    # not "N passed, N failed": CI log readers take that phrase for a test-runner summary
    lines.append(f"legs: {passed} ok, {len(results) - passed} failed")
    if steps:
        for r in results:
            timings = ", ".join(f"{s.name} {s.seconds:.2f}s" for s in r.steps)
            lines.append(f"  {r.from_version}: {timings}")
    return "\n".join(lines)


def write_junit(results: Sequence[LegResult], path: Path, *, suite: str) -> None:
    """One testcase per leg (a failing leg carries its step, error and the step's output),
    and one per contract test per leg, with its own duration: the host's contract tests
    (classname ``<suite>.<from>.contract-tests``) and the old release's
    (``<suite>.<from>.old-code``; an expected failure of a major release is ``skipped``)."""
    root = ET.Element("testsuites")
    element = ET.SubElement(root, "testsuite", name=suite, errors="0")
    tests = failures = skipped = 0
    for r in results:
        tests += 1
        case = ET.SubElement(
            element,
            "testcase",
            classname=suite,
            name=f"{r.package} {r.from_version} -> {r.to_version}",
            time=f"{r.seconds:.3f}",
        )
        failed = r.failed
        if failed is not None:
            failures += 1
            node = ET.SubElement(
                case, "failure", message=f"{failed.name}: {failed.error}", type=failed.name
            )
            node.text = failed.output or failed.error
        steps = "\n".join(f"{s.name}: {_state(s)} {s.seconds:.2f}s" for s in r.steps)
        ET.SubElement(case, "system-out").text = steps
        for step in r.steps:
            for test in step.cases:
                tests += 1
                classname = f"{suite}.{r.from_version}.{step.name.replace(' ', '-')}"
                node = ET.SubElement(
                    element,
                    "testcase",
                    classname=classname,
                    name=test.name,
                    time=f"{test.seconds:.3f}",
                )
                if test.outcome in ("failed", "error"):
                    failures += 1
                    child = ET.SubElement(node, "failure", message=test.message, type=test.outcome)
                    child.text = test.text
                elif test.outcome in ("skipped", "expected"):
                    skipped += 1
                    message = test.message
                    if test.outcome == "expected":
                        message = f"expected for a major release: {test.message}"
                    child = ET.SubElement(node, "skipped", message=message)
                    child.text = test.text
    element.set("tests", str(tests))
    element.set("failures", str(failures))
    element.set("skipped", str(skipped))
    element.set("time", f"{sum(r.seconds for r in results):.3f}")
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _state(step: StepResult) -> str:
    if step.expected:
        return "expected"
    return "ok" if step.ok else "FAILED"
