"""The proofs of the gate, run in parallel where the cores allow, each timed and reported.

A proof is a name and a function that returns a one-line result or raises ``Unproven``
(or any ``MonorelError``, when what it needs cannot be made). Every proof runs to its
end, so the report names each one that failed, not just the first. The kinds:

- ``stranger install``: examples/consumer installs the packages from the dev index with
  real pip, migrates and runs the host's contract tests (``monorel.gate.consumer``);
- ``suite PKG``: a member's test suite against the installed wheels (``.suites``);
- ``rehearse PKG``: `monorel rehearse PKG --index DEV` for a released package that has
  migrations, its wheels from the dev index.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from monorel.adapters import monorel_cli
from monorel.errors import MonorelError
from monorel.gate.steps import PARALLEL_MARK, Steps, Timing
from monorel.redaction import redact
from monorel.workspace import Member, Workspace

_OUTPUT_KEPT = 60  # lines of a failed proof's output in its report


class Unproven(Exception):
    """A proof ran and failed: ``detail`` is the one-line reason, ``output`` the evidence."""

    def __init__(self, detail: str, output: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.output = output


@dataclass(frozen=True)
class Proof:
    name: str
    check: Callable[[], str]  # the one-line result; raises Unproven or MonorelError


@dataclass(frozen=True)
class ProofResult:
    name: str
    ok: bool
    seconds: float
    detail: str
    output: str = ""  # the tail of a failed proof's output


def workers() -> int:
    """Proofs at once: one per core, two at most (the consumer and one suite or rehearsal)."""
    return max(1, min(2, os.cpu_count() or 1))


def run_all(proofs: Sequence[Proof], *, steps: Steps, jobs: int) -> list[ProofResult]:
    """Every proof's result, in the order given (which is also the order they start in)."""

    def one(proof: Proof) -> ProofResult:
        started = time.monotonic()
        try:
            detail, ok, output = proof.check(), True, ""
        except Unproven as exc:
            detail, ok, output = exc.detail, False, exc.output
        except MonorelError as exc:  # what the proof needs could not be made: unknown
            detail, ok, output = exc.message.splitlines()[0], False, exc.render()
        result = ProofResult(
            proof.name,
            ok,
            time.monotonic() - started,
            redact(detail),
            redact(_tail(output)),
        )
        steps.record(Timing(f"proof: {proof.name}{PARALLEL_MARK}", result.seconds, ok, True))
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="monorel-proof") as pool:
        return list(pool.map(one, proofs))


def has_migrations(member: Member) -> bool:
    migrations = member.package_dir / "migrations"
    return any(p.name[0].isdigit() for p in migrations.glob("*.py"))


def rehearsal(ws: Workspace, member: Member, *, dev_url: str, db: str) -> Proof:
    """`monorel rehearse PKG --index DEV`: the upgrade from the latest earlier release."""

    def check() -> str:
        args = ["rehearse", member.name, "--index", dev_url, "--db", db, "--jobs", "1"]
        outcome = monorel_cli.run(ws.root, args)
        lines = [line for line in outcome.output.splitlines() if line.strip()]
        last = lines[-1].strip() if lines else "no output"
        if outcome.returncode != 0:
            failed = [" ".join(line.split()) for line in lines if " FAIL " in f" {line} "]
            raise Unproven(
                f"`monorel {' '.join(args)}` exited with {outcome.returncode}: "
                + ("; ".join(failed) if failed else last),
                outcome.output,
            )
        return last  # "legs: 1 ok, 0 failed", or why there was nothing to rehearse

    return Proof(f"rehearse {member.name}", check)


def _tail(output: str) -> str:
    return "\n".join(output.splitlines()[-_OUTPUT_KEPT:])


def write_junit(results: Sequence[ProofResult], path: Path) -> None:
    """The proofs as JUnit XML (one test case each), for CI."""
    import xml.etree.ElementTree as ET

    suite = ET.Element(
        "testsuite",
        name="monorel.gate",
        tests=str(len(results)),
        failures=str(sum(not r.ok for r in results)),
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for result in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname="monorel.gate",
            name=result.name,
            time=f"{result.seconds:.3f}",
        )
        if not result.ok:
            failure = ET.SubElement(case, "failure", message=result.detail)
            failure.text = result.output
        else:
            ET.SubElement(case, "system-out").text = result.detail
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
