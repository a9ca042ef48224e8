"""Publish built packages to a dev index: resolve it, find credentials, compare, upload.

Uploads go to dev indexes only (devpi says the index is volatile): a stable index is
reached by promotion alone (``monorel gate``: devpi's push of the proven files), so
nothing unproven lands there. A pre-release or dev version names itself in the refusal.

Before anything is uploaded, every package's files are compared with what the index
already lists for that version (sha256 from its simple API; a file listed without a
digest is downloaded and hashed first):

- the same file with the same digest: skipped (re-publishing is a no-op);
- a file under that version with other bytes, or a file we did not build: refused
  (``PublishRefused`` names both digests) - a released file never changes;
- otherwise the missing files are uploaded, packages in dependency order, one
  ``uv publish`` each. A run that failed half-way is resumed by running it again.

Credentials come from the ``--index`` URL, the environment, the embedded devpi's state
dir or keyring, and reach uv through its environment - never argv, never output.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from monorel import bumps, embedded_devpi, indexes, redaction
from monorel.adapters import devpi, uv
from monorel.building import BuiltPackage
from monorel.errors import CredentialsMissing, IndexKindRefused, PrereleaseRefused, PublishRefused
from monorel.indexes import Index
from monorel.workspace import Workspace

Action = Literal["upload", "skip"]


@dataclass(frozen=True)
class Credentials:
    source: str  # where they came from, safe to print
    user: str
    password: str = field(repr=False)

    @property
    def auth(self) -> devpi.BasicAuth:
        return devpi.BasicAuth(self.user, self.password)

    @property
    def env(self) -> dict[str, str]:
        """``UV_PUBLISH_*`` for uv publish (a token is the password of ``__token__``)."""
        return {"UV_PUBLISH_USERNAME": self.user, "UV_PUBLISH_PASSWORD": self.password}


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
    """An index URL (credentials taken out of it), or a name (``monorel.indexes``)."""
    return indexes.resolve(ws, name_or_url)


def find_credentials(ws: Workspace, index: Index) -> Credentials | None:
    """Upload credentials for ``index``, first found wins:

    1. the ``user:password@`` of the ``--index`` URL
    2. ``MONOREL_INDEX_USER`` + ``MONOREL_INDEX_PASSWORD``
    3. ``UV_PUBLISH_TOKEN``, or ``UV_PUBLISH_USERNAME`` + ``UV_PUBLISH_PASSWORD``
    4. the embedded devpi's state dir, when ``index`` is served by it
    5. keyring, for the index URL
    """
    if index.auth is not None:
        return basic_credentials("the --index URL", index.auth.user, index.auth.password)
    env = os.environ
    if env.get("MONOREL_INDEX_USER") and env.get("MONOREL_INDEX_PASSWORD"):
        return basic_credentials(
            "MONOREL_INDEX_USER/PASSWORD", env["MONOREL_INDEX_USER"], env["MONOREL_INDEX_PASSWORD"]
        )
    if env.get("UV_PUBLISH_TOKEN"):
        return basic_credentials("UV_PUBLISH_TOKEN", "__token__", env["UV_PUBLISH_TOKEN"])
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


def require_credentials(ws: Workspace, index: Index) -> Credentials:
    """``find_credentials``, or ``CredentialsMissing`` naming every way to give them."""
    credentials = find_credentials(ws, index)
    if credentials is None:
        raise CredentialsMissing(
            f"no upload credentials for {index.url}",
            fix="put them in the --index URL (https://USER:PASSWORD@host/...), set "
            "MONOREL_INDEX_USER and MONOREL_INDEX_PASSWORD (or UV_PUBLISH_TOKEN, "
            "or UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD), store them in keyring for this "
            "URL, or publish to the embedded devpi (`monorel devpi up`)",
        )
    return credentials


def not_final(version: str) -> bool:
    """A pre-release (a, b, rc: ``bumps.is_prerelease``), a dev version, or no valid version
    at all (it cannot be shown to be final): never for a stable index."""
    try:
        return bumps.is_prerelease(version) or Version(version).is_devrelease
    except InvalidVersion:
        return True


def require_dev_index(index: Index, packages: Sequence[tuple[str, str]], *, purpose: str) -> None:
    """Refuse uploading ``packages`` (name, version) to ``index`` unless devpi says it is a
    dev index (volatile). Pre-releases are named as such."""
    found = indexes.kind(index)
    if found == "dev":
        return
    where = (
        "a stable index (non-volatile)"
        if found == "stable"
        else "an index of unknown kind (not a devpi index monorel can read)"
    )
    pre = [f"{name} {version}" for name, version in packages if not_final(version)]
    if pre:
        raise PrereleaseRefused(
            f"{', '.join(pre)}: a pre-release or dev version goes to a dev index only, and "
            f"{index.url} is {where}",
            fix="publish it to the volatile <org>/dev index (--index dev)",
        )
    raise IndexKindRefused(
        f"{purpose} {index.url}: it is {where}; a stable index receives only proven files, "
        "promoted by `monorel gate`",
        fix="publish to the dev index (--index dev), then `monorel gate PKG --dev dev "
        "--stable stable` proves and promotes the same files",
    )


def plan_publication(index: Index, built: BuiltPackage) -> PackagePublication:
    """Compare local files with the index; raise ``PublishRefused`` on a conflict."""
    listed = release_files(index, built.name, built.version)
    ours = {a.filename: a.sha256 for a in built.artifacts}
    for filename, remote in listed.items():
        local = ours.get(filename)
        if local is None:
            raise PublishRefused(
                f"{built.name} {built.version}: {index.url} already has {filename} "
                f"(sha256 {remote}), which this build did not produce",
                fix="a released version never changes: release a new version (monorel version)",
            )
        if remote != local:
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


def release_files(index: Index, name: str, version: str) -> dict[str, str]:
    """filename -> sha256 of every file the index holds for ``name`` ``version``."""
    return {f.filename: f.sha256 or "" for f in release_listing(index, name, version)}


def release_listing(index: Index, name: str, version: str) -> list[devpi.IndexFile]:
    """Every file the index lists for ``name`` ``version``, each with its sha256.

    A file the index lists without a digest is downloaded and hashed: only bytes count
    as identical, never a name alone.
    """
    wanted = Version(version)
    return [
        f
        if f.sha256
        else devpi.IndexFile(f.filename, devpi.file_sha256(f.url, auth=index.auth), f.url)
        for f in devpi.project_files(index.simple_url, name, auth=index.auth)
        if _version_of(f.filename, name) == wanted
    ]


def publish(
    ws: Workspace,
    index: Index,
    packages: list[BuiltPackage],
    *,
    credentials: Credentials | None = None,
    on_package: Callable[[PackagePublication], None] | None = None,
) -> list[PackagePublication]:
    """Check every package against the index, then upload what is missing, in order.

    Nothing is uploaded if the index is not a dev index, any package is refused, or
    credentials are missing. ``credentials`` overrides the lookup of ``find_credentials``.
    """
    require_dev_index(index, [(b.name, b.version) for b in packages], purpose="uploading to")
    plans = [plan_publication(index, built) for built in packages]
    if any(p.uploads for p in plans) and credentials is None:
        credentials = require_credentials(ws, index)
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
        for f in devpi.project_files(index.simple_url, name, auth=index.auth)
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
    redaction.register(password)
    return Credentials(source, user, password)


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
