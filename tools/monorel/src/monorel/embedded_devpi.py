"""The embedded devpi-server of `monorel devpi up|down|status`, kept under the state dir.

Layout of ``<state-dir>/devpi/``::

    server/            devpi-server's serverdir
    server.log         its output
    server.lock        flock'ed by the running server for its whole life; holds its pid
    server.pid         pid of the running server (written by `up`, removed by `down`)
    server.url         the URL it listens on, port included (written by `up`, removed by
                       `down`): what named indexes resolve to while it runs
    credentials.json   0600: the org user's and root's passwords

The lock makes a second server on the same server dir impossible: `up` takes it before
starting one and hands it to the server process, which keeps it until it dies (also by
SIGKILL). A state dir that disagrees with itself (a ``server.pid`` that is not a pid or
names another process, a running server without ``server.url``) is reported as damaged,
with its repair (`monorel devpi down`, which stops the process holding the lock), never as
"port in use".

The org user (``[tool.monorel] org``) owns two indexes: ``<org>/dev`` (volatile, for
pre-releases) and ``<org>/stable`` (non-volatile: a released file never changes).
The user's password comes from ``MONOREL_DEVPI_PASSWORD`` or is generated once.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from monorel import redaction, state_dir
from monorel.adapters import devpi
from monorel.errors import DevpiStateDamaged, UsageError
from monorel.workspace import Workspace

HOST = "127.0.0.1"
DEFAULT_PORT = 3141
PASSWORD_ENV = "MONOREL_DEVPI_PASSWORD"
INDEXES = {"dev": True, "stable": False}  # name -> volatile
# how long `up` waits for another `up` that holds the lock to write the pid and URL files
_SETTLE_SECONDS = 3.0


@dataclass(frozen=True)
class EmbeddedDevpi:
    home: Path  # <state-dir>/devpi
    org: str

    @property
    def serverdir(self) -> Path:
        return self.home / "server"

    @property
    def log_file(self) -> Path:
        return self.home / "server.log"

    @property
    def lock_file(self) -> Path:
        return self.home / "server.lock"

    @property
    def pid_file(self) -> Path:
        return self.home / "server.pid"

    @property
    def url_file(self) -> Path:
        return self.home / "server.url"

    @property
    def credentials_file(self) -> Path:
        return self.home / "credentials.json"


@dataclass(frozen=True)
class Status:
    running: bool
    pid: int | None
    url: str | None
    indexes: dict[str, bool]  # "<org>/<name>" -> volatile, for the indexes that exist

    def index_url(self, org: str, name: str) -> str:
        if self.url is None:
            raise UsageError("the embedded devpi is not running", fix="run `monorel devpi up`")
        return f"{self.url}/{org}/{name}/"


@dataclass(frozen=True)
class _State:
    """What the state dir says, read once."""

    pid_text: str | None  # server.pid as written (None: no such file)
    url: str | None
    holder: int | None  # pid of the process holding server.lock; None when it is free

    @property
    def pid(self) -> int | None:
        text = self.pid_text
        return int(text) if text and text.isdigit() else None


def for_workspace(ws: Workspace) -> EmbeddedDevpi:
    return EmbeddedDevpi(home=ws.state_dir / "devpi", org=ws.config.org)


def configured_port(ws: Workspace) -> int:
    """The port of the loopback index URLs in ``[tool.monorel.indexes]``, else 3141."""
    for url in ws.config.indexes.values():
        parts = urlsplit(url)
        if parts.hostname in ("127.0.0.1", "localhost") and parts.port:
            return parts.port
    return DEFAULT_PORT


def up(server: EmbeddedDevpi, *, port: int) -> tuple[Status, bool]:
    """Start the server if it is not running, then ensure user and indexes.

    Returns the status and whether this call started the server. Idempotent. Raises
    ``DevpiStateDamaged`` when the state dir disagrees with itself.
    """
    state_dir.ensure(server.home.parent)
    server.home.mkdir(parents=True, exist_ok=True)
    started = False
    deadline = time.monotonic() + _SETTLE_SECONDS
    while True:
        # an `up` holding the lock is starting a server: give it a moment to say where
        url = _running_url(server, _read_state(server), settle=True)
        if url is not None:
            pid = _read_state(server).pid
            assert pid is not None
            # running (or still starting, e.g. on a busy machine): wait for it, start nothing
            devpi.wait_ready(url, pid=pid, log_file=server.log_file)
            break
        url = _start(server, port)
        if url is not None:
            started = True
            break
        if time.monotonic() >= deadline:  # the lock stays taken, and nobody says by what
            raise _damaged(server, _read_state(server))
    _ensure_user_and_indexes(server, url)
    return status(server), started


def down(server: EmbeddedDevpi) -> int | None:
    """Stop the server; return the pid stopped, or None if none was running.

    Also the repair of a damaged state dir: the process holding the server dir's lock is
    stopped (when it is this server dir's devpi-server), and the pid and URL files removed.
    """
    state = _read_state(server)
    stopped: int | None = None
    pid = state.pid
    if pid is not None and _ours(server, pid):
        devpi.stop_server(pid)
        stopped = pid
    if state.holder is not None and state.holder != stopped:
        if state.holder < 0 or not _ours(server, state.holder):
            raise DevpiStateDamaged(
                f"{server.lock_file} is locked by pid {state.holder}, which is not the "
                f"devpi-server of {server.serverdir}" + _command_of(state.holder),
                fix=f"stop that process (kill {state.holder}) if it is a devpi-server you "
                "started by hand, then `monorel devpi down` again",
            )
        devpi.stop_server(state.holder)
        stopped = state.holder
    server.pid_file.unlink(missing_ok=True)
    server.url_file.unlink(missing_ok=True)
    return stopped


def status(server: EmbeddedDevpi) -> Status:
    """The running server and its indexes; ``DevpiStateDamaged`` when the state is damaged."""
    url = _running_url(server, _read_state(server))
    if url is None or not devpi.responds(url):
        return Status(running=False, pid=None, url=None, indexes={})
    indexes: dict[str, bool] = {}
    for name in INDEXES:
        config = devpi.index_config(url, f"{server.org}/{name}")
        if config is not None:
            indexes[f"{server.org}/{name}"] = bool(config.get("volatile"))
    return Status(running=True, pid=_read_state(server).pid, url=url, indexes=indexes)


def running_url(server: EmbeddedDevpi) -> str | None:
    """The URL (with its port) of the running server, None when none runs.

    ``DevpiStateDamaged`` when the state dir cannot tell.
    """
    if not server.home.is_dir():
        return None
    return _running_url(server, _read_state(server))


def upload_auth(server: EmbeddedDevpi) -> devpi.BasicAuth | None:
    """The org user's credentials, if the embedded server has been set up here."""
    if not server.credentials_file.is_file():
        return None
    return devpi.BasicAuth(server.org, _user_password(_credentials(server)))


def serves(server: EmbeddedDevpi, index_url: str) -> bool:
    """True if ``index_url`` points at this embedded server (same host and port)."""
    url = _read(server.url_file)
    if url is None:
        return False
    ours, theirs = urlsplit(url), urlsplit(index_url)
    same_host = {ours.hostname, theirs.hostname} <= {"127.0.0.1", "localhost"}
    return same_host and ours.port == theirs.port


def _ensure_user_and_indexes(server: EmbeddedDevpi, url: str) -> None:
    creds = _credentials(server)
    admin = devpi.BasicAuth("root", creds["root"])
    user = devpi.BasicAuth(server.org, _user_password(creds))
    devpi.ensure_user(url, admin=admin, user=user.user, password=user.password)
    for name, volatile in INDEXES.items():
        devpi.ensure_index(url, auth=user, index=f"{server.org}/{name}", volatile=volatile)


def _user_password(creds: dict[str, str]) -> str:
    password = os.environ.get(PASSWORD_ENV) or creds["user"]
    redaction.register(password)
    return password


def _credentials(server: EmbeddedDevpi) -> dict[str, str]:
    """Read, or generate once, the passwords; the file is readable by its owner only."""
    if server.credentials_file.is_file():
        try:
            creds = json.loads(server.credentials_file.read_text())
            found = {"root": str(creds["root"]), "user": str(creds["user"])}
        except (ValueError, KeyError, TypeError) as exc:
            raise DevpiStateDamaged(
                f"{server.credentials_file} is damaged: it is not a JSON object with the "
                "root and user passwords",
                fix=f"restore it from a backup, or start afresh: `monorel devpi down`, remove "
                f"{server.home} (its packages go with it), `monorel devpi up`",
            ) from exc
    else:
        found = {"root": secrets.token_urlsafe(24), "user": secrets.token_urlsafe(24)}
        _write_private(server.credentials_file, json.dumps(found, indent=2) + "\n")
    for secret in found.values():
        redaction.register(secret)
    return found


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def _read_state(server: EmbeddedDevpi) -> _State:
    pid_text = None
    if server.pid_file.exists():
        pid_text = _read(server.pid_file) or ""
    return _State(pid_text=pid_text, url=_read(server.url_file), holder=_lock_holder(server))


def _running_url(server: EmbeddedDevpi, state: _State, *, settle: bool = False) -> str | None:
    """The URL of the running server; None when none runs (stale files are removed);
    ``DevpiStateDamaged`` when the files and the lock disagree.

    ``settle``: give an `up` that holds the lock (it is starting the server) a moment to
    write the pid and URL files before calling the state damaged.
    """
    deadline = time.monotonic() + (_SETTLE_SECONDS if settle else 0.0)
    while True:
        pid = state.pid
        if pid is not None and state.url is not None and _ours(server, pid):
            return state.url
        if state.holder is None:
            break
        if time.monotonic() >= deadline:
            raise _damaged(server, state)
        time.sleep(0.1)
        state = _read_state(server)
    # no server holds the server dir: stale files are harmless, damaged ones are named
    if _problems(server, state):
        raise _damaged(server, state)
    server.pid_file.unlink(missing_ok=True)
    server.url_file.unlink(missing_ok=True)
    return None


def _problems(server: EmbeddedDevpi, state: _State) -> list[str]:
    problems = []
    pid = state.pid
    if state.pid_text is not None and pid is None:
        problems.append(f"{server.pid_file} holds {state.pid_text[:40]!r}, not a process id")
    elif pid is not None and devpi.pid_alive(pid) and not _ours(server, pid):
        problems.append(
            f"{server.pid_file} names pid {pid}, which is not the devpi-server of "
            f"{server.serverdir}" + _command_of(pid)
        )
    elif pid is not None and _ours(server, pid) and state.url is None:
        problems.append(f"{server.url_file} is missing while devpi-server pid {pid} runs")
    elif pid is not None and state.holder is not None and not devpi.pid_alive(pid):
        problems.append(f"{server.pid_file} names pid {pid}, which is not running")
    if state.holder is not None:
        if state.pid_text is None:
            problems.append(f"{server.pid_file} is missing")
        if state.url is None and not any("server.url" in p for p in problems):
            problems.append(f"{server.url_file} is missing")
    return problems


def _damaged(server: EmbeddedDevpi, state: _State) -> DevpiStateDamaged:
    problems = _problems(server, state) or ["its files disagree with the running server"]
    if state.holder is not None and state.holder > 0:
        held = (
            f"devpi-server pid {state.holder} holds the server dir {server.serverdir}, so no "
            "second server can start on it"
        )
        fix = (
            f"`monorel devpi down` stops pid {state.holder} (the holder of "
            f"{server.lock_file.name}) and removes the damaged files; then `monorel devpi up`"
        )
    elif state.holder is not None:
        held = f"a process that did not write its pid holds {server.lock_file}"
        fix = f"find it with `fuser {server.lock_file}` and stop it; then `monorel devpi up`"
    else:
        held = f"no devpi-server holds the server dir {server.serverdir} (its lock is free)"
        fix = "`monorel devpi down` removes the damaged files; then `monorel devpi up`"
    return DevpiStateDamaged(
        f"the embedded devpi's state dir {server.home} is damaged: "
        + "; ".join(problems)
        + f"; {held}",
        fix=fix,
    )


def _start(server: EmbeddedDevpi, port: int) -> str | None:
    """Start a server on ``port`` under the server dir's lock; return its URL, or None when
    another process holds the lock (it is starting one: the caller looks again)."""
    fd = os.open(server.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            time.sleep(0.1)
            return None
        url = f"http://{HOST}:{port}"
        if _port_taken(port):
            raise UsageError(
                f"port {port} on {HOST} is already in use by another process",
                fix="pass --port with a free port",
            )
        creds = _credentials(server)
        fresh = not (server.serverdir / ".serverversion").exists()
        if fresh:
            devpi.init_serverdir(server.serverdir, root_password=creds["root"])
        pid = devpi.start_server(
            server.serverdir,
            host=HOST,
            port=port,
            restrict_modify=f"root,{server.org}",
            log_file=server.log_file,
            lock_fd=fd,
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{pid}\n".encode(), 0)
        _write_private(server.pid_file, f"{pid}\n")
        server.url_file.write_text(url + "\n")
        try:
            devpi.wait_ready(url, pid=pid, log_file=server.log_file)
            if fresh:
                # devpi-web's search index, before the first upload (see the adapter)
                devpi.init_search_index(url)
        except Exception:
            devpi.stop_server(pid)
            server.pid_file.unlink(missing_ok=True)
            server.url_file.unlink(missing_ok=True)
            raise
        return url
    finally:
        os.close(fd)  # the server keeps its own copy, and with it the lock


def _lock_holder(server: EmbeddedDevpi) -> int | None:
    """The pid written in server.lock when some process holds it; None when it is free."""
    try:
        fd = os.open(server.lock_file, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 32, 0).decode(errors="replace").strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _command_of(pid: int) -> str:
    command = devpi.command_line(pid)
    return f" (it runs `{command[:120]}`)" if command else ""


def _ours(server: EmbeddedDevpi, pid: int) -> bool:
    """``pid`` is alive and is the devpi-server of this state dir (not a recycled pid)."""
    return pid > 0 and devpi.pid_alive(pid) and devpi.pid_is_server(pid, server.serverdir)


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0
