"""What every benchmark shares: timing, subprocesses, the result record, table and JSON.

A benchmark module exposes ``NAME``, ``SUMMARY`` and ``run(quick: bool) -> Report``.
Benchmarks measure; they never assert on wall time. They do raise ``BenchError`` when the
thing measured did not work (a failed command, a wrong row count, an overpayment): a
fast wrong answer is not a result.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent  # the workspace root (this repo)
KEEP_ENV = "BENCH_KEEP"  # set to 1 to keep the temporary directories for inspection
# Bytecode of every process the benchmarks start goes to one cache outside the tree, and is
# written even where the machine exports PYTHONDONTWRITEBYTECODE=1 (this one does): without
# it every process compiles Django and monorel from source again, which no developer
# machine or CI runner does after its first run.
PYCACHE = Path(tempfile.gettempdir()) / f"bench-pycache-{os.getuid()}"
_OUTPUT_TAIL = 3000


class BenchError(Exception):
    """The measured operation failed or gave a wrong result."""


@dataclass(frozen=True)
class Target:
    """One target of issue 7, judged on a measured value."""

    name: str
    value: float
    limit: float
    unit: str
    better: Literal["lower", "higher"] = "lower"

    @property
    def met(self) -> bool:
        return self.value <= self.limit if self.better == "lower" else self.value >= self.limit

    def to_json(self) -> dict:
        return {**asdict(self), "met": self.met}


@dataclass
class Report:
    name: str
    quick: bool
    columns: list[str]
    # one dict per table row, keyed by column; an optional "detail" is printed under the row
    rows: list[dict] = field(default_factory=list)
    metrics: dict[str, float | int | str | bool] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what this run left out, and why
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "quick": self.quick,
            "seconds": round(self.seconds, 3),
            "columns": self.columns,
            "rows": self.rows,
            "metrics": self.metrics,
            "targets": [t.to_json() for t in self.targets],
            "notes": self.notes,
            "skipped": self.skipped,
        }


# -- timing and processes -------------------------------------------------------------------


class Stopwatch:
    """``with watch: ...`` adds the block's wall time; ``watch.seconds`` is the total."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __enter__(self) -> Stopwatch:
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._started


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    drop_env: Sequence[str] = (),
    timeout: float = 1800,
    check: bool = True,
    bytecode_cache: bool = True,
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run a command; (wall seconds, completed process). ``BenchError`` if it fails.

    ``bytecode_cache=False`` runs it as this machine's environment would: with
    PYTHONDONTWRITEBYTECODE=1 and no cache (see ``PYCACHE``).
    """
    full_env = {k: v for k, v in os.environ.items() if k not in drop_env}
    if bytecode_cache:
        full_env.pop("PYTHONDONTWRITEBYTECODE", None)
        full_env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    else:
        full_env.pop("PYTHONPYCACHEPREFIX", None)
        full_env["PYTHONDONTWRITEBYTECODE"] = "1"
    full_env.update(env or {})
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [str(a) for a in argv],
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"timed out after {timeout}s: {_show(argv)}") from exc
    seconds = time.perf_counter() - started
    if check and proc.returncode != 0:
        raise BenchError(
            f"exit {proc.returncode}: {_show(argv)}\n{(proc.stdout + proc.stderr)[-_OUTPUT_TAIL:]}"
        )
    return seconds, proc


def use_bytecode_cache() -> None:
    """This process too: compile each module once into ``PYCACHE`` (see above)."""
    sys.dont_write_bytecode = False
    sys.pycache_prefix = str(PYCACHE)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(PYCACHE)


def _show(argv: Sequence[str | os.PathLike[str]]) -> str:
    return " ".join(str(a) for a in argv)


def script(name: str) -> str:
    """A console script of the workspace environment (the one running the benchmarks)."""
    from monorel.adapters._process import console_script
    from monorel.errors import ToolError

    try:
        return console_script(name, fix="run `uv sync --all-packages`")
    except ToolError as exc:
        raise BenchError(f"{exc.message}: {exc.fix}") from None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    """A temporary directory, removed afterwards unless BENCH_KEEP=1."""
    path = Path(tempfile.mkdtemp(prefix=f"bench-{prefix}-"))
    try:
        yield path
    finally:
        if os.environ.get(KEEP_ENV) == "1":
            print(f"  (kept {path})", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


def clone_repo(dest: Path) -> Path:
    """A fresh ``git clone`` of this repository's HEAD (what a newcomer gets), with tags."""
    run(["git", "clone", "--quiet", str(ROOT), str(dest)])
    return dest


def child_json(module: str, payload: dict, *, timeout: float = 3600) -> dict:
    """Run ``python -m <module> --child`` with a JSON payload; return the JSON it writes.

    Django work runs in a child process: settings are configured once per process, and
    each benchmark needs its own database.
    """
    with tempfile.TemporaryDirectory(prefix="bench-child-") as tmp:
        out = Path(tmp) / "out.json"
        run(
            [sys.executable, "-m", module, "--child", json.dumps(payload), str(out)],
            cwd=ROOT,
            timeout=timeout,
            drop_env=("DJANGO_SETTINGS_MODULE",),
        )
        return json.loads(out.read_text())


def child_main(argv: list[str], work) -> int:
    """The ``--child PAYLOAD OUT`` entry point of a benchmark module."""
    if len(argv) != 3 or argv[0] != "--child":
        print("usage: python -m bench.<name> --child PAYLOAD_JSON OUT_JSON", file=sys.stderr)
        return 2
    result = work(json.loads(argv[1]))
    Path(argv[2]).write_text(json.dumps(result), encoding="utf-8")
    return 0


# -- the machine ----------------------------------------------------------------------------


def machine() -> dict[str, str | int]:
    """CPU, cores, RAM, load and the versions of everything measured."""
    info: dict[str, str | int] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 0,
        "ram_gib": _ram_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "bytecode": f"cached in {PYCACHE} (PYTHONDONTWRITEBYTECODE unset for the benchmarks)",
    }
    for dist in ("django", "devpi-server", "devpi-client", "grimp", "import-linter", "psycopg"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            info[dist] = metadata.version(dist)
    info["postgresql"] = _version_of(["postgres", "--version"], via="initdb")
    info["uv"] = _version_of([os.environ.get("UV") or "uv", "--version"])
    info["git"] = _version_of(["git", "--version"])
    return info


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _ram_gib() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f}"
    return "unknown"


def _version_of(argv: list[str], *, via: str | None = None) -> str:
    program = argv[0]
    if via is not None and shutil.which(program) is None and shutil.which(via):
        # postgres is often not on PATH where initdb is: use initdb's directory
        program = str(Path(shutil.which(via) or via).resolve().parent / program)
    try:
        out = subprocess.run(
            [program, *argv[1:]], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    return out.stdout.strip() or out.stderr.strip() or "unknown"


# -- output ---------------------------------------------------------------------------------


def render(report: Report) -> str:
    """The report as text: a table, then targets, notes and what was skipped."""
    lines = [f"== {report.name}{' (--quick)' if report.quick else ''}: {report.seconds:.1f}s"]
    if report.rows:
        cells = [[_cell(row.get(c, "")) for c in report.columns] for row in report.rows]
        widths = [
            max(len(x) for x in [c, *(r[i] for r in cells)]) for i, c in enumerate(report.columns)
        ]
        lines.append("  ".join(c.ljust(w) for c, w in zip(report.columns, widths, strict=True)))
        lines.append("  ".join("-" * w for w in widths))
        for row, cell in zip(report.rows, cells, strict=True):
            lines.append("  ".join(_align(x, w) for x, w in zip(cell, widths, strict=True)))
            if row.get("detail"):  # a long breakdown goes under its row, not in a column
                lines.append(f"      {row['detail']}")
    for target in report.targets:
        relation = "<=" if target.better == "lower" else ">="
        verdict = "met" if target.met else "MISSED"
        lines.append(
            f"target {verdict}: {target.name}: {_cell(target.value)} {target.unit} "
            f"(target {relation} {_cell(target.limit)} {target.unit})"
        )
    lines += [f"note: {n}" for n in report.notes]
    lines += [f"skipped: {s}" for s in report.skipped]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:.2f}" if value < 10 else f"{value:.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


_NUMBER = re.compile(r"^[\d,.]+[a-z%x]*$")


def _align(text: str, width: int) -> str:
    return text.rjust(width) if _NUMBER.match(text) else text.ljust(width)


def write_json(path: Path, reports: dict[str, dict], *, quick: bool, info: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"format": 1, "quick": quick, "machine": info, "benchmarks": reports}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
