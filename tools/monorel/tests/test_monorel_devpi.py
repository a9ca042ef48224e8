"""`monorel devpi up|down|status` against the session's real devpi-server.

Starting and stopping a second server is covered by test_monorel_ship.py (ship starts the
embedded devpi of a fresh clone; the test stops it with `monorel devpi down`).
"""

from __future__ import annotations

import stat
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from monorel import embedded_devpi
from monorel.cli import main
from monorel_release_support import SharedDevpi, release_members
from monorel_workspaces import write_workspace


def test_up_is_idempotent_and_the_org_has_a_volatile_dev_and_a_stable_index(
    shared_devpi: SharedDevpi, capsys: pytest.CaptureFixture[str]
) -> None:
    root = shared_devpi.ws.root
    port = urlsplit(shared_devpi.url).port
    before = embedded_devpi.status(shared_devpi.server)

    # when `up` runs again
    code = main(["--root", str(root), "devpi", "up", "--port", str(port)])

    # then it reports the running server, with the same pid
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[:3] == [
        f"devpi-server already running: {shared_devpi.url} (pid {before.pid})",
        f"  acme/dev         volatile      {shared_devpi.url}/acme/dev/+simple/",
        f"  acme/stable      non-volatile  {shared_devpi.url}/acme/stable/+simple/",
    ]
    after = embedded_devpi.status(shared_devpi.server)
    assert after.pid == before.pid
    assert after.indexes == {"acme/dev": True, "acme/stable": False}
    # the generated passwords are readable by their owner only
    mode = stat.S_IMODE(shared_devpi.server.credentials_file.stat().st_mode)
    assert mode == 0o600


def test_status_and_down_without_a_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_workspace(tmp_path / "ws", release_members())

    # when / then
    assert main(["--root", str(root), "devpi", "status"]) == 1
    assert main(["--root", str(root), "devpi", "down"]) == 0
    assert capsys.readouterr().out == (
        f"devpi-server is not running (server dir: {root}/.monorel/devpi/server)\n"
        "devpi-server was not running\n"
    )


def test_a_stale_pid_file_is_not_a_running_server(tmp_path: Path) -> None:
    # given a pid file left by a server that is gone (pid 2**22 + 1 exceeds pid_max)
    root = write_workspace(tmp_path / "ws", release_members())
    server = embedded_devpi.EmbeddedDevpi(home=root / ".monorel" / "devpi", org="acme")
    server.home.mkdir(parents=True)
    server.pid_file.write_text(f"{2**22 + 1}\n")
    server.url_file.write_text("http://127.0.0.1:9\n")

    # when / then
    assert embedded_devpi.status(server).running is False
    assert embedded_devpi.down(server) is None
    assert not server.pid_file.exists()


def test_up_refuses_a_port_another_process_listens_on(
    shared_devpi: SharedDevpi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a second workspace asking for the shared server's port
    root = write_workspace(tmp_path / "ws", release_members())
    port = urlsplit(shared_devpi.url).port

    # when
    code = main(["--root", str(root), "devpi", "up", "--port", str(port)])

    # then nothing is started
    assert code == 2
    assert capsys.readouterr().err == (
        f"error[MR002]: port {port} on 127.0.0.1 is already in use by another process\n"
        "  fix: pass --port with a free port\n"
    )
    assert not (root / ".monorel" / "devpi" / "server.pid").exists()
