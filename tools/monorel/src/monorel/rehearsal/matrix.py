"""Run the legs in parallel and report them: a text matrix and JUnit XML."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Generic, TypeVar

from monorel.rehearsal.legs import Leg, LegResult

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

    ``steps`` adds each leg's step timings below the matrix (for benchmarking).
    """
    header = ("from", "result", "time", "failed step", "error")
    rows = [
        (
            r.from_version,
            "ok" if r.ok else "FAIL",
            f"{r.seconds:.1f}s",
            r.failed.name if r.failed else "",
            r.failed.error if r.failed else "",
        )
        for r in results
    ]
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
    """One testcase per leg; a failing leg carries its step, error and the step's output."""
    failures = sum(not r.ok for r in results)
    root = ET.Element("testsuites")
    element = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for r in results:
        case = ET.SubElement(
            element,
            "testcase",
            classname=suite,
            name=f"{r.package} {r.from_version} -> {r.to_version}",
            time=f"{r.seconds:.3f}",
        )
        failed = r.failed
        if failed is not None:
            node = ET.SubElement(
                case, "failure", message=f"{failed.name}: {failed.error}", type=failed.name
            )
            node.text = failed.output or failed.error
        steps = "\n".join(
            f"{s.name}: {'ok' if s.ok else 'FAILED'} {s.seconds:.2f}s" for s in r.steps
        )
        ET.SubElement(case, "system-out").text = steps
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
