"""Session fixtures shared by monorel's test modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from monorel import embedded_devpi
from monorel.building import BuiltPackage
from monorel.postgres import EphemeralPostgres
from monorel.semver import database
from monorel_check_support import copy_workspace
from monorel_release_support import (
    SharedDevpi,
    build_all,
    load,
    release_members,
    start_shared_devpi,
)
from monorel_workspaces import GIT_ENV, commit_all, sample_members, write, write_workspace


@pytest.fixture
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' git author and committer for in-process commands that commit or tag."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="session")
def release_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway git workspace: people-app <- ledger-app <- shop (host), with a template."""
    return write_workspace(tmp_path_factory.mktemp("release-ws") / "ws", release_members())


@pytest.fixture(scope="session")
def shared_devpi(release_ws: Path) -> Iterator[SharedDevpi]:
    """One real devpi-server on 127.0.0.1 for the session, stopped by its pid at the end.

    It lives in the state dir of ``release_ws``, so monorel finds its upload
    credentials there as it does after `monorel devpi up` in a checkout.
    """
    shared = start_shared_devpi(load(release_ws))
    try:
        yield shared
    finally:
        embedded_devpi.down(shared.server)


@pytest.fixture(scope="session")
def release_built(release_ws: Path) -> list[BuiltPackage]:
    """people-app and ledger-app 1.0.0 of ``release_ws``, built and verified once."""
    return build_all(load(release_ws))


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample workspace (people-app <- ledger-app <- shop), written once; never modified."""
    return write_workspace(tmp_path_factory.mktemp("pristine") / "ws", sample_members())


@pytest.fixture
def ws(pristine: Path, tmp_path: Path) -> Path:
    """A private copy of ``pristine``, git history included, for one test to change."""
    return copy_workspace(pristine, tmp_path / "ws")


@pytest.fixture(scope="session")
def semver_postgres() -> Iterator[str]:
    """One throwaway PostgreSQL cluster for the migration verdicts of the session, as the
    URL that ``MONOREL_SEMVER_DATABASE`` takes (CLI runs in other processes use it)."""
    with EphemeralPostgres() as cluster:
        yield cluster.url


@pytest.fixture(scope="session", autouse=True)
def _stop_shared_semver_cluster() -> Iterator[None]:
    """Verdicts run in this process start one cluster on demand: stop it at the end."""
    yield
    database.stop_shared()


@pytest.fixture
def breaking_ws(tmp_path: Path) -> Path:
    """The sample workspace with a committed breaking fragment on people-app."""
    root = write_workspace(tmp_path / "ws", sample_members())
    write(root / "packages/people-app/changelog.d/+rename.breaking.md", "Rename display_name.\n")
    commit_all(root, "people-app: breaking change")
    return root
