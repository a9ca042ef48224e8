"""`monorel devpi up|down|status` against the session's real devpi-server, and damaged
state dirs: named as damaged with their repair, never "port in use", and never a second
server on the same server dir (its lock is held by the running server).

Starting and stopping a server is also covered by test_monorel_ship.py (ship starts the
embedded devpi of a fresh clone; the test stops it with `monorel devpi down`).
"""

from __future__ import annotations

import json
import os
import stat
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from monorel import embedded_devpi, publishing
from monorel.adapters import devpi
from monorel.building import BuiltPackage
from monorel.cli import main
from monorel_release_support import SharedDevpi, free_port, index_files, release_members
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
    assert out.splitlines()[:4] == [
        f"devpi-server already running: {shared_devpi.url} (pid {before.pid})",
        f"  acme/dev         volatile      {shared_devpi.url}/acme/dev/+simple/",
        f"  acme/stable      non-volatile  {shared_devpi.url}/acme/stable/+simple/",
        f"browse: {shared_devpi.url}/acme/stable",
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


# -- a damaged state dir is named with its repair; one server per server dir -------------


def _fresh_server(tmp_path: Path) -> tuple[Path, embedded_devpi.EmbeddedDevpi]:
    root = write_workspace(tmp_path / "ws", release_members())
    server = embedded_devpi.EmbeddedDevpi(home=root / ".monorel" / "devpi", org="acme")
    server.home.mkdir(parents=True)
    return root, server


def _servers_on(serverdir: Path) -> list[int]:
    """pids of the devpi-server processes running on ``serverdir``."""
    pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
    return [pid for pid in pids if devpi.pid_alive(pid) and devpi.pid_is_server(pid, serverdir)]


def test_a_garbled_pid_file_is_named_as_damaged_and_down_repairs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a state dir whose server.pid holds no pid, and no server running
    root, server = _fresh_server(tmp_path)
    server.pid_file.write_text("not-a-pid\n")
    server.url_file.write_text("http://127.0.0.1:9\n")

    # when `up` runs
    code = main(["--root", str(root), "devpi", "up", "--port", str(free_port())])

    # then it names the damage and its repair, and starts nothing
    assert code == 2
    assert capsys.readouterr().err == (
        f"error[MR053]: the embedded devpi's state dir {server.home} is damaged: "
        f"{server.pid_file} holds 'not-a-pid', not a process id; no devpi-server holds the "
        f"server dir {server.serverdir} (its lock is free)\n"
        "  fix: `monorel devpi down` removes the damaged files; then `monorel devpi up`\n"
    )
    assert _servers_on(server.serverdir) == []
    assert server.pid_file.read_text() == "not-a-pid\n"

    # when the repair runs / then the state is clean again
    assert main(["--root", str(root), "devpi", "down"]) == 0
    assert main(["--root", str(root), "devpi", "status"]) == 1
    assert not server.pid_file.exists() and not server.url_file.exists()


def test_a_pid_file_naming_another_process_is_damaged_not_a_busy_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a server.pid naming a live process that is no devpi-server (this test's)
    root, server = _fresh_server(tmp_path)
    server.pid_file.write_text(f"{os.getpid()}\n")
    server.url_file.write_text("http://127.0.0.1:9\n")

    # when / then
    assert main(["--root", str(root), "devpi", "status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"error[MR053]: the embedded devpi's state dir {server.home} is damaged: "
        f"{server.pid_file} names pid {os.getpid()}, which is not the devpi-server of "
        f"{server.serverdir} (it runs `"
    )
    assert "port" not in err


@pytest.mark.parametrize("damage", ["url-missing", "pid-garbled"])
def test_a_running_server_holds_its_server_dir_so_no_second_one_starts_on_it(
    shared_devpi: SharedDevpi, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    # given the shared server, running, with its state files damaged
    server, root = shared_devpi.server, shared_devpi.ws.root
    pid = embedded_devpi.status(server).pid
    assert pid is not None
    saved = {f: f.read_text() for f in (server.pid_file, server.url_file)}
    if damage == "url-missing":
        server.url_file.unlink()
        problem = f"{server.url_file} is missing while devpi-server pid {pid} runs"
    else:
        server.pid_file.write_text("garbage\n")
        problem = f"{server.pid_file} holds 'garbage', not a process id"
    try:
        # when `up` is told to use another port, as "port in use" would have suggested
        code = main(["--root", str(root), "devpi", "up", "--port", str(free_port())])
        err = capsys.readouterr().err

        # then the damage and the holder of the server dir are named; nothing else runs
        assert code == 2
        assert err == (
            f"error[MR053]: the embedded devpi's state dir {server.home} is damaged: {problem}; "
            f"devpi-server pid {pid} holds the server dir {server.serverdir}, so no second "
            "server can start on it\n"
            f"  fix: `monorel devpi down` stops pid {pid} (the holder of server.lock) and "
            "removes the damaged files; then `monorel devpi up`\n"
        )
        assert _servers_on(server.serverdir) == [pid]
    finally:
        for path, text in saved.items():
            path.write_text(text)
    assert embedded_devpi.status(server).pid == pid


def test_down_stops_the_server_holding_the_lock_when_the_pid_file_is_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a running server whose server.pid is gone
    root, server = _fresh_server(tmp_path)
    state, started = embedded_devpi.up(server, port=free_port())
    assert started and state.pid is not None
    server.pid_file.unlink()

    # when `down` runs
    code = main(["--root", str(root), "devpi", "down"])

    # then it stopped the holder of the server dir's lock
    assert code == 0
    assert capsys.readouterr().out == f"devpi-server stopped (pid {state.pid})\n"
    assert not devpi.pid_alive(state.pid)
    assert _servers_on(server.serverdir) == []


# --- who may write: the release identity only --------------------------------------------


def _post(url: str, body: bytes, content_type: str, auth: devpi.BasicAuth | None = None) -> int:
    headers = {"Content-Type": content_type}
    if auth is not None:
        headers["Authorization"] = auth.header()
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _toxresults(index_url: str, name: str) -> list[object]:
    """Every tox result the index holds for ``name``'s files (devpi's JSON project view)."""
    request = urllib.request.Request(f"{index_url}{name}", headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        versions = json.loads(response.read())["result"]
    return [
        link
        for data in versions.values()
        for link in data.get("+links", [])
        if link.get("rel") == "toxresult"
    ]


def test_only_the_release_identity_writes_to_an_index(
    shared_devpi: SharedDevpi, release_built: list[BuiltPackage]
) -> None:
    # given a released wheel on an index monorel set up (as `devpi up` sets up <org>/stable)
    index = shared_devpi.new_index("acl")
    people = release_built[0]
    publishing.publish(shared_devpi.ws, index, [people])
    config = devpi.index_config(shared_devpi.url, "acme/acl")
    assert config is not None
    assert (config["acl_upload"], config["acl_toxresult_upload"]) == (["acme"], ["acme"])
    wheel_url = next(
        f.url
        for f in devpi.project_files(index.simple_url, "people-app")
        if f.filename == people.wheel.filename
    )

    # when anyone without the identity attaches a tox result, or uploads a file
    toxresult = _post(wheel_url, b'{"reportversion": "1"}', "application/json")
    upload = _post(
        index.url,
        b":action=file_upload&name=people-app&version=9.9.9",
        "application/x-www-form-urlencoded",
    )

    # then both are refused (a tox result as forbidden, an upload as unauthenticated) and
    # nothing was stored
    assert (toxresult, upload) == (403, 401)
    assert _toxresults(index.url, "people-app") == []
    assert index_files(index, "people-app") == {a.filename: a.sha256 for a in people.artifacts}
    # while the release identity may attach one
    assert _post(wheel_url, b'{"reportversion": "1"}', "application/json", shared_devpi.auth) == 200
    assert len(_toxresults(index.url, "people-app")) == 1


def test_up_closes_the_writes_of_an_index_made_before_the_acls(
    shared_devpi: SharedDevpi,
) -> None:
    # given an index created with devpi's defaults (tox results from anyone), as older
    # monorel versions created <org>/stable
    target = f"{shared_devpi.url}/acme/legacy"
    devpi._request(
        "PUT", target, {"type": "stage", "bases": [], "volatile": False}, auth=shared_devpi.auth
    )
    before = devpi.index_config(shared_devpi.url, "acme/legacy")
    assert before is not None and before["acl_toxresult_upload"] == [":ANONYMOUS:"]

    # when monorel ensures it again
    created = devpi.ensure_index(
        shared_devpi.url, auth=shared_devpi.auth, index="acme/legacy", volatile=False
    )

    # then only the owner may upload anything, and the rest of its configuration stayed
    after = devpi.index_config(shared_devpi.url, "acme/legacy")
    assert created is False and after is not None
    assert (after["acl_upload"], after["acl_toxresult_upload"]) == (["acme"], ["acme"])
    assert (after["volatile"], after["bases"]) == (False, [])
