"""`monorel ship --local`: publish to the embedded devpi and prove a stranger can install it.

Steps, each timed:

1. ``devpi up`` (the embedded server; reused when already running);
2. the release plan (offline; shown as pending work, nothing is versioned here);
3. for every released package whose current version the index does not list yet:
   build + verify, then publish to ``<org>/stable`` (identical files are skipped,
   so a second run publishes nothing);
4. a throwaway consumer outside the workspace, from ``examples/consumer/``: a plain
   ``python -m venv`` (made on a worker thread while steps 1-3 run, since it needs
   none of them; waited for before its first use); third-party wheels (Django, pytest,
   ...) fetched once into ``<state-dir>/wheelhouse`` with pip, because an offline devpi
   cannot mirror PyPI;
   then an isolated ``pip install`` of ``requirements.txt`` with the devpi simple index
   as the only index (the wheelhouse as find-links for third-party wheels only; pip's
   report must show our packages downloaded from devpi); ``manage.py migrate``; the
   host's contract tests against the installed wheels.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name
from rich.console import Console

from monorel import building, embedded_devpi, planning, publishing, state_dir
from monorel.adapters import git, pip, python
from monorel.errors import ConfigError, ConsumerCheckFailed, MonorelError
from monorel.workspace import Member, Workspace

CONSUMER_TEMPLATE = Path("examples") / "consumer"
CONTRACTS_INI = "contracts-pytest.ini"
_TEMPLATE_SKIP = shutil.ignore_patterns(".venv", "db.sqlite3", "__pycache__", "*.pyc", "contracts")
PARALLEL_MARK = " (in parallel)"
CONSUMER_VENV_STEP = "consumer: copy template + contract tests, python -m venv"


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
            self._record(Timing(name, time.monotonic() - start, ok))

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

    def join(self, job: Background, *, waiting: str) -> None:
        """Wait for ``job`` as the step ``waiting``; re-raise the job's own error unchanged.

        The job is recorded with its own duration, marked as overlapping; the wait is a
        step of its own, so the steps not marked add up to the wall-clock time.
        """
        assert job.future is not None
        with self.step(waiting):
            try:
                job.future.result()
            except Exception:
                self._record(Timing(job.name + PARALLEL_MARK, job.seconds, False, parallel=True))
                raise
            self._record(Timing(job.name + PARALLEL_MARK, job.seconds, True, parallel=True))

    def _record(self, timing: Timing) -> None:
        self.timings.append(timing)
        mark = "[green]ok[/green]" if timing.ok else "[red]failed[/red]"
        self.console.print(f"  {mark} {timing.step} [dim]({timing.seconds:.1f}s)[/dim]")


@dataclass(frozen=True)
class ConsumerDirs:
    """Where the throwaway consumer lives: one temp dir, removed as a whole."""

    workdir: Path

    @property
    def project(self) -> Path:
        return self.workdir / "consumer"

    @property
    def venv(self) -> Path:
        return self.workdir / "venv"


@dataclass(frozen=True)
class Installed:
    name: str
    version: str
    url: str


@dataclass(frozen=True)
class ConsumerResult:
    directory: Path
    installed: tuple[Installed, ...]  # our packages, as pip's report saw them
    third_party: tuple[str, ...]  # "Django 5.2.9", ...
    import_paths: tuple[str, ...]
    tests: str  # pytest's summary line


@dataclass(frozen=True)
class ShipReport:
    index_url: str
    simple_url: str
    devpi_started: bool
    published: tuple[publishing.PackagePublication, ...]
    sources: dict[str, str]  # package -> what it was built from
    already_released: tuple[tuple[str, str], ...]
    pending: tuple[planning.PackagePlan, ...]
    consumer: ConsumerResult
    kept_consumer: bool
    timings: tuple[Timing, ...]


def ship_local(
    ws: Workspace,
    *,
    port: int,
    console: Console,
    keep_consumer: bool = False,
    stop_devpi: bool = False,
) -> ShipReport:
    template, contracts = consumer_sources(ws)  # fail before anything is started
    steps = Steps(console)
    server = embedded_devpi.for_workspace(ws)
    dirty = git.dirty_paths(ws.root) if git.is_repository(ws.root) else []
    if dirty:
        console.print(
            f"[yellow]warning:[/yellow] {len(dirty)} uncommitted change(s): packages are "
            "built from the working tree, not from a commit"
        )
    dirs = ConsumerDirs(Path(tempfile.mkdtemp(prefix="monorel-consumer-")))
    keep_workdir = False
    # One worker: the consumer's venv needs nothing from devpi, builds or publish.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="monorel-consumer")
    try:
        venv_job = steps.start(
            pool, CONSUMER_VENV_STEP, lambda: prepare_consumer(template, contracts, dirs)
        )
        with steps.step("devpi up"):
            state, started = embedded_devpi.up(server, port=port)
        index = publishing.Index(url=state.index_url(ws.config.org, "stable"), name="stable")
        try:
            with steps.step("plan"):
                plan = planning.compute(ws)
            members = building.releasable(ws)
            missing: list[Member] = []
            already: list[tuple[str, str]] = []
            with steps.step(f"look up {len(members)} package(s) on the index"):
                for member in members:
                    if publishing.released_on(index, member.name, member.version):
                        already.append((member.name, member.version))
                    else:
                        missing.append(member)
            built = []
            sources: dict[str, str] = {}
            for member in missing:
                with steps.step(f"build + verify {member.name} {member.version}"):
                    package, source = building.build_release(ws, member)
                    built.append(package)
                    sources[member.name] = source.label
            published: list[publishing.PackagePublication] = []
            if built:
                auth = embedded_devpi.upload_auth(server)
                assert auth is not None
                credentials = publishing.basic_credentials(
                    "embedded devpi", auth.user, auth.password
                )
                with steps.step(f"publish {', '.join(b.name for b in built)}"):
                    published = publishing.publish(ws, index, built, credentials=credentials)
            # the consumer is a Django project: it installs the libraries, not released tools
            versions = {m.name: m.version for m in members if m.role == "library"}
            try:
                consumer = run_consumer(
                    ws,
                    dirs=dirs,
                    venv_job=venv_job,
                    index=index,
                    server_url=state.url or "",
                    versions=versions,
                    steps=steps,
                )
            except MonorelError:
                keep_workdir = True  # run_consumer's error names the dir, kept for inspection
                raise
            keep_workdir = keep_consumer
        finally:
            if stop_devpi and started:
                embedded_devpi.down(server)
    finally:
        # An earlier step may have failed while the venv is still being made: wait for
        # it (its error, if any, is dropped: the earlier one is the one to report).
        pool.shutdown(wait=True, cancel_futures=True)
        if not keep_workdir:
            shutil.rmtree(dirs.workdir, ignore_errors=True)
    return ShipReport(
        index_url=index.url,
        simple_url=index.simple_url,
        devpi_started=started,
        published=tuple(published),
        sources=sources,
        already_released=tuple(already),
        pending=plan.releases,
        consumer=consumer,
        kept_consumer=keep_consumer,
        timings=tuple(steps.timings),
    )


def version_variables(versions: dict[str, str]) -> dict[str, str]:
    """``BILLING_APP_VERSION=1.2.0`` style variables for the consumer's requirements.txt."""
    return {re.sub(r"[^A-Z0-9]", "_", n.upper()) + "_VERSION": v for n, v in versions.items()}


def consumer_sources(ws: Workspace) -> tuple[Path, Path]:
    """The consumer template and the host's contract tests; ``ConfigError`` if missing."""
    template = ws.root / CONSUMER_TEMPLATE
    if not (template / "requirements.txt").is_file():
        raise ConfigError(
            f"no consumer template at {template}",
            fix="add examples/consumer/ (requirements.txt, manage.py, settings)",
        )
    hosts = [m for m in ws.members.values() if m.role == "host" and m.contract_tests]
    for host in hosts:
        assert host.contract_tests is not None
        if (host.contract_tests / CONTRACTS_INI).is_file():
            return template, host.contract_tests
    raise ConfigError(
        "no host contract tests to run against the installed wheels",
        fix='set [tool.monorel.packages.<host>] contract-tests = "tests/contracts" '
        f"(a directory with {CONTRACTS_INI} for standalone runs)",
    )


def prepare_consumer(template: Path, contracts: Path, dirs: ConsumerDirs) -> None:
    """Copy the consumer template and the contract tests; make the plain venv."""
    shutil.copytree(template, dirs.project, ignore=_TEMPLATE_SKIP)
    shutil.copytree(contracts, dirs.project / "contracts", ignore=_TEMPLATE_SKIP)
    python.create_venv(dirs.venv)


def run_consumer(
    ws: Workspace,
    *,
    dirs: ConsumerDirs,
    venv_job: Background,
    index: publishing.Index,
    server_url: str,
    versions: dict[str, str],
    steps: Steps,
) -> ConsumerResult:
    """Install the released packages into the consumer ``venv_job`` prepares; run the contracts."""
    workdir, project, venv = dirs.workdir, dirs.project, dirs.venv
    try:
        # The wheelhouse step is the venv's first user.
        steps.join(venv_job, waiting="consumer: wait for the venv")
        test_requirements = project / "requirements-test.txt"
        wheelhouse = state_dir.ensure(ws.state_dir) / "wheelhouse"
        with steps.step("consumer: third-party wheels into the wheelhouse"):
            _fill_wheelhouse(ws, venv, wheelhouse, test_requirements)
        with steps.step("consumer: pip install -r requirements.txt from devpi"):
            report = pip.install(
                venv,
                requirement_files=[project / "requirements.txt", test_requirements],
                index_url=index.simple_url,
                find_links=wheelhouse,
                report=workdir / "pip-report.json",
                cwd=project,
                env=version_variables(versions),
            )
            installed, third_party = _check_report(report, versions, server_url)
        with steps.step("consumer: the apps import from the venv"):
            paths = _import_paths(venv, project, ws)
        with steps.step("consumer: manage.py migrate"):
            python.run_in(
                venv,
                ["manage.py", "migrate", "--noinput"],
                cwd=project,
                fix="the installed wheels do not migrate: read the output above",
            )
        with steps.step("consumer: host contract tests"):
            out = python.run_in(
                venv,
                ["-m", "pytest", "-q", "-c", f"contracts/{CONTRACTS_INI}", "contracts"],
                cwd=project,
                fix="the contract tests fail against the installed wheels: read the output above",
            )
    except MonorelError as exc:
        exc.message += f"\n(the throwaway consumer is kept for inspection: {workdir})"
        raise
    summary = next((line for line in reversed(out.splitlines()) if line.strip()), "")
    return ConsumerResult(
        directory=project,
        installed=installed,
        third_party=third_party,
        import_paths=paths,
        tests=summary.strip("= "),
    )


def _fill_wheelhouse(ws: Workspace, venv: Path, wheelhouse: Path, test_reqs: Path) -> None:
    """pip-download the third-party requirements once; reuse while they are unchanged."""
    third_party = sorted(
        {
            str(req)
            for member in building.releasable(ws)
            for req in member.requirements
            if canonicalize_name(req.name) not in ws.members
        }
    )
    key = hashlib.sha256(
        ("\n".join(third_party) + "\n" + test_reqs.read_text()).encode()
    ).hexdigest()
    marker = wheelhouse / ".requirements.sha256"
    if marker.is_file() and marker.read_text().strip() == key:
        return
    if wheelhouse.exists():
        shutil.rmtree(wheelhouse)
    pip.download(venv, third_party, wheelhouse, requirement_files=[test_reqs])
    marker.write_text(key + "\n")


def _check_report(
    report: dict, versions: dict[str, str], server_url: str
) -> tuple[tuple[Installed, ...], tuple[str, ...]]:
    ours: list[Installed] = []
    others: list[str] = []
    for item in report.get("install", []):
        name = canonicalize_name(item["metadata"]["name"])
        version = item["metadata"]["version"]
        url = item.get("download_info", {}).get("url", "")
        if name in versions:
            ours.append(Installed(name, version, url))
        else:
            others.append(f"{item['metadata']['name']} {version}")
    problems = []
    got = {i.name: i for i in ours}
    for name, version in versions.items():
        item = got.get(name)
        if item is None:
            problems.append(f"{name} was not installed")
        elif item.version != version:
            problems.append(f"{name} {item.version} was installed, expected {version}")
        elif not item.url.startswith(server_url):
            problems.append(f"{name} came from {item.url}, not from devpi at {server_url}")
    if problems:
        raise ConsumerCheckFailed(
            "the consumer did not install what was shipped: " + "; ".join(problems),
            fix="check the index and the consumer's requirements.txt",
        )
    return tuple(ours), tuple(sorted(others, key=str.lower))


def _import_paths(venv: Path, project: Path, ws: Workspace) -> tuple[str, ...]:
    modules = [m.import_name for m in building.releasable(ws) if m.role == "library"]
    code = (
        f"import importlib\nfor m in {modules!r}:\n    print(importlib.import_module(m).__file__)"
    )
    out = python.run_in(venv, ["-c", code], cwd=project, fix="the installed apps do not import")
    paths = tuple(line for line in out.splitlines() if line.strip())
    outside = [p for p in paths if not Path(p).resolve().is_relative_to(venv.resolve())]
    if outside or len(paths) != len(modules):
        raise ConsumerCheckFailed(
            f"the consumer imports code from outside its venv: {', '.join(outside)}",
            fix="the consumer must run against the installed wheels only",
        )
    return paths
