"""Named, timed steps: what `monorel ship` and `monorel gate` print and report.

A step either runs in the calling thread (``step``), or on a worker thread (``start`` +
``join``, or ``record`` of a timing measured there). A step that overlapped others is
marked ``parallel``: the steps not marked add up to the wall-clock time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console

PARALLEL_MARK = " (in parallel)"


@dataclass
class Timing:
    step: str
    seconds: float
    ok: bool
    parallel: bool = False  # overlapped other steps: not part of the wall-clock total


@dataclass
class Background:
    """A step running on a worker thread; ``Steps.join`` waits for it and records it."""

    name: str
    future: Future[None] | None = None
    seconds: float = 0.0  # written by the worker before its future completes


@dataclass
class Steps:
    """Runs named steps under a spinner and records how long each took."""

    console: Console
    timings: list[Timing] = field(default_factory=list)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        ok = False
        try:
            with self.console.status(f"{name} ..."):
                yield
            ok = True
        finally:
            self.record(Timing(name, time.monotonic() - start, ok))

    @contextmanager
    def parallel_step(self, name: str) -> Iterator[None]:
        """A step on a worker thread, overlapping others: timed and marked, no spinner (one
        live display at a time, and the main thread has it)."""
        start = time.monotonic()
        ok = False
        try:
            yield
            ok = True
        finally:
            self.record(Timing(name + PARALLEL_MARK, time.monotonic() - start, ok, parallel=True))

    def start(self, pool: ThreadPoolExecutor, name: str, work: Callable[[], None]) -> Background:
        """Run ``work`` on ``pool``; its outcome is reported when ``join`` waits for it."""
        job = Background(name)

        def timed() -> None:
            started = time.monotonic()
            try:
                work()
            finally:
                job.seconds = time.monotonic() - started

        job.future = pool.submit(timed)
        self.console.print(f"  [dim]started[/dim] {name}{PARALLEL_MARK}")
        return job

    def join(self, job: Background, *, waiting: str, in_parallel: bool = False) -> None:
        """Wait for ``job`` as the step ``waiting``; re-raise the job's own error unchanged.

        The job is recorded with its own duration, marked as overlapping; the wait is a
        step of its own, so the steps not marked add up to the wall-clock time.
        ``in_parallel``: the caller is itself on a worker thread (its wait overlaps too).
        """
        assert job.future is not None
        wait = self.parallel_step(waiting) if in_parallel else self.step(waiting)
        with wait:
            try:
                job.future.result()
            except Exception:
                self.record(Timing(job.name + PARALLEL_MARK, job.seconds, False, parallel=True))
                raise
            self.record(Timing(job.name + PARALLEL_MARK, job.seconds, True, parallel=True))

    def record(self, timing: Timing) -> None:
        """Record (and print) a step timed elsewhere, e.g. on a worker thread."""
        self.timings.append(timing)
        mark = "[green]ok[/green]" if timing.ok else "[red]failed[/red]"
        self.console.print(f"  {mark} {timing.step} [dim]({timing.seconds:.1f}s)[/dim]")
