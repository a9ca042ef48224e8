"""A throwaway PostgreSQL cluster on a free loopback port, for tests and upgrade rehearsals.

``EphemeralPostgres`` runs ``initdb`` in a temporary directory, starts the cluster with
``pg_ctl`` on 127.0.0.1 with durability switched off (the data is thrown away), and on
``stop()`` stops exactly its own postmaster and deletes the directory.

PostgreSQL refuses to run as root. When this process is root, the directory is handed
to the ``postgres`` user and the server binaries run through ``runuser -u postgres``;
otherwise they run as the current user. Clients (``psql``) connect over TCP with
``trust`` authentication as the ``postgres`` role, so they need no user switch.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path
from types import TracebackType

from monorel.adapters._process import run
from monorel.errors import ToolError, UsageError

__all__ = ["EphemeralPostgres"]

_SUPERUSER = "postgres"
_OS_USER = "postgres"  # the OS account the server runs as when we are root
# plain identifiers only, so names can be double-quoted into SQL without escaping rules
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_START_ATTEMPTS = 3  # a free port can be taken between probing and binding; retry with another


class EphemeralPostgres:
    """One throwaway cluster. Use as a context manager, or call ``start()`` / ``stop()``."""

    def __init__(self, *, base_dir: Path | None = None, start_timeout: int = 60) -> None:
        self._base_dir = base_dir
        self._start_timeout = start_timeout
        self._root: Path | None = None
        self._port: int | None = None
        self._pid: int | None = None
        self._bin_dir: Path | None = None

    # -- public surface ------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise UsageError("the cluster is not running", fix="call start() first")
        return self._port

    @property
    def pid(self) -> int:
        """The postmaster's process id."""
        if self._pid is None:
            raise UsageError("the cluster is not running", fix="call start() first")
        return self._pid

    @property
    def root(self) -> Path:
        """The temporary directory holding the data directory, socket and log."""
        if self._root is None:
            raise UsageError("the cluster is not running", fix="call start() first")
        return self._root

    @property
    def url(self) -> str:
        """URL of the ``postgres`` maintenance database, e.g. for ``DATABASE_URL``."""
        return self.url_for(_SUPERUSER)

    def url_for(self, database: str) -> str:
        return f"postgres://{_SUPERUSER}@127.0.0.1:{self.port}/{_identifier(database)}"

    def start(self) -> EphemeralPostgres:
        if self._root is not None:
            raise UsageError("the cluster is already running")
        self._bin_dir = _server_bin_dir()
        root = Path(tempfile.mkdtemp(prefix="monorel-pg-", dir=self._base_dir))
        try:
            if _is_root():
                entry = pwd.getpwnam(_OS_USER)
                os.chown(root, entry.pw_uid, entry.pw_gid)
            self._root = root
            self._server(
                "initdb",
                "-D",
                str(self._data_dir),
                "-A",
                "trust",
                "-U",
                _SUPERUSER,
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            )
            self._start_on_free_port()
        except BaseException:
            self._root = None
            self._port = None
            self._kill_leftover_postmaster(root)
            shutil.rmtree(root, ignore_errors=True)
            raise
        return self

    def stop(self) -> None:
        """Stop the postmaster (immediate mode) and delete the directory. Idempotent."""
        root = self._root
        if root is None:
            return
        try:
            if self._pid is not None and _alive(self._pid):
                # pg_ctl fails if the server already died; the pid check below settles it
                with contextlib.suppress(ToolError):
                    self._server(
                        "pg_ctl", "-D", str(self._data_dir), "-m", "immediate", "-w", "stop"
                    )
                self._wait_gone(self._pid)
        finally:
            self._root = None
            self._port = None
            self._pid = None
            shutil.rmtree(root, ignore_errors=True)

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create database ``name`` (copied from ``template`` if given); return its URL.

        Copying a template is a cheap file copy; the template must have no open connections.
        """
        sql = f'CREATE DATABASE "{_identifier(name)}"'
        if template is not None:
            sql += f' TEMPLATE "{_identifier(template)}"'
        self._psql(sql)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        self._psql(f'DROP DATABASE IF EXISTS "{_identifier(name)}" WITH (FORCE)')

    def __enter__(self) -> EphemeralPostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals -----------------------------------------------------------------------

    @property
    def _data_dir(self) -> Path:
        return self.root / "data"

    @property
    def _log_file(self) -> Path:
        return self.root / "postgres.log"

    def _start_on_free_port(self) -> None:
        last_error: ToolError | None = None
        for _ in range(_START_ATTEMPTS):
            port = _free_port()
            options = (
                f"-k {self.root} -p {port} -c listen_addresses=127.0.0.1"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                self._server(
                    "pg_ctl",
                    "-D",
                    str(self._data_dir),
                    "-l",
                    str(self._log_file),
                    "-w",
                    "-t",
                    str(self._start_timeout),
                    "-o",
                    options,
                    "start",
                )
            except ToolError as exc:
                last_error = ToolError(
                    f"{exc.message}\n--- server log ---\n{self._log_tail()}", fix=exc.fix
                )
                self._kill_leftover_postmaster(self.root)
                continue
            self._port = port
            self._pid = _postmaster_pid(self._data_dir)
            return
        assert last_error is not None
        raise last_error

    def _server(self, program: str, *args: str) -> str:
        """Run a server binary, as the ``postgres`` OS user when we are root."""
        assert self._bin_dir is not None
        argv = [str(self._bin_dir / program), *args]
        if _is_root():
            argv = ["runuser", "-u", _OS_USER, "--", *argv]
        # run from the cluster dir: runuser keeps the cwd, which postgres may not be able to read
        return run(argv, cwd=self.root, fix="see the server log in the message above")

    def _psql(self, sql: str) -> None:
        psql = self._bin_dir / "psql" if self._bin_dir else None
        program = str(psql) if psql is not None and psql.exists() else "psql"
        run(
            [
                program,
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                _SUPERUSER,
                "-d",
                _SUPERUSER,
                "-c",
                sql,
            ],
            fix="is the cluster still running? psql must be installed with the server",
        )

    def _log_tail(self) -> str:
        try:
            return self._log_file.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    def _kill_leftover_postmaster(self, root: Path) -> None:
        """After a failed start, a postmaster may still run from ``root``: kill exactly that one."""
        try:
            pid = _postmaster_pid(root / "data")
        except (OSError, ValueError):
            return
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
            self._wait_gone(pid)

    @staticmethod
    def _wait_gone(pid: int) -> None:
        # pg_ctl -w returns when the pid file is gone; the process may linger a moment longer.
        for _ in range(100):
            if not _alive(pid):
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)


def _server_bin_dir() -> Path:
    initdb = shutil.which("initdb")
    if initdb is None:
        raise ToolError(
            "`initdb` is not installed or not on PATH: cannot start an ephemeral PostgreSQL",
            fix="install the PostgreSQL server (e.g. apt-get install postgresql) and put its "
            "bin directory (initdb, pg_ctl, postgres) on PATH",
        )
    # resolve symlinks (/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb) so that
    # pg_ctl, postgres and psql all come from the same installation
    return Path(initdb).resolve().parent


def _is_root() -> bool:
    return os.geteuid() == 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().splitlines()[0])


def _alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (exited, not yet reaped by its parent) counts as gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    for line in status.splitlines():
        if line.startswith("State:"):
            return "Z" not in line.split(":", 1)[1].split()[0]
    return True


def _identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise UsageError(
            f"{name!r} is not a plain PostgreSQL identifier",
            fix="use letters, digits and underscores, starting with a letter or underscore",
        )
    return name
