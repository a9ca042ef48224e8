"""`monorel publish`: real uploads with uv publish to the session's real devpi-server.

Every test gets its own fresh non-volatile index on the shared server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from monorel import building, publishing
from monorel.building import BuiltPackage
from monorel.cli import main
from monorel.errors import CredentialsMissing, PublishRefused
from monorel_release_support import (
    SharedDevpi,
    clear_credentials,
    index_files,
    load,
    release_members,
)
from monorel_workspaces import write_workspace


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_credentials(monkeypatch)


def _files(built: list[BuiltPackage]) -> dict[str, dict[str, str]]:
    return {b.name: {a.filename: a.sha256 for a in b.artifacts} for b in built}


def test_publish_uploads_in_dependency_order_and_republishing_is_a_noop(
    shared_devpi: SharedDevpi, release_built: list[BuiltPackage]
) -> None:
    # given a fresh index and the credentials monorel finds in the embedded devpi's state dir
    index = shared_devpi.new_index("publish-twice")
    order: list[str] = []

    # when published
    first = publishing.publish(
        shared_devpi.ws, index, release_built, on_package=lambda p: order.append(p.name)
    )

    # then every file was uploaded, dependencies first, and the index has the same bytes
    assert order == ["people-app", "ledger-app"]
    assert [(p.name, [f.action for f in p.files]) for p in first] == [
        ("people-app", ["upload", "upload"]),
        ("ledger-app", ["upload", "upload"]),
    ]
    listed = {b.name: index_files(index, b.name) for b in release_built}
    assert listed == _files(release_built)

    # when published again: nothing is uploaded, the index is unchanged
    second = publishing.publish(shared_devpi.ws, index, release_built)
    assert [(p.name, [f.action for f in p.files]) for p in second] == [
        ("people-app", ["skip", "skip"]),
        ("ledger-app", ["skip", "skip"]),
    ]
    assert {b.name: index_files(index, b.name) for b in release_built} == listed


def test_publish_refuses_other_bytes_under_a_released_version(
    shared_devpi: SharedDevpi, release_built: list[BuiltPackage], tmp_path: Path
) -> None:
    # given people-app 1.0.0 on the index
    index = shared_devpi.new_index("overwrite")
    people = release_built[0]
    publishing.publish(shared_devpi.ws, index, [people])
    # and a different people-app 1.0.0 built from changed code
    members = release_members()
    members[0].modules["extra.py"] = "CHANGED = True\n"
    other_ws = load(write_workspace(tmp_path / "ws", members))
    changed = building.build(other_ws, other_ws.member("people-app"))

    # when / then: refused before any upload, naming both digests
    with pytest.raises(PublishRefused) as refused:
        publishing.publish(
            shared_devpi.ws, index, [changed], credentials=shared_devpi.credentials()
        )
    assert refused.value.message == (
        f"people-app 1.0.0: {index.url} already has {changed.wheel.filename} with sha256 "
        f"{people.wheel.sha256}; the local file has sha256 {changed.wheel.sha256}"
    )
    assert index_files(index, "people-app") == _files([people])["people-app"]


def test_upload_without_credentials_is_refused_before_anything_is_sent(
    shared_devpi: SharedDevpi, release_built: list[BuiltPackage], tmp_path: Path
) -> None:
    # given a workspace with no embedded devpi, no credential variables, an empty keyring
    bare_ws = load(write_workspace(tmp_path / "ws", release_members()))
    index = shared_devpi.new_index("no-credentials")

    # when / then
    with pytest.raises(CredentialsMissing) as refused:
        publishing.publish(bare_ws, index, release_built)
    assert refused.value.message == f"no upload credentials for {index.url}"
    assert "MONOREL_INDEX_USER and MONOREL_INDEX_PASSWORD" in refused.value.fix
    assert index_files(index, "people-app") == {}


def test_a_partial_publish_is_resumed_by_running_it_again(
    shared_devpi: SharedDevpi, release_built: list[BuiltPackage]
) -> None:
    # given a run that got as far as people-app before it died
    index = shared_devpi.new_index("resume")
    publishing.publish(shared_devpi.ws, index, release_built[:1])

    # when the whole publish runs again
    plans = publishing.publish(shared_devpi.ws, index, release_built)

    # then people-app is skipped and ledger-app uploaded
    assert [(p.name, [f.action for f in p.files]) for p in plans] == [
        ("people-app", ["skip", "skip"]),
        ("ledger-app", ["upload", "upload"]),
    ]
    assert index_files(index, "ledger-app") == _files(release_built)["ledger-app"]


def test_publish_cli_takes_credentials_from_the_environment_and_never_prints_them(
    shared_devpi: SharedDevpi,
    release_ws: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    index = shared_devpi.new_index("cli")
    password = shared_devpi.auth.password
    monkeypatch.setenv("MONOREL_INDEX_USER", "acme")

    # given a wrong password: uv publish fails, and neither password shows up
    monkeypatch.setenv("MONOREL_INDEX_PASSWORD", "wrong-" + password)
    assert main(["--root", str(release_ws), "publish", "people-app", "--index", index.url]) == 3
    failed = capsys.readouterr()
    assert "error[MR010]" in failed.err
    assert password not in failed.out + failed.err
    assert index_files(index, "people-app") == {}

    # when the right one is set
    monkeypatch.setenv("MONOREL_INDEX_PASSWORD", password)
    code = main(["--root", str(release_ws), "publish", "--index", index.url])

    # then both packages are uploaded and the password was never printed
    out = capsys.readouterr()
    assert code == 0
    assert out.out.splitlines()[-5:] == [
        f"publishing to {index.url}",
        "  people-app 1.0.0: people_app-1.0.0-py3-none-any.whl uploaded",
        "  people-app 1.0.0: people_app-1.0.0.tar.gz uploaded",
        "  ledger-app 1.0.0: ledger_app-1.0.0-py3-none-any.whl uploaded",
        "  ledger-app 1.0.0: ledger_app-1.0.0.tar.gz uploaded",
    ]
    assert password not in out.out + out.err
