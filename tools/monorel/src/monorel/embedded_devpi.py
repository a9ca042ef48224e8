"""The embedded devpi-server of `monorel devpi up|down|status`, kept under the state dir.

Layout of ``<state-dir>/devpi/``::

    server/            devpi-server's serverdir
    server.log         its output
    server.pid         pid of the running server (written by `up`, removed by `down`)
    server.url         the URL it listens on
    credentials.json   0600: the org user's and root's passwords

The org user (``[tool.monorel] org``) owns two indexes: ``<org>/dev`` (volatile, for
pre-releases) and ``<org>/stable`` (non-volatile: a released file never changes).
The user's password comes from ``MONOREL_DEVPI_PASSWORD`` or is generated once.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from monorel import state_dir
from monorel.adapters import devpi
from monorel.errors import UsageError
from monorel.workspace import Workspace

HOST = "127.0.0.1"
DEFAULT_PORT = 3141
PASSWORD_ENV = "MONOREL_DEVPI_PASSWORD"
INDEXES = {"dev": True, "stable": False}  # name -> volatile


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

    Returns the status and whether this call started the server. Idempotent.
    """
    started = False
    state_dir.ensure(server.home.parent)
    pid, url = _read_pid(server), _read(server.url_file)
    if pid is not None and url is not None and _ours(server, pid):
        # running (or still starting, e.g. on a busy machine): wait for it, start nothing
        devpi.wait_ready(url, pid=pid, log_file=server.log_file)
    else:
        _clear_stale(server)
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
        )
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
            raise
        started = True
    url = _read(server.url_file)
    assert url is not None
    _ensure_user_and_indexes(server, url)
    return status(server), started


def down(server: EmbeddedDevpi) -> int | None:
    """Stop the server by its pid file; return the pid stopped, or None if none was running."""
    pid = _read_pid(server)
    if pid is None:
        return None
    if _ours(server, pid):
        devpi.stop_server(pid)
        stopped: int | None = pid
    else:
        stopped = None
    server.pid_file.unlink(missing_ok=True)
    return stopped


def status(server: EmbeddedDevpi) -> Status:
    pid = _read_pid(server)
    url = _read(server.url_file)
    alive = pid is not None and _ours(server, pid) and url is not None and devpi.responds(url)
    if not alive:
        return Status(running=False, pid=None, url=None, indexes={})
    assert url is not None
    indexes: dict[str, bool] = {}
    for name in INDEXES:
        config = devpi.index_config(url, f"{server.org}/{name}")
        if config is not None:
            indexes[f"{server.org}/{name}"] = bool(config.get("volatile"))
    return Status(running=True, pid=pid, url=url, indexes=indexes)


def upload_auth(server: EmbeddedDevpi) -> devpi.BasicAuth | None:
    """The org user's credentials, if the embedded server has been set up here."""
    if not server.credentials_file.is_file():
        return None
    creds = json.loads(server.credentials_file.read_text())
    return devpi.BasicAuth(server.org, _user_password(creds))


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
    return os.environ.get(PASSWORD_ENV) or creds["user"]


def _credentials(server: EmbeddedDevpi) -> dict[str, str]:
    """Read, or generate once, the passwords; the file is readable by its owner only."""
    if server.credentials_file.is_file():
        return json.loads(server.credentials_file.read_text())
    creds = {"root": secrets.token_urlsafe(24), "user": secrets.token_urlsafe(24)}
    _write_private(server.credentials_file, json.dumps(creds, indent=2) + "\n")
    return creds


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


def _read_pid(server: EmbeddedDevpi) -> int | None:
    text = _read(server.pid_file)
    return int(text) if text and text.isdigit() else None


def _ours(server: EmbeddedDevpi, pid: int) -> bool:
    """``pid`` is alive and is the devpi-server of this state dir (not a recycled pid)."""
    return devpi.pid_alive(pid) and devpi.pid_is_server(pid, server.serverdir)


def _clear_stale(server: EmbeddedDevpi) -> None:
    server.pid_file.unlink(missing_ok=True)


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0
