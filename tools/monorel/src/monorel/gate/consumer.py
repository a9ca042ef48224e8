"""The stranger install: a throwaway consumer outside the workspace installs the packages
from an index with real pip and runs the host's contract tests against them.

From ``examples/consumer/``: a plain venv with pip (made on a worker thread while the
packages are built and published, since it needs none of that); third-party wheels
(Django, pytest, ...) fetched once into ``<state-dir>/wheelhouse`` with pip, because an
offline devpi cannot mirror PyPI; then an isolated ``pip install`` of ``requirements.txt``
with the index's simple API as the only index (the wheelhouse as find-links for
third-party wheels only). pip's report must show our packages downloaded from that index,
with the sha256 the gate proved; then ``manage.py migrate`` and the host's contract tests.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from monorel import building, state_dir
from monorel.adapters import pip, python, uv
from monorel.errors import ConfigError, ConsumerCheckFailed, MonorelError
from monorel.gate.steps import Background, Steps
from monorel.indexes import Index
from monorel.workspace import Workspace
from packaging.utils import canonicalize_name

CONSUMER_TEMPLATE = Path("examples") / "consumer"
CONTRACTS_INI = "contracts-pytest.ini"
_TEMPLATE_SKIP = shutil.ignore_patterns(".venv", "db.sqlite3", "__pycache__", "*.pyc", "contracts")
CONSUMER_VENV_STEP = "consumer: copy template + contract tests, venv with pip"


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
    """Copy the consumer template and the contract tests; make the plain venv with pip.

    ``uv venv --seed``, not ``python -m venv``: the same plain venv with real pip in it, made
    in a tenth of the CPU time (ensurepip installs and byte-compiles pip from its bundled
    wheel). Everything after that is pip's, as a stranger's install is.
    """
    shutil.copytree(template, dirs.project, ignore=_TEMPLATE_SKIP)
    shutil.copytree(contracts, dirs.project / "contracts", ignore=_TEMPLATE_SKIP)
    uv.create_venv(dirs.venv, python=sys.executable, seed=True)


def run_consumer(
    ws: Workspace,
    *,
    dirs: ConsumerDirs,
    venv_job: Background,
    index: Index,
    versions: dict[str, str],
    digests: dict[str, str],
    steps: Steps,
) -> ConsumerResult:
    """Install ``versions`` from ``index`` into the consumer ``venv_job`` prepares; migrate; run
    the contract tests. Runs on a worker thread: its steps are marked as overlapping.

    ``digests``: filename -> sha256 of the files the gate proved; what pip installed must
    be one of them.
    """
    workdir, project, venv = dirs.workdir, dirs.project, dirs.venv
    try:
        # The wheelhouse step is the venv's first user.
        steps.join(venv_job, waiting="consumer: wait for the venv", in_parallel=True)
        test_requirements = project / "requirements-test.txt"
        wheelhouse = state_dir.ensure(ws.state_dir) / "wheelhouse"
        with steps.parallel_step("consumer: third-party wheels into the wheelhouse"):
            _fill_wheelhouse(ws, venv, wheelhouse, test_requirements)
        with steps.parallel_step(f"consumer: pip install -r requirements.txt from {index.url}"):
            report = pip.install(
                venv,
                requirement_files=[project / "requirements.txt", test_requirements],
                index_url=index.simple_url,
                find_links=wheelhouse,
                report=workdir / "pip-report.json",
                cwd=project,
                env=version_variables(versions),
            )
            installed, third_party = _check_report(report, versions, index, digests)
        with steps.parallel_step("consumer: the apps import from the venv"):
            paths = _import_paths(venv, project, ws)
        with steps.parallel_step("consumer: manage.py migrate"):
            python.run_in(
                venv,
                ["manage.py", "migrate", "--noinput"],
                cwd=project,
                fix="the installed wheels do not migrate: read the output above",
            )
        with steps.parallel_step("consumer: host contract tests"):
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
    report: dict, versions: dict[str, str], index: Index, digests: dict[str, str]
) -> tuple[tuple[Installed, ...], tuple[str, ...]]:
    ours: list[Installed] = []
    others: list[str] = []
    hashes: dict[str, str | None] = {}
    for item in report.get("install", []):
        name = canonicalize_name(item["metadata"]["name"])
        version = item["metadata"]["version"]
        info = item.get("download_info", {})
        url = info.get("url", "")
        if name in versions:
            ours.append(Installed(name, version, url))
            hashes[name] = info.get("archive_info", {}).get("hashes", {}).get("sha256")
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
        elif not item.url.startswith(index.server):
            problems.append(f"{name} came from {item.url}, not from the index {index.url}")
        else:
            filename = unquote(item.url.rsplit("/", 1)[-1].split("#", 1)[0])
            proved = digests.get(filename)
            if proved is not None and hashes.get(name) != proved:
                problems.append(
                    f"{name}: pip installed {filename} with sha256 {hashes.get(name)}, "
                    f"the proven file has {proved}"
                )
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
