"""`monorel ship --local`, the README's main job, end to end on a fresh clone of this repo.

Real everything: the clone's own embedded devpi-server, uv build, uv publish to acme/dev,
the whole gate there (a plain ``python -m venv`` consumer outside the workspace that
pip-installs the packages from the dev index, migrates and runs the host's contract tests;
each package's suite and the host's against the installed wheels; billing-app's upgrade
rehearsal), then devpi's push of the same files to acme/stable. The second run finds
everything on stable and reuses that proof; after a contract test changes, the third proves
what stable serves again, and the fourth reuses that. Finally `monorel devpi down` stops the
server by its pid.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from monorel import embedded_devpi, planning, publishing
from monorel.adapters import devpi
from monorel.cli import main
from monorel_release_support import ROOT, free_port, index_files, load


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A fresh clone of this repository's HEAD: what `git clone` gives a newcomer."""
    target = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True)
    if planning.compute(load(target)).releases:
        # unreleased changes under released versions: the gate would build the release
        # points and prove them with the working tree's suites; version first, as one does
        assert main(["--root", str(target), "version", "--yes"]) == 0
    return target


def test_ship_local_publishes_once_and_a_pip_consumer_installs_and_passes_contracts(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = load(clone)
    released = [m for m in ws.topological_order() if m.released]
    port = free_port()
    server = embedded_devpi.for_workspace(ws)
    stable = publishing.Index(url=f"http://127.0.0.1:{port}/acme/stable/")
    dev = publishing.Index(url=f"http://127.0.0.1:{port}/acme/dev/")
    try:
        # when shipped from the fresh clone
        first_code = main(["--root", str(clone), "ship", "--local", "--port", str(port)])
        first = capsys.readouterr()

        # then every released package was published to acme/dev, installed and proven from
        # there, and the very same files were promoted to acme/stable
        assert first_code == 0, first.err + first.out
        for member in released:
            files = index_files(stable, member.name)
            assert sorted(files) == sorted(
                p.name for p in (clone / ".monorel/dist" / member.name).glob("*-*")
            )
            assert files == index_files(dev, member.name)
            # the consumer (a Django project) installs the libraries, not a released tool,
            # and the gate runs the suites of Django packages (a tool's runs in its CI)
            installed = (
                f"  {member.name} {member.version} from http://127.0.0.1:{port}/acme/dev/+f/"
            )
            assert (installed in first.out) == (member.role == "library")
            suite = f"  ok proof: suite {member.name} (in parallel) ("
            assert (suite in first.out) == (member.role == "library")
        assert "  ok proof: suite host (from source) (in parallel) (" in first.out
        assert "  ok proof: rehearse billing-app (in parallel) (" in first.out
        assert "manage.py migrate: ok; contract tests: " in first.out
        summary = next(line for line in first.out.splitlines() if "contract tests: " in line)
        assert " passed" in summary and "failed" not in summary and "error" not in summary
        names = ", ".join(f"{m.name} {m.version}" for m in released)
        assert f"  ok promote {names} to {stable.url} (devpi push) (" in first.out
        listed = {m.name: index_files(stable, m.name) for m in released}

        # when shipped again
        second_code = main(["--root", str(clone), "ship", "--local", "--port", str(port)])
        second = capsys.readouterr()

        # then nothing was published, proven or promoted, the first proof was reused, and
        # the index is unchanged
        assert second_code == 0, second.err + second.out
        assert "nothing new to promote: every released version is on the stable index" in (
            second.out
        )
        assert "prove:" not in second.out
        reused = [line for line in second.out.splitlines() if "still holds" in line]
        assert len(reused) == 1 and reused[0].startswith("nothing new: the proof of "), second.out
        assert {m.name: index_files(stable, m.name) for m in released} == listed
        # and the clone is still clean: the state dir ignores itself
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=clone,
            capture_output=True,
            text=True,
            check=True,
        )
        assert status.stdout == ""
    finally:
        pid = embedded_devpi.status(server).pid
        # when stopped
        down_code = main(["--root", str(clone), "devpi", "down"])

    # then by its pid, and nothing answers any more
    assert down_code == 0
    assert capsys.readouterr().out == f"devpi-server stopped (pid {pid})\n"
    assert pid is not None and not devpi.pid_alive(pid)
    assert not devpi.responds(f"http://127.0.0.1:{port}")
