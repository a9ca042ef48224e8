"""Pre-releases and dev builds reach dev indexes only; a stable index only gets what the gate
promotes. Real devpi (the session's), real git, real builds; no proofs run here.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from monorel import promoting, publishing
from monorel.cli import main
from monorel.errors import PrereleaseRefused
from monorel_gate_support import gate_indexes, write_gate_workspace
from monorel_release_support import SharedDevpi, index_files, tree_state
from monorel_workspaces import commit_all, git, write


@pytest.fixture(scope="module")
def rc_ws(tmp_path_factory: pytest.TempPathFactory, gate_state_dir: Path) -> Path:
    """The gate workspace with people-app at 1.2.0rc1 (committed and tagged)."""
    root = write_gate_workspace(tmp_path_factory.mktemp("rc") / "ws", gate_state_dir)
    pyproject = root / "packages" / "people-app" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "1.1.0"', 'version = "1.2.0rc1"'))
    shop = root / "apps" / "shop" / "pyproject.toml"
    shop.write_text(shop.read_text().replace("people-app==1.1.0", "people-app==1.2.0rc1"))
    commit_all(root, "people-app 1.2.0rc1")
    git(root, "tag", "-a", "people-app-v1.2.0rc1", "-m", "people-app 1.2.0rc1")
    return root


@pytest.fixture(scope="module")
def gate_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prerelease-state")


def test_a_pre_release_is_refused_by_the_stable_index_and_the_gate_and_goes_to_dev(
    shared_devpi: SharedDevpi,
    rc_ws: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    given = gate_indexes(shared_devpi, "pre")
    monkeypatch.setenv("MONOREL_INDEX_USER", given.user)
    monkeypatch.setenv("MONOREL_INDEX_PASSWORD", given.password)

    # when published to the stable index
    code = main(["--root", str(rc_ws), "publish", "people-app", "--index", given.stable.url])

    # then refused, naming the pre-release, before anything was built or sent
    assert code == 1
    assert capsys.readouterr().err == (
        "error[MR051]: people-app 1.2.0rc1: a pre-release or dev version goes to a dev index "
        f"only, and {given.stable.url} is a stable index (non-volatile)\n"
        "  fix: publish it to the volatile <org>/dev index (--index dev)\n"
    )

    # when the gate is asked to release it
    code = main(
        [
            "--root",
            str(rc_ws),
            "gate",
            "people-app",
            "--dev",
            given.dev.url,
            "--stable",
            given.stable.url,
        ]
    )

    # then refused the same way, and neither index got anything
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "error[MR051]: people-app 1.2.0rc1: a pre-release or dev version never reaches the "
        f"stable index {given.stable.url}\n"
    )
    assert index_files(given.dev, "people-app") == index_files(given.stable, "people-app") == {}

    # when a final version is published straight to the stable index / then refused too
    assert main(["--root", str(rc_ws), "publish", "ledger-app", "--index", given.stable.url]) == 1
    assert capsys.readouterr().err.startswith(
        f"error[MR055]: publishing to {given.stable.url}: it is a stable index (non-volatile); "
        "a stable index receives only proven files, promoted by `monorel gate`\n"
    )

    # when the pre-release is published to the dev index / then it is there
    assert main(["--root", str(rc_ws), "publish", "people-app", "--index", given.dev.url]) == 0
    capsys.readouterr()
    assert sorted(index_files(given.dev, "people-app")) == [
        "people_app-1.2.0rc1-py3-none-any.whl",
        "people_app-1.2.0rc1.tar.gz",
    ]

    # and promotion refuses it even when asked directly
    proven = promoting.Proven("people-app", "1.2.0rc1", index_files(given.dev, "people-app"))
    with pytest.raises(PrereleaseRefused):
        promoting.promote(given.dev, given.stable, [proven], credentials=given.credentials)
    assert index_files(given.stable, "people-app") == {}


def test_a_dev_build_gets_a_dev_version_without_touching_the_tree_and_goes_to_dev_only(
    shared_devpi: SharedDevpi,
    gate_state_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given people-app 1.1.0 released, then one commit with a feature on a branch
    root = write_gate_workspace(tmp_path / "ws", gate_state_dir)
    write(root / "packages/people-app/changelog.d/+nick.feature.md", "People have nicknames.\n")
    commit_all(root, "people-app: a feature")
    before = tree_state(root)
    given = gate_indexes(shared_devpi, "devbuild")
    monkeypatch.setenv("MONOREL_INDEX_USER", given.user)
    monkeypatch.setenv("MONOREL_INDEX_PASSWORD", given.password)

    # when built as a branch build
    code = main(["--root", str(root), "build", "people-app", "--dev"])

    # then its version is the planned next one's dev release, counted from the release tag,
    # in the wheel too; and no file of the tree changed
    captured = capsys.readouterr()
    out = captured.out
    assert code == 0, captured.err
    assert out.splitlines()[0] == "people-app 1.2.0.dev1: verified"
    wheel = gate_state_dir / "dist-dev/people-app/people_app-1.2.0.dev1-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read("people_app-1.2.0.dev1.dist-info/METADATA").decode()
    assert "\nVersion: 1.2.0.dev1\n" in metadata
    assert tree_state(root) == before

    # when published to the stable index / then refused before anything is built
    code = main(
        ["--root", str(root), "publish", "people-app", "--dev", "--index", given.stable.url]
    )
    assert code == 1
    assert capsys.readouterr().err.startswith(
        "error[MR051]: people-app 1.2.0.dev1: a pre-release or dev version goes to a dev index "
        f"only, and {given.stable.url} is a stable index (non-volatile)\n"
    )

    # when published to the dev index with the CI's run number
    code = main(
        [
            "--root",
            str(root),
            "publish",
            "people-app",
            "--dev-number",
            "42",
            "--index",
            given.dev.url,
        ]
    )

    # then it is there, and only there
    assert code == 0
    assert capsys.readouterr().out.splitlines()[0] == "people-app 1.2.0.dev42: dev build, verified"
    assert sorted(index_files(given.dev, "people-app")) == [
        "people_app-1.2.0.dev42-py3-none-any.whl",
        "people_app-1.2.0.dev42.tar.gz",
    ]
    assert index_files(given.stable, "people-app") == {}
    assert tree_state(root) == before
    assert publishing.not_final("1.2.0.dev42") and not publishing.not_final("1.2.0")
