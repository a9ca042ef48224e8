"""Helpers of the release-pipeline tests (plan, version, build, publish, devpi, ship).

The session fixtures built on these live in conftest.py: one real devpi-server on
127.0.0.1 for the whole session, started in the state dir of a throwaway workspace
(``sample_members()``: people-app <- ledger-app <- shop) whose packages are built once.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from monorel import building, embedded_devpi, publishing, workspace
from monorel.adapters import devpi
from monorel.building import BuiltPackage
from monorel.embedded_devpi import EmbeddedDevpi
from monorel.workspace import Workspace
from monorel_workspaces import GIT_ENV, MemberSpec, sample_members

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class SharedDevpi:
    """The session's devpi-server, in the state dir of ``ws``."""

    ws: Workspace
    server: EmbeddedDevpi
    url: str
    auth: devpi.BasicAuth

    def new_index(self, name: str, *, volatile: bool = True) -> publishing.Index:
        """A fresh ``acme/<name>`` index (tests never share one): volatile, a dev index that
        `monorel publish` uploads to, unless ``volatile=False`` (a stable one)."""
        created = devpi.ensure_index(
            self.url, auth=self.auth, index=f"acme/{name}", volatile=volatile
        )
        assert created, f"index acme/{name} already existed"
        return publishing.Index(url=f"{self.url}/acme/{name}/")

    def credentials(self) -> publishing.Credentials:
        return publishing.basic_credentials("tests", self.auth.user, self.auth.password)


TEMPLATE = "templates/people_app/card.html"


def release_members() -> list[MemberSpec]:
    """``sample_members()`` with a template in people-app (package data the wheel must carry)."""
    members = sample_members()
    members[0].modules[TEMPLATE] = "<p>{{ person.name }}</p>\n"
    return members


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_shared_devpi(ws: Workspace) -> SharedDevpi:
    server = embedded_devpi.for_workspace(ws)
    state, _ = embedded_devpi.up(server, port=free_port())
    auth = embedded_devpi.upload_auth(server)
    assert state.url is not None and auth is not None
    return SharedDevpi(ws=ws, server=server, url=state.url, auth=auth)


def build_all(ws: Workspace) -> list[BuiltPackage]:
    return [building.build(ws, m) for m in building.releasable(ws)]


def index_files(index: publishing.Index, name: str) -> dict[str, str | None]:
    """filename -> sha256 of what the index lists for ``name``."""
    return {f.filename: f.sha256 for f in devpi.project_files(index.simple_url, name)}


CREDENTIAL_ENV = (
    "MONOREL_INDEX_USER",
    "MONOREL_INDEX_PASSWORD",
    "UV_PUBLISH_USERNAME",
    "UV_PUBLISH_PASSWORD",
    "UV_PUBLISH_TOKEN",
)


def clear_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No upload credentials from this machine: none in the environment, an empty keyring."""
    for name in CREDENTIAL_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


def git_env() -> dict[str, str]:
    return {**os.environ, **GIT_ENV}


def git_out(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, env=git_env(), capture_output=True, text=True, check=True
    )
    return done.stdout


def tree_state(root: Path) -> dict[str, object]:
    """HEAD, tags, ``git status`` and the sha256 of every file outside .git: 'nothing changed'."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] in (".git", ".monorel") or not path.is_file():
            continue
        files[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return {
        "head": git_out(root, "rev-parse", "HEAD").strip(),
        "tags": git_out(root, "tag", "--list").split(),
        "status": git_out(root, "status", "--porcelain", "--untracked-files=all"),
        "files": files,
    }


def load(root: Path) -> Workspace:
    return workspace.load(root)
