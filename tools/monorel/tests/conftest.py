"""Session fixtures shared by monorel's test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from monorel import embedded_devpi
from monorel.building import BuiltPackage
from monorel_release_support import SharedDevpi, build_all, load, start_shared_devpi
from monorel_workspaces import sample_members, write_workspace


@pytest.fixture(scope="session")
def shared_devpi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedDevpi]:
    """One real devpi-server on 127.0.0.1 for the session, stopped by its pid at the end.

    It lives in the state dir of a throwaway sample workspace, so monorel finds its
    upload credentials there like it does for `monorel devpi up` in a checkout.
    """
    root = write_workspace(tmp_path_factory.mktemp("release-ws") / "ws", sample_members())
    shared = start_shared_devpi(load(root))
    try:
        yield shared
    finally:
        embedded_devpi.down(shared.server)


@pytest.fixture(scope="session")
def sample_built(shared_devpi: SharedDevpi) -> list[BuiltPackage]:
    """people-app and ledger-app 1.0.0 of the shared workspace, built and verified once."""
    return build_all(shared_devpi.ws)
