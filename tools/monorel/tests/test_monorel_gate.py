"""`monorel gate`: dev -> proof -> stable, on throwaway git workspaces and the session's real
devpi-server (see monorel_gate_support.py for the workspace).

Real everything: uv build, uv publish to the dev index, the suites in a uv venv of the
wheels downloaded from dev, `monorel rehearse` in a child process, the stranger install
with real pip, devpi's push. Each test has its own devpi user with a dev (volatile) and a
stable (non-volatile) index; its password is given only inside the --index URLs.
"""

from __future__ import annotations

import hashlib
import json
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from monorel import building, promoting, publishing, workspace
from monorel.adapters import devpi
from monorel.building import BuiltPackage
from monorel.cli import main
from monorel.errors import PromotionRefused
from monorel.promoting import Proven
from monorel_gate_support import GateIndexes, gate_indexes, write_gate_workspace
from monorel_release_support import SharedDevpi, index_files, release_members, tree_state
from monorel_workspaces import commit_all, write_workspace

_RELEASES = {"people-app": "1.1.0", "ledger-app": "1.0.0"}


@pytest.fixture(scope="session")
def gate_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One state dir for every gate workspace: wheelhouse, venvs and caches made once."""
    return tmp_path_factory.mktemp("gate-state")


def _gate(root: Path, indexes: GateIndexes, *args: str) -> list[str]:
    return [
        "--root",
        str(root),
        "gate",
        *args,
        "--dev",
        indexes.url(indexes.dev),
        "--stable",
        indexes.url(indexes.stable),
    ]


def _bytes(index: publishing.Index, name: str) -> dict[str, bytes]:
    """filename -> the bytes the index serves for ``name``."""
    return {
        f.filename: urllib.request.urlopen(f.url, timeout=30).read()  # noqa: S310
        for f in devpi.project_files(index.simple_url, name)
    }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_the_gate_proves_on_dev_and_promotes_the_very_same_bytes_to_stable(
    shared_devpi: SharedDevpi, gate_state: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # given people-app 1.1.0 (a new migration) and ledger-app 1.0.0, on neither index yet
    root = write_gate_workspace(tmp_path / "ws", gate_state)
    indexes = gate_indexes(shared_devpi, "gate-ok")
    junit = tmp_path / "gate.xml"
    before = tree_state(root)

    # when the gate runs, with the credentials only in the --index URLs
    code = main([*_gate(root, indexes), "--junit", str(junit)])
    out = capsys.readouterr()

    # then every proof ran and passed, and both packages were promoted
    assert code == 0, out.err + out.out
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert sorted(cases) == [
        "rehearse people-app",
        "stranger install (examples/consumer, pip)",
        "suite ledger-app",
        "suite people-app",
        "suite shop (from source)",
    ]
    assert [name for name, case in cases.items() if case.find("failure") is not None] == []
    assert "legs: 1 ok, 0 failed" in cases["rehearse people-app"].findtext("system-out", "")
    # the stable index serves exactly the bytes that were built, published to dev and proven
    for name in _RELEASES:
        on_dev, on_stable = _bytes(indexes.dev, name), _bytes(indexes.stable, name)
        built = {p.name: p.read_bytes() for p in (gate_state / "dist" / name).glob("*-*")}
        assert len(on_stable) == 2 and on_stable == on_dev == built
        assert index_files(indexes.stable, name) == {f: _sha256(b) for f, b in built.items()}
    assert f"  ok publish people-app, ledger-app to {indexes.dev.url} (" in out.out
    promoted = (
        f"  ok promote people-app 1.1.0, ledger-app 1.0.0 to {indexes.stable.url} (devpi push)"
    )
    assert promoted in out.out
    # and the password in the URLs was never written anywhere, nor the tree changed
    logs = junit.read_text() + shared_devpi.server.log_file.read_text(errors="replace")
    assert indexes.password not in out.out + out.err + logs
    assert indexes.user + ":***@" not in out.out + out.err  # the clean URL was printed
    assert tree_state(root) == before

    # when the gate runs again
    again = main(_gate(root, indexes))
    second = capsys.readouterr()

    # then everything is on stable already: nothing is published, proven or pushed
    assert again == 0, second.err + second.out
    assert "nothing new to promote: every released version is on the stable index" in second.out
    assert "prove:" not in second.out
    assert {n: index_files(indexes.stable, n) for n in _RELEASES} == {
        n: index_files(indexes.dev, n) for n in _RELEASES
    }


_FAILING_LEDGER_TEST = """
from ledger_app.api import entry_label


def test_entry_label_is_upper_case():
    assert entry_label("ada", 3) == "ADA: 3"
"""

_FAILING_SHOP_TEST = """
def test_the_shop_is_open():
    assert "closed" == "open"
"""


def _put_on_stable(built: BuiltPackage, indexes: GateIndexes, shared: SharedDevpi) -> None:
    """``built`` on the stable index by devpi's push (from a scratch index: monorel itself
    never uploads to a stable index)."""
    scratch = f"{indexes.user}/scratch"
    admin = devpi.BasicAuth("root", json.loads(shared.server.credentials_file.read_text())["root"])
    devpi.ensure_index(shared.url, auth=admin, index=scratch, volatile=True)
    publishing.publish(
        shared.ws,
        publishing.Index(f"{shared.url}/{scratch}/"),
        [built],
        credentials=indexes.credentials,
    )
    devpi.push(
        f"{shared.url}/{scratch}/",
        name=built.name,
        version=built.version,
        target=indexes.stable.path_name,
        auth=indexes.credentials.auth,
    )


@pytest.mark.parametrize(
    ("failing", "tests"),
    [
        ("suite ledger-app", {"ledger_test": _FAILING_LEDGER_TEST}),
        ("suite shop (from source)", {"shop_test": _FAILING_SHOP_TEST}),
    ],
    ids=["its-own-suite", "a-dependents-suite"],
)
def test_a_failing_suite_leaves_the_release_on_dev_and_promotes_nothing(
    shared_devpi: SharedDevpi,
    gate_state: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    failing: str,
    tests: dict[str, str],
) -> None:
    # given ledger-app 1.0.0 to release, where ledger's own suite / the host's suite fails
    root = write_gate_workspace(tmp_path / "ws", gate_state, **tests)
    indexes = gate_indexes(shared_devpi, "gate-" + failing.split()[1])
    # and people-app 1.1.0, which it is proven with, on dev only / already on stable
    on_stable = failing.startswith("suite shop")
    if on_stable:
        ws = workspace.load(root)
        built, _ = building.build_release(ws, ws.member("people-app"))
        _put_on_stable(built, indexes, shared_devpi)
    released_people = index_files(indexes.stable, "people-app")

    # when the gate runs for ledger-app
    code = main(_gate(root, indexes, "ledger-app"))
    out = capsys.readouterr()

    # then it exits 1 and names the failed proof; the other proofs passed
    assert code == 1, out.err + out.out
    first = out.err.splitlines()[0]
    assert first == (
        f"error[MR050]: the gate's proof failed: {failing}; ledger-app 1.0.0 stay on "
        f"{indexes.dev.url}, nothing was promoted to {indexes.stable.url}"
    )
    assert f"  {failing}: 1 failed" in out.err
    assert f"{failing} failed; its output ends with:" in out.out
    # and ledger-app is on dev only, with people-app as it was built / as stable has it
    assert len(index_files(indexes.dev, "ledger-app")) == 2
    assert index_files(indexes.stable, "ledger-app") == {}
    assert len(index_files(indexes.dev, "people-app")) == 2
    assert index_files(indexes.stable, "people-app") == released_people
    copied = "  ok copy people-app 1.1.0 from stable to dev (devpi push) ("
    if on_stable:
        assert index_files(indexes.dev, "people-app") == released_people
        assert copied in out.out
    else:
        assert released_people == {} and copied not in out.out
        assert "  ok build + verify people-app 1.1.0 (" in out.out
    assert indexes.password not in out.out + out.err


def test_a_package_changed_since_its_release_is_proven_with_the_suite_it_was_released_with(
    shared_devpi: SharedDevpi, gate_state: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # given people-app 1.1.0 tagged, then unreleased work on top: a new function and its test
    root = write_gate_workspace(tmp_path / "ws", gate_state)
    people = root / "packages" / "people-app"
    api = people / "src" / "people_app" / "api.py"
    api.write_text(api.read_text() + "\n\ndef initials(name: str) -> str:\n    return name[:1]\n")
    (people / "tests" / "test_initials.py").write_text(
        "from people_app.api import initials\n\n\ndef test_initials():\n"
        '    assert initials("ada") == "a"\n'
    )
    (people / "changelog.d" / "+initials.feature.md").write_text("Initials.\n")
    commit_all(root, "people-app: initials, not released yet")
    indexes = gate_indexes(shared_devpi, "gate-unreleased")

    # when the gate runs for people-app (its 1.1.0 is built from the release tag)
    code = main(_gate(root, indexes, "people-app"))
    out = capsys.readouterr()

    # then 1.1.0 is proven with the suite of its release (the new test is not run against a
    # wheel without initials), and promoted
    assert code == 0, out.err + out.out
    assert "  ok proof: suite people-app (in parallel) (" in out.out
    assert len(index_files(indexes.stable, "people-app")) == 2


def test_promotion_skips_what_stable_has_and_refuses_other_bytes_under_a_version(
    shared_devpi: SharedDevpi, release_built: list[BuiltPackage], tmp_path: Path
) -> None:
    # given people-app 1.0.0 proven on dev
    indexes = gate_indexes(shared_devpi, "promote")
    people = release_built[0]
    publishing.publish(shared_devpi.ws, indexes.dev, [people], credentials=indexes.credentials)
    proven = Proven("people-app", "1.0.0", index_files(indexes.dev, "people-app"))

    # when promoted twice / then pushed once, and the second time found there
    first = promoting.promote(
        indexes.dev, indexes.stable, [proven], credentials=indexes.credentials
    )
    again = promoting.promote(
        indexes.dev, indexes.stable, [proven], credentials=indexes.credentials
    )
    assert [(p.action, p.files) for p in first + again] == [
        ("pushed", proven.files),
        ("already there", proven.files),
    ]

    # given a stable index that holds other bytes under people-app 1.0.0
    members = release_members()
    members[0].modules["extra.py"] = "CHANGED = True\n"
    other_ws = workspace.load(write_workspace(tmp_path / "other", members))
    changed = building.build(other_ws, other_ws.member("people-app"))
    other = gate_indexes(shared_devpi, "promote-other")
    _put_on_stable(changed, other, shared_devpi)

    # when the proven files are promoted to it / then refused, naming both, nothing pushed
    with pytest.raises(PromotionRefused) as refused:
        promoting.promote(indexes.dev, other.stable, [proven], credentials=other.credentials)
    assert refused.value.message.startswith(
        f"people-app 1.0.0: {other.stable.url} already holds {changed.wheel.filename} (sha256 "
        f"{changed.wheel.sha256})"
    )
    assert index_files(other.stable, "people-app") == {
        a.filename: a.sha256 for a in changed.artifacts
    }
