"""devpi: the only module that runs devpi-init / devpi-server or talks to an index over HTTP.

The HTTP calls use devpi's REST API (users, indexes, an index's configuration, the
``push`` of a release from one index to another on the same server) and the simple API
(PEP 691 JSON, with the PEP 503 HTML page as a fallback) that every index serves at
``+simple/``; files are downloaded from the URLs it lists and checked against its sha256.
Passwords reach devpi-init through its environment (``DEVPISERVER_ROOT_PASSWD``) and the
server through HTTP basic auth, never through argv or a URL.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from monorel.adapters._process import console_script, run
from monorel.errors import IndexUnreachable, ToolError

_SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


@dataclass(frozen=True)
class BasicAuth:
    user: str
    password: str

    def header(self) -> str:
        raw = f"{self.user}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def __repr__(self) -> str:  # never print the password
        return f"BasicAuth(user={self.user!r}, password=***)"


@dataclass(frozen=True)
class IndexFile:
    filename: str
    sha256: str | None  # None: the index lists the file without a digest
    url: str = ""  # where to download it (absolute, without the #sha256 fragment)


def script(name: str) -> str:
    """A devpi console script of the workspace venv."""
    return console_script(
        name, fix="install monorel with its devpi extra: uv sync --all-packages (monorel[devpi])"
    )


def init_serverdir(serverdir: Path, *, root_password: str) -> None:
    """``devpi-init`` a fresh server dir without the root/pypi mirror (we run offline)."""
    serverdir.parent.mkdir(parents=True, exist_ok=True)
    run(
        [script("devpi-init"), "--serverdir", serverdir, "--no-root-pypi"],
        env={"DEVPISERVER_ROOT_PASSWD": root_password},
        fix=f"remove {serverdir} and run `monorel devpi up` again",
        timeout=120,
    )


# devpi-server derives the key that signs its login tokens from its server secret with
# argon2, at default costs (512 MiB, 16 passes, 8 lanes) that take ~3.7 s of every start on
# 2 cores (bench/RESULTS.md, "ship"). Without --secretfile the secret is 32 random bytes,
# new at each start, and this server listens on loopback only: stretching it adds nothing.
# devpi-server reads these (undocumented) options from DEVPISERVER_* variables; a version
# without them ignores the variables.
_FAST_KEY_DERIVATION = {
    "DEVPISERVER_ARGON2_MEMORY_COST": "8192",
    "DEVPISERVER_ARGON2_TIME_COST": "1",
    "DEVPISERVER_ARGON2_PARALLELISM": "1",
}


def start_server(
    serverdir: Path,
    *,
    host: str,
    port: int,
    restrict_modify: str,
    log_file: Path,
    lock_fd: int | None = None,
    offline: bool = True,
) -> int:
    """Start ``devpi-server`` detached from us (its own session); return its pid.

    ``lock_fd``: an open descriptor the server inherits and keeps for its whole life (an
    flock on it is then held until the server process dies). ``offline``: its mirror
    indexes fetch nothing (the embedded server has none); a server with a mirror of an
    upstream index needs ``offline=False``.
    """
    argv = [
        script("devpi-server"),
        "--serverdir",
        str(serverdir),
        "--host",
        host,
        "--port",
        str(port),
        *(["--offline-mode"] if offline else []),
        "--restrict-modify",
        restrict_modify,
    ]
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **_FAST_KEY_DERIVATION},
            start_new_session=True,  # outlives `monorel devpi up`
            pass_fds=() if lock_fd is None else (lock_fd,),
        )
    return proc.pid


def wait_ready(url: str, *, pid: int, log_file: Path, timeout: float = 90.0) -> None:
    """Poll ``<url>/+api`` until the server answers; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            raise ToolError(
                f"devpi-server (pid {pid}) exited during start-up:\n{_tail(log_file)}",
                fix="read the log above; a busy port needs --port",
            )
        if responds(url):
            return
        time.sleep(0.25)
    raise ToolError(
        f"devpi-server (pid {pid}) did not answer at {url} within {timeout:.0f}s:\n"
        f"{_tail(log_file)}",
        fix="read the log above, then `monorel devpi down` and `monorel devpi up`",
    )


def responds(url: str) -> bool:
    """True if ``<url>/+api`` answers like a devpi-server."""
    try:
        data = _request("GET", url.rstrip("/") + "/+api", timeout=2)
    except IndexUnreachable:
        return False
    return isinstance(data, dict) and data.get("type") == "apiconfig"


def init_search_index(url: str) -> bool:
    """Have devpi-web create its search index now; False when the server has no devpi-web.

    devpi-web creates its whoosh index on first use. On a fresh server dir that first use
    is the first upload, from two threads at once, and the loser's error leaves the search
    empty ("File '_project_0.toc' exists" in the log). One search before any upload
    creates it from one thread.
    """
    request = urllib.request.Request(
        f"{url.rstrip('/')}/+search?query=monorel", headers={"Accept": "text/html"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:  # noqa: S310 - loopback
            return "text/html" in resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError:
        return False  # no devpi-web: devpi-server has no +search page
    except (urllib.error.URLError, OSError) as exc:
        raise IndexUnreachable(f"GET {url}/+search: {exc}", fix="is devpi-server running?") from exc


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours is not alive for our purposes
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def command_line(pid: int) -> str | None:
    """The command line of ``pid`` as one string (None without /proc or if it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return " ".join(a.decode(errors="replace") for a in raw.split(b"\0") if a)


def pid_is_server(pid: int, serverdir: Path) -> bool:
    """True if ``pid`` runs devpi-server on ``serverdir`` (guards against a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return pid_alive(pid)  # no /proc: trust the pid file
    args = [a.decode(errors="replace") for a in cmdline]
    # the same directory however it is spelled (a state dir reached through a symlink)
    target = serverdir.resolve()
    paths = [Path(a).resolve() for a in args if a.startswith("/")]
    return any("devpi-server" in a for a in args) and target in paths


def stop_server(pid: int, *, timeout: float = 15.0) -> None:
    """SIGTERM, wait, then SIGKILL the server process (only this pid)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not pid_alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    _reap(pid)


def ensure_user(url: str, *, admin: BasicAuth, user: str, password: str) -> bool:
    """Create ``user`` (as root) or reset its password; True if it was created."""
    base = url.rstrip("/")
    exists = _exists(f"{base}/{user}")
    if exists:
        if _login_ok(base, BasicAuth(user, password)):
            return False
        _request("PATCH", f"{base}/{user}", {"password": password}, auth=admin)
        return False
    _request("PUT", f"{base}/{user}", {"password": password, "email": ""}, auth=admin)
    return True


def ensure_index(
    url: str, *, auth: BasicAuth, index: str, volatile: bool, bases: tuple[str, ...] = ()
) -> bool:
    """Create ``user/index`` as a stage index with the given volatility; True if created.

    Only its owner (the user of ``user/index``: the release identity) may upload to it,
    tox results included: devpi lets anyone attach a tox result to a release file unless
    ``acl_toxresult_upload`` says otherwise. ``auth`` is the owner or root (who may make
    a user's indexes). An existing index keeps its files; its ``volatile`` flag, bases
    and both upload ACLs are brought in line.
    """
    target = f"{url.rstrip('/')}/{index}"
    owner = index.split("/", 1)[0]
    wanted = {
        "volatile": volatile,
        "bases": list(bases),
        "acl_upload": [owner],
        "acl_toxresult_upload": [owner],
    }
    current = _get_json(target)
    if current is None:
        _request("PUT", target, {"type": "stage", **wanted}, auth=auth)
        return True
    config = current.get("result", {})
    if any(config.get(key) != value for key, value in wanted.items()):
        # a PATCH with an object sets the whole configuration: send it all
        _request("PATCH", target, {**config, **wanted}, auth=auth)
    return False


def index_config(url: str, index: str) -> dict | None:
    data = _get_json(f"{url.rstrip('/')}/{index}")
    return None if data is None else data.get("result", {})


def project_files(
    simple_url: str, project: str, *, auth: BasicAuth | None = None
) -> list[IndexFile]:
    """The files the index lists for ``project`` (empty if it has none), with their URLs and
    sha256 digests (None where the index lists none)."""
    page = f"{simple_url.rstrip('/')}/{project}/"
    body, content_type = _get_page(page, auth=auth)
    if body is None:
        return []
    if _SIMPLE_JSON in content_type or body.lstrip().startswith("{"):
        return [
            IndexFile(
                f["filename"],
                f.get("hashes", {}).get("sha256"),
                urllib.parse.urljoin(page, f["url"]).split("#", 1)[0],
            )
            for f in json.loads(body)["files"]
        ]
    parser = _SimpleLinks(page)
    parser.feed(body)
    return parser.files


def file_sha256(url: str, *, auth: BasicAuth | None = None) -> str:
    """Download ``url`` and return the sha256 of its bytes (for a file listed without one)."""
    return hashlib.sha256(_download(url, auth=auth)).hexdigest()


def download(file: IndexFile, dest: Path, *, auth: BasicAuth | None = None) -> Path:
    """Download ``file`` into ``dest``; ``ToolError`` when its bytes do not match the digest
    the index lists for it."""
    data = _download(file.url, auth=auth)
    digest = hashlib.sha256(data).hexdigest()
    if file.sha256 is not None and digest != file.sha256:
        raise ToolError(
            f"{file.url}: the downloaded bytes have sha256 {digest}, the index lists {file.sha256}",
            fix="the index serves other bytes than it lists: check the index and re-publish",
        )
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / file.filename
    target.write_bytes(data)
    return target


def index_info(index_url: str, *, auth: BasicAuth | None = None) -> dict | None:
    """devpi's configuration of the index at ``index_url`` (``type``, ``volatile``, ``bases``,
    ...), or None when that URL is not a devpi index (or is not there)."""
    try:
        data = _request("GET", index_url.rstrip("/"), auth=auth)
    except HttpStatusError as exc:
        if exc.status >= 500:
            raise
        return None  # answered, but not as a devpi index it lets us read
    except ValueError:
        return None  # answered with something that is not JSON
    if not isinstance(data, dict) or data.get("type") != "indexconfig":
        return None
    result = data.get("result")
    return result if isinstance(result, dict) else None


def push(
    index_url: str, *, name: str, version: str, target: str, auth: BasicAuth
) -> list[list[object]]:
    """devpi's own ``push``: copy every file of ``name`` ``version`` from the index at
    ``index_url`` to ``target`` (``user/index``) on the same server, bytes unchanged.

    Returns devpi's action log. ``IndexUnreachable`` names the server's refusal.
    """
    payload = {"name": name, "version": version, "targetindex": target}
    data = _request("POST", index_url.rstrip("/"), payload, auth=auth, timeout=300)
    result = data.get("result")
    return result if isinstance(result, list) else []


class _SimpleLinks(HTMLParser):
    """PEP 503 page: ``<a href="...#sha256=HEX">filename</a>``."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.files: list[IndexFile] = []
        self._page = page
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""

    def handle_data(self, data: str) -> None:
        if self._href is not None and data.strip():
            match = re.search(r"#sha256=([0-9a-f]{64})", self._href)
            url = urllib.parse.urljoin(self._page, self._href).split("#", 1)[0]
            self.files.append(IndexFile(data.strip(), match.group(1) if match else None, url))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._href = None


def _get_page(page: str, *, auth: BasicAuth | None) -> tuple[str | None, str]:
    """(body, content type) of a simple API page; (None, "") when the index answers 404."""
    headers = {"Accept": f"{_SIMPLE_JSON}, text/html;q=0.1"}
    if auth is not None:
        headers["Authorization"] = auth.header()
    req = urllib.request.Request(page, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - http(s) index
            return resp.read().decode("utf-8"), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None, ""
        raise IndexUnreachable(
            f"{page} answered HTTP {exc.code}", fix="check the index URL and that it is up"
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise IndexUnreachable(
            f"cannot reach {page}: {exc}",
            fix="start the index (`monorel devpi up`) or pass the right --index",
        ) from exc


def _download(url: str, *, auth: BasicAuth | None) -> bytes:
    headers = {"Authorization": auth.header()} if auth is not None else {}
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310 - http(s) index
            return resp.read()
    except (urllib.error.URLError, OSError) as exc:
        raise IndexUnreachable(f"cannot download {url}: {exc}", fix="is the index up?") from exc


def _login_ok(base: str, auth: BasicAuth) -> bool:
    try:
        _request("POST", f"{base}/+login", {"user": auth.user, "password": auth.password})
    except IndexUnreachable:
        return False
    return True


def _exists(url: str) -> bool:
    return _get_json(url) is not None


def _get_json(url: str) -> dict | None:
    try:
        return _request("GET", url)
    except _NotFound:
        return None


class HttpStatusError(IndexUnreachable):
    """The server answered a REST call with an HTTP error status."""

    def __init__(self, message: str, *, status: int, fix: str = "") -> None:
        super().__init__(message, fix=fix)
        self.status = status


class _NotFound(HttpStatusError):
    pass


def _request(
    method: str,
    url: str,
    payload: object | None = None,
    *,
    auth: BasicAuth | None = None,
    timeout: float = 30,
) -> dict:
    headers = {"Accept": "application/json"}
    data = None
    if payload is not None:
        data = json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    if auth is not None:
        headers["Authorization"] = auth.header()
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            body = resp.read()
    except urllib.error.HTTPError as exc:
        detail = _error_detail(exc.read())
        if exc.code == 404:
            raise _NotFound(f"{method} {url}: HTTP 404 {detail}", status=404) from exc
        raise HttpStatusError(
            f"{method} {url}: HTTP {exc.code} {detail}",
            status=exc.code,
            fix="check the credentials and the server log",
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise IndexUnreachable(f"{method} {url}: {exc}", fix="is devpi-server running?") from exc
    return json.loads(body) if body else {}


def _error_detail(body: bytes) -> str:
    """devpi's JSON ``message`` of an error response, else the start of its body."""
    text = body.decode("utf-8", errors="replace")
    try:
        message = json.loads(text).get("message")
    except (ValueError, AttributeError):
        message = None
    return str(message) if message else text[:500]


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# -- fetching released wheels (used by `monorel rehearse`) ---------------------------------


def simple_url(index_url: str) -> str:
    """The simple API of an index URL: devpi's ``<user>/<index>/+simple/``, or as given."""
    url = index_url.rstrip("/") + "/"
    return url if url.endswith(("/simple/", "+simple/")) else url + "+simple/"


def released_versions(index_url: str, project: str) -> list[str]:
    """Versions of ``project`` for which the index holds a wheel (unsorted, unique)."""
    versions = {
        _wheel_version(f.filename)
        for f in project_files(simple_url(index_url), project)
        if f.filename.endswith(".whl")
    }
    return sorted(v for v in versions if v)


def download_wheel(index_url: str, project: str, version: str, dest: Path) -> Path | None:
    """Download the ``project`` ``version`` wheel into ``dest``; None if the index lacks it.

    The file's sha256 from the index page is checked; a mismatch raises ToolError.
    """
    wanted = [
        f
        for f in project_files(simple_url(index_url), project)
        if f.filename.endswith(".whl") and _wheel_version(f.filename) == version
    ]
    return download(wanted[0], dest) if wanted else None


def _wheel_version(filename: str) -> str | None:
    parts = filename.split("-")
    return parts[1] if filename.endswith(".whl") and len(parts) >= 5 else None
