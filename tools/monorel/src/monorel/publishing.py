"""Publish built packages to an index: resolve it, find credentials, compare, upload.

Before anything is uploaded, every package's files are compared with what the index
already lists for that version (sha256 from its simple API):

- the same file with the same digest: skipped (re-publishing is a no-op);
- a file under that version with other bytes, or a file we did not build: refused
  (``PublishRefused`` names both digests) - a released file never changes;
- otherwise the missing files are uploaded, packages in dependency order, one
  ``uv publish`` each. A run that failed half-way is resumed by running it again.

Credentials come from the environment, the embedded devpi's state dir or keyring,
and reach uv through its environment - never argv, never output.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from monorel import embedded_devpi
from monorel.adapters import devpi, uv
from monorel.building import BuiltPackage
from monorel.errors import CredentialsMissing, PublishRefused, UsageError
from monorel.workspace import Workspace

Action = Literal["upload", "skip"]


@dataclass(frozen=True)
class Index:
    url: str  # upload URL, ends with "/", e.g. http://127.0.0.1:3141/acme/stable/
    name: str | None = None  # the [tool.monorel.indexes] name it was given by

    @property
    def simple_url(self) -> str:
        return self.url + "+simple/"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.url})" if self.name else self.url


@dataclass(frozen=True)
class Credentials:
    source: str  # where they came from, safe to print
    env: dict[str, str] = field(repr=False)  # UV_PUBLISH_* for uv publish


@dataclass(frozen=True)
class FilePlan:
    filename: str
    sha256: str
    action: Action


@dataclass(frozen=True)
class PackagePublication:
    name: str
    version: str
    files: tuple[FilePlan, ...]

    @property
    def uploads(self) -> bool:
        return any(f.action == "upload" for f in self.files)


def resolve_index(ws: Workspace, name_or_url: str) -> Index:
    """An index URL, or a name from ``[tool.monorel.indexes]``."""
    if "://" in name_or_url:
        return Index(url=name_or_url.rstrip("/") + "/")
    if name_or_url in ws.config.indexes:
        return Index(url=ws.config.indexes[name_or_url].rstrip("/") + "/", name=name_or_url)
    known = ", ".join(sorted(ws.config.indexes)) or "(none configured)"
    raise UsageError(
        f"unknown index {name_or_url!r}",
        fix=f"pass a URL or one of the names in [tool.monorel.indexes]: {known}",
    )


def find_credentials(ws: Workspace, index: Index) -> Credentials | None:
    """Upload credentials for ``index``, first found wins:

    1. ``MONOREL_INDEX_USER`` + ``MONOREL_INDEX_PASSWORD``
    2. ``UV_PUBLISH_TOKEN``, or ``UV_PUBLISH_USERNAME`` + ``UV_PUBLISH_PASSWORD``
    3. the embedded devpi's state dir, when ``index`` is served by it
    4. keyring, for the index URL
    """
    env = os.environ
    if env.get("MONOREL_INDEX_USER") and env.get("MONOREL_INDEX_PASSWORD"):
        return basic_credentials(
            "MONOREL_INDEX_USER/PASSWORD", env["MONOREL_INDEX_USER"], env["MONOREL_INDEX_PASSWORD"]
        )
    if env.get("UV_PUBLISH_TOKEN"):
        return Credentials("UV_PUBLISH_TOKEN", {"UV_PUBLISH_TOKEN": env["UV_PUBLISH_TOKEN"]})
    if env.get("UV_PUBLISH_USERNAME") and env.get("UV_PUBLISH_PASSWORD"):
        return basic_credentials(
            "UV_PUBLISH_USERNAME/PASSWORD", env["UV_PUBLISH_USERNAME"], env["UV_PUBLISH_PASSWORD"]
        )
    server = embedded_devpi.for_workspace(ws)
    if embedded_devpi.serves(server, index.url):
        auth = embedded_devpi.upload_auth(server)
        if auth is not None:
            return basic_credentials(
                f"embedded devpi ({server.credentials_file})", auth.user, auth.password
            )
    return _from_keyring(index.url)


def plan_publication(index: Index, built: BuiltPackage) -> PackagePublication:
    """Compare local files with the index; raise ``PublishRefused`` on a conflict."""
    listed = {
        f.filename: f.sha256
        for f in devpi.project_files(index.simple_url, built.name)
        if _version_of(f.filename, built.name) == Version(built.version)
    }
    ours = {a.filename: a.sha256 for a in built.artifacts}
    for filename, remote in listed.items():
        local = ours.get(filename)
        if local is None:
            raise PublishRefused(
                f"{built.name} {built.version}: {index.url} already has {filename} "
                f"(sha256 {remote}), which this build did not produce",
                fix="a released version never changes: release a new version (monorel version)",
            )
        if remote is not None and remote != local:
            raise PublishRefused(
                f"{built.name} {built.version}: {index.url} already has {filename} with "
                f"sha256 {remote}; the local file has sha256 {local}",
                fix="a released file never changes: release a new version (monorel version)",
            )
    files = tuple(
        FilePlan(a.filename, a.sha256, "skip" if a.filename in listed else "upload")
        for a in built.artifacts
    )
    return PackagePublication(built.name, built.version, files)


def publish(
    ws: Workspace,
    index: Index,
    packages: list[BuiltPackage],
    *,
    credentials: Credentials | None = None,
    on_package: Callable[[PackagePublication], None] | None = None,
) -> list[PackagePublication]:
    """Check every package against the index, then upload what is missing, in order.

    Nothing is uploaded if any package is refused or credentials are missing.
    ``credentials`` overrides the lookup of ``find_credentials``.
    """
    plans = [plan_publication(index, built) for built in packages]
    if any(p.uploads for p in plans) and credentials is None:
        credentials = find_credentials(ws, index)
        if credentials is None:
            raise CredentialsMissing(
                f"no upload credentials for {index.url}",
                fix="set MONOREL_INDEX_USER and MONOREL_INDEX_PASSWORD (or UV_PUBLISH_TOKEN, "
                "or UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD), store them in keyring for this "
                "URL, or publish to the embedded devpi (`monorel devpi up`)",
            )
    for built, plan in zip(packages, plans, strict=True):
        if plan.uploads:
            assert credentials is not None
            uv.publish(
                [a.path for a in built.artifacts],
                publish_url=index.url,
                check_url=index.simple_url,
                credentials=credentials.env,
            )
        if on_package is not None:
            on_package(plan)
    return plans


def released_on(index: Index, name: str, version: str) -> bool:
    """True if the index lists any file of ``name`` ``version``."""
    return any(
        _version_of(f.filename, name) == Version(version)
        for f in devpi.project_files(index.simple_url, name)
    )


def _version_of(filename: str, name: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            dist, version, _, _ = parse_wheel_filename(filename)
        else:
            dist, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return version if dist == canonicalize_name(name) else None


def basic_credentials(source: str, user: str, password: str) -> Credentials:
    return Credentials(source, {"UV_PUBLISH_USERNAME": user, "UV_PUBLISH_PASSWORD": password})


def _from_keyring(url: str) -> Credentials | None:
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        found = keyring.get_credential(url, None)
    except (KeyringError, RuntimeError):
        return None
    if found is None or not found.password:
        return None
    return basic_credentials(f"keyring ({url})", found.username, found.password)
