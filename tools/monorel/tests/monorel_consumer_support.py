"""Helpers of test_monorel_consumer_view.py: our real wheels, a stand-in for the public
index, and a private devpi-server that mirrors it as production's ``root/pypi`` does.

- ``build_repo_wheels``: accounts-app and billing-app of this repository's working tree,
  built with ``uv build --no-sources`` into a temp dir and verified by ``monorel build``'s
  own checks (the repository's ``wheel-checks`` included).
- ``fake_wheel``: a minimal wheel of any name and version: the package an attacker
  registers on the public index under our name.
- ``PrivateDevpi``: a second devpi-server, not offline, with ``root/pypi`` a mirror of the
  stand-in public index and ``acme/stable`` inheriting from it, as devpi/README.md sets
  up production.
- ``readme_block``: a fenced block of examples/consumer/README.md, so the tests run what
  the page says.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from monorel import building, publishing, workspace
from monorel.adapters import devpi, uv
from monorel.building import BuiltPackage
from monorel_release_support import ROOT, free_port

CONSUMER_README = ROOT / "examples" / "consumer" / "README.md"
PRODUCTION_INDEX = "https://devpi.example.com/acme/stable/+simple/"


def build_repo_wheels(out: Path) -> list[BuiltPackage]:
    ws = workspace.load(ROOT)
    built = []
    for member in building.releasable(ws):
        files = uv.build(ws.root, member.name, out / member.name)
        wheel = next(f for f in files if f.suffix == ".whl")
        sdist = next(f for f in files if f.name.endswith(".tar.gz"))
        package = BuiltPackage(
            name=member.name,
            version=member.version,
            wheel=building.Artifact(wheel, building.sha256_of(wheel)),
            sdist=building.Artifact(sdist, building.sha256_of(sdist)),
        )
        problems = building.verify(ws, member, package, tagged_at_head=False)
        assert problems == [], problems
        built.append(package)
    return built


def fake_wheel(dest: Path, name: str, version: str) -> Path:
    """A wheel that installs ``<import name>/__init__.py`` saying it is the impostor."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": b"IMPOSTOR = True\n",
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
        ),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: monorel-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = [
        f"{path},sha256="
        + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        + f",{len(data)}"
        for path, data in files.items()
    ]
    files[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in files.items():
            zf.writestr(member, data)
    return path


def upload(index: publishing.Index, files: list[Path], auth: devpi.BasicAuth) -> None:
    credentials = publishing.basic_credentials("tests", auth.user, auth.password)
    uv.publish(
        files, publish_url=index.url, check_url=index.simple_url, credentials=credentials.env
    )


@dataclass
class PrivateDevpi:
    """A devpi-server set up like production: ``acme/stable`` -> ``root/pypi`` (a mirror)."""

    pid: int
    url: str
    auth: devpi.BasicAuth

    @property
    def stable(self) -> publishing.Index:
        return publishing.Index(url=f"{self.url}/acme/stable/")

    def stop(self) -> None:
        devpi.stop_server(self.pid)


def start_private_devpi(home: Path, *, mirror_of: str) -> PrivateDevpi:
    root = devpi.BasicAuth("root", secrets.token_urlsafe(16))
    acme = devpi.BasicAuth("acme", secrets.token_urlsafe(16))
    devpi.init_serverdir(home / "server", root_password=root.password)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = home / "server.log"
    pid = devpi.start_server(
        home / "server",
        host="127.0.0.1",
        port=port,
        restrict_modify="root,acme",
        log_file=log,
        offline=False,
    )
    try:
        devpi.wait_ready(url, pid=pid, log_file=log)
        devpi.init_search_index(url)
        # the mirror of the public index, as devpi-init makes root/pypi in production
        devpi._request(
            "PUT", f"{url}/root/pypi", {"type": "mirror", "mirror_url": mirror_of}, auth=root
        )
        devpi.ensure_user(url, admin=root, user=acme.user, password=acme.password)
        devpi.ensure_index(
            url, auth=acme, index="acme/stable", volatile=False, bases=("root/pypi",)
        )
    except BaseException:
        devpi.stop_server(pid)
        raise
    return PrivateDevpi(pid=pid, url=url, auth=acme)


def readme_block(first_line: str) -> str:
    """The fenced block of the consumer README whose first line is ``first_line``."""
    for block in re.findall(r"^```\w*\n(.*?)^```", CONSUMER_README.read_text(), re.S | re.M):
        if block.startswith(first_line):
            return block
    raise AssertionError(f"examples/consumer/README.md has no block starting {first_line!r}")


def readme_command(prefix: str) -> list[str]:
    """The README command line that starts with ``prefix`` (``$ `` and continuations dropped)."""
    text = CONSUMER_README.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        command = line.removeprefix("$ ").split("  #")[0].strip()
        if line.startswith("$ ") and command.startswith(prefix):
            return command.split()
    raise AssertionError(f"examples/consumer/README.md has no command {prefix!r}")


def run(argv: list[str], *, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout
