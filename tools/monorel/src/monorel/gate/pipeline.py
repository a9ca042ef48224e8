"""The release gate: dev -> proof -> stable.

1. **Select.** The packages to release: the ones named, else every released member whose
   current version the stable index does not list yet. A pre-release or dev version is
   never promoted: named, it is refused; found, it goes to the dev index only.
2. **Dev.** Each of them is built (from what its version released) and published to the
   dev index; identical files are skipped. Every other released member must be on the dev
   index at its current version too, so that the proof installs nothing from elsewhere:
   where it is missing there, devpi pushes it from the stable index, bytes unchanged.
3. **Prove.** The files are downloaded from the dev index and their sha256 recorded. In
   parallel (two at a time on two cores): the stranger install of examples/consumer from
   the dev index with real pip plus the host's contract tests; the suites of the released
   packages and of their workspace dependents against the installed wheels; `monorel
   rehearse` of each released package that has migrations, with its wheels from the dev
   index. Each proof is timed and reported; every one runs to its end.
4. **Promote.** Only when every proof passed: devpi's push copies the proven files to the
   stable index, and the stable index must then list exactly the proven sha256s.

A failed proof leaves the files on the dev index, promotes nothing and raises
``ProofFailed`` (exit 1) naming each failed proof.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from monorel import building, promoting, publishing
from monorel.adapters import devpi
from monorel.building import BuiltPackage
from monorel.errors import PromotionRefused, ProofFailed
from monorel.gate import consumer, proofs, suites
from monorel.gate.steps import Steps, Timing
from monorel.indexes import Index
from monorel.promoting import Promotion, Proven
from monorel.rehearsal.matrix import Once
from monorel.workspace import Member, Workspace


@dataclass(frozen=True)
class GateReport:
    dev: Index
    stable: Index
    releases: tuple[Proven, ...]  # proven (and, when every proof passed, promoted)
    dev_only: tuple[tuple[str, str], ...]  # pre-releases and dev versions: on dev only
    unchanged: tuple[tuple[str, str], ...]  # already on the stable index
    published: tuple[publishing.PackagePublication, ...]  # what was checked/uploaded to dev
    copied: tuple[tuple[str, str], ...]  # pushed from stable to dev for the proof
    sources: dict[str, str]  # package -> what it was built from
    proofs: tuple[proofs.ProofResult, ...]
    consumer: consumer.ConsumerResult | None
    promotions: tuple[Promotion, ...]
    timings: tuple[Timing, ...]
    kept_consumer: Path | None = None

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.proofs)


@dataclass
class _Run:
    """What the steps of one gate run hand each other."""

    releases: list[Member]
    dev_only: list[Member]
    unchanged: list[Member]
    published: list[publishing.PackagePublication] = field(default_factory=list)
    copied: list[tuple[str, str]] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    proven: list[Proven] = field(default_factory=list)
    wheels: list[Path] = field(default_factory=list)
    consumer: consumer.ConsumerResult | None = None
    results: list[proofs.ProofResult] = field(default_factory=list)
    promotions: list[Promotion] = field(default_factory=list)


def run(
    ws: Workspace,
    *,
    dev: Index,
    stable: Index,
    steps: Steps,
    names: list[str] | None = None,
    credentials: publishing.Credentials | None = None,
    db: str = "sqlite",
    jobs: int | None = None,
    keep_consumer: bool = False,
    junit: Path | None = None,
) -> GateReport:
    """Gate ``names`` (default: every new version) from ``dev`` to ``stable``.

    ``credentials`` serve both indexes (the embedded devpi); by default each index's own
    are looked up (``publishing.find_credentials``).
    """
    template, contracts = consumer.consumer_sources(ws)  # fail before anything is started
    with steps.step("check the dev and stable indexes"):
        promoting.check_pair(dev, stable)
    state = _select(ws, stable, names, steps)
    dirs = consumer.ConsumerDirs(Path(tempfile.mkdtemp(prefix="monorel-consumer-")))
    workdir = Path(tempfile.mkdtemp(prefix="monorel-gate-"))
    keep_dirs = False
    pool = None
    try:
        # One worker: the consumer's venv needs nothing from devpi, builds or publish.
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="monorel-consumer")
        venv_job = None
        if state.releases:
            venv_job = steps.start(
                pool,
                consumer.CONSUMER_VENV_STEP,
                lambda: consumer.prepare_consumer(template, contracts, dirs),
            )
        _to_dev(ws, dev, stable, state, steps, credentials)
        if state.releases:
            assert venv_job is not None
            _download(ws, dev, state, workdir, steps)
            try:
                _prove(ws, dev, state, steps, dirs, venv_job, workdir, db=db, jobs=jobs)
            finally:
                if junit is not None:
                    proofs.write_junit(state.results, junit)
            report = _report(ws, dev, stable, state, steps, dirs, keep_consumer)
            failed = [r for r in state.results if not r.ok]
            if failed:
                keep_dirs = state.consumer is None  # its error names the kept directory
                raise _proof_failed(report, failed)
            with steps.step(
                f"promote {', '.join(f'{p.name} {p.version}' for p in state.proven)} "
                f"to {stable.url} (devpi push)"
            ):
                state.promotions = promoting.promote(
                    dev,
                    stable,
                    state.proven,
                    credentials=credentials or publishing.require_credentials(ws, stable),
                )
        keep_dirs = keep_consumer
    finally:
        if pool is not None:
            # an earlier step may have failed while the venv is still being made: wait for
            # it (its error, if any, is dropped: the earlier one is the one to report)
            pool.shutdown(wait=True, cancel_futures=True)
        started = time.monotonic()
        shutil.rmtree(workdir, ignore_errors=True)
        if not keep_dirs:
            shutil.rmtree(dirs.workdir, ignore_errors=True)
        if state.releases:  # a venv of thousands of files: seconds on a busy disk
            steps.record(
                Timing("remove the throwaway directories", time.monotonic() - started, True)
            )
    return _report(ws, dev, stable, state, steps, dirs, keep_consumer)


def _select(ws: Workspace, stable: Index, names: list[str] | None, steps: Steps) -> _Run:
    released = building.releasable(ws)
    with steps.step(f"look up {len(released)} package(s) on {stable.url}"):
        on_stable = {m.name for m in released if publishing.released_on(stable, m.name, m.version)}
    if names:
        chosen = building.releasable(ws, names)
        promoting.refuse_prereleases([(m.name, m.version) for m in chosen], stable)
        releases, dev_only = chosen, []
    else:
        new = [m for m in released if m.name not in on_stable]
        releases = [m for m in new if not publishing.not_final(m.version)]
        dev_only = [m for m in new if publishing.not_final(m.version)]
    chosen_names = {m.name for m in [*releases, *dev_only]}
    unchanged = [m for m in released if m.name not in chosen_names]
    return _Run(releases=releases, dev_only=dev_only, unchanged=unchanged)


def _to_dev(
    ws: Workspace,
    dev: Index,
    stable: Index,
    state: _Run,
    steps: Steps,
    credentials: publishing.Credentials | None,
) -> None:
    """Publish what is released to dev; make every other released member available there."""
    to_build = [*state.releases, *state.dev_only]
    if state.releases:  # the proof installs every released member from dev
        for member in state.unchanged:
            on_dev = publishing.release_files(dev, member.name, member.version)
            on_stable = publishing.release_files(stable, member.name, member.version)
            if on_dev and on_stable and on_dev != on_stable:
                # the proof would install other bytes than the stable index serves
                raise PromotionRefused(
                    f"{member.name} {member.version}: {dev.url} holds other files than "
                    f"{stable.url} ({sorted(on_dev.items())} against "
                    f"{sorted(on_stable.items())}); the proof must install what stable serves",
                    fix=f"remove {member.name} {member.version} from the dev index (it is "
                    "volatile) and run the gate again: it copies stable's files over",
                )
            if on_dev:
                continue
            if on_stable:
                with steps.step(
                    f"copy {member.name} {member.version} from stable to dev (devpi push)"
                ):
                    devpi.push(
                        stable.url,
                        name=member.name,
                        version=member.version,
                        target=dev.path_name,
                        auth=(credentials or publishing.require_credentials(ws, dev)).auth,
                    )
                state.copied.append((member.name, member.version))
            else:
                to_build.append(member)
    ordered = [m for m in ws.topological_order() if m in to_build]
    built: list[BuiltPackage] = []
    for member in ordered:
        with steps.step(f"build + verify {member.name} {member.version}"):
            package, source = building.build_release(ws, member)
        built.append(package)
        state.sources[member.name] = source.label
    if built:
        with steps.step(f"publish {', '.join(b.name for b in built)} to {dev.url}"):
            state.published = publishing.publish(ws, dev, built, credentials=credentials)


def _download(ws: Workspace, dev: Index, state: _Run, workdir: Path, steps: Steps) -> None:
    """Record the sha256 of every file the proof uses, and download the wheels."""
    releasing = {m.name for m in state.releases}
    built = {p.name: {f.filename: f.sha256 for f in p.files} for p in state.published}
    with steps.step(f"download the wheels to prove from {dev.url}"):
        for member in building.releasable(ws):
            listing = publishing.release_listing(dev, member.name, member.version)
            files = {f.filename: f.sha256 or "" for f in listing}
            if member.name in built and files != built[member.name]:
                raise PromotionRefused(
                    f"{member.name} {member.version}: {dev.url} lists {sorted(files)}, "
                    f"not the files just published ({sorted(built[member.name])})",
                    fix="the dev index changed under the gate: run it again",
                )
            wheels = [f for f in listing if f.filename.endswith(".whl")]
            if not wheels:
                raise PromotionRefused(
                    f"{member.name} {member.version}: {dev.url} has no wheel of it",
                    fix=f"publish it: monorel publish {member.name} --index dev",
                )
            state.wheels.append(devpi.download(wheels[0], workdir / "wheels", auth=dev.auth))
            if member.name in releasing:
                state.proven.append(Proven(member.name, member.version, files))


def _prove(
    ws: Workspace,
    dev: Index,
    state: _Run,
    steps: Steps,
    dirs: consumer.ConsumerDirs,
    venv_job,
    workdir: Path,
    *,
    db: str,
    jobs: int | None,
) -> None:
    released = building.releasable(ws)
    # the consumer is a Django project: it installs the libraries, not released tools
    versions = {m.name: m.version for m in released if m.role == "library"}
    digests = {
        name: digest
        for member in released
        for name, digest in publishing.release_files(dev, member.name, member.version).items()
    }

    def stranger() -> str:
        state.consumer = consumer.run_consumer(
            ws,
            dirs=dirs,
            venv_job=venv_job,
            index=dev,
            versions=versions,
            digests=digests,
            steps=steps,
        )
        return f"pip install + migrate ok; contract tests: {state.consumer.tests}"

    chosen = suites.select(ws, [m.name for m in state.releases])
    needs = suites.requirements(ws, chosen)

    def make_venv() -> Path:
        with steps.parallel_step(f"suites: venv of the {len(state.wheels)} proven wheels"):
            return suites.make_venv(ws, state.wheels, needs)

    venv = Once(make_venv)
    installed = {m.import_name: m.name for m in released}
    (workdir / "suites").mkdir(parents=True, exist_ok=True)

    def suite_proof(suite: suites.Suite) -> proofs.Proof:
        def check() -> str:
            result = suites.run(suite, venv=venv(), workdir=workdir / "suites", installed=installed)
            if not result.passed:
                raise proofs.Unproven(result.summary, result.output)
            return result.summary

        return proofs.Proof(suite.name, check)

    todo = [proofs.Proof("stranger install (examples/consumer, pip)", stranger)]
    todo += [suite_proof(s) for s in reversed(chosen)]  # dependents (the host) first
    todo += [
        proofs.rehearsal(ws, m, dev_url=dev.url, db=db)
        for m in state.releases
        if proofs.has_migrations(m)
    ]
    width = jobs or proofs.workers()
    with steps.step(f"prove: {len(todo)} proofs, {width} at a time"):
        state.results = proofs.run_all(todo, steps=steps, jobs=width)


def _proof_failed(report: GateReport, failed: list[proofs.ProofResult]) -> ProofFailed:
    files = ", ".join(f"{p.name} {p.version}" for p in report.releases)
    return ProofFailed(
        f"the gate's proof failed: {', '.join(r.name for r in failed)}; {files} "
        f"stay on {report.dev.url}, nothing was promoted to {report.stable.url}"
        + "".join(f"\n  {r.name}: {r.detail}" for r in failed),
        fix="read the failed proofs' output above; fix the cause, release a new version "
        "(monorel version) and run the gate again",
        report=report,
    )


def _report(
    ws: Workspace,
    dev: Index,
    stable: Index,
    state: _Run,
    steps: Steps,
    dirs: consumer.ConsumerDirs,
    keep_consumer: bool,
) -> GateReport:
    return GateReport(
        dev=dev,
        stable=stable,
        releases=tuple(state.proven),
        dev_only=tuple((m.name, m.version) for m in state.dev_only),
        unchanged=tuple((m.name, m.version) for m in state.unchanged),
        published=tuple(state.published),
        copied=tuple(state.copied),
        sources=dict(state.sources),
        proofs=tuple(state.results),
        consumer=state.consumer,
        promotions=tuple(state.promotions),
        timings=tuple(steps.timings),
        kept_consumer=dirs.project if keep_consumer and state.consumer else None,
    )
