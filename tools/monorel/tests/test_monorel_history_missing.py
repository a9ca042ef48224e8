"""Missing history is an error (MR040, exit 2), never "nothing was released".

Real clones of a throwaway workspace: ``git clone --depth N file://...`` (the default
checkout of many CI systems is depth 1), ``--no-tags``, and a repository whose files were
imported without their history. Every command that reads release points is run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from monorel.cli import main
from monorel_workspaces import MemberSpec, commit_all, sample_members, set_version, write_workspace
from monorel_workspaces import git as run_git

LEDGER_CHANGELOG = "packages/ledger-app/CHANGELOG.md"


def _section(root: Path, changelog: str, version: str) -> None:
    path = root / changelog
    path.write_text(
        path.read_text(encoding="utf-8") + f"\n## {version} (2026-01-01)\n\n- Released.\n",
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """people-app 1.0.0 and ledger-app 1.0.0 released in the first commit, a docs commit,
    ledger-app 1.1.0 (tagged), then unreleased ledger work: a public function and its
    feature fragment."""
    members = sample_members()
    root = write_workspace(tmp_path_factory.mktemp("history") / "origin", members, commit=None)
    for member in members[:2]:
        _section(root, f"{member.path}/CHANGELOG.md", "1.0.0")
    run_git(root, "init", "-q", "-b", "main")
    commit_all(root, "people-app 1.0.0, ledger-app 1.0.0")
    (root / "README.md").write_text("A workspace.\n")
    commit_all(root, "docs")
    ledger: MemberSpec = members[1]
    set_version(root, ledger, "1.1.0")
    _section(root, LEDGER_CHANGELOG, "1.1.0")
    run_git(root, "tag", "ledger-app-v1.1.0", commit_all(root, "ledger-app 1.1.0"))
    (root / ledger.package_path / "api.py").write_text(
        '"""Public API of ledger_app."""\n\n'
        "from ledger_app.services import entry_label\n\n"
        '__all__ = ["entry_label", "total"]\n\n\n'
        "def total(amounts: list[int]) -> int:\n"
        "    return sum(amounts)\n"
    )
    (root / ledger.path / "changelog.d" / "+total.feature.md").write_text("A total helper.\n")
    commit_all(root, "ledger-app: total")
    return root


def _clone(origin: Path, target: Path, *options: str) -> Path:
    run_git(origin, "clone", "-q", *options, f"file://{origin}", str(target))
    return target


@pytest.fixture(scope="module")
def shallow(origin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _clone(origin, tmp_path_factory.mktemp("shallow") / "ws", "--depth", "1")


def _run(root: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--root", str(root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "argv",
    [
        ["check"],
        ["plan"],
        ["semver", "ledger-app"],
        ["version"],
        ["rehearse", "ledger-app", "--all-previous"],
        ["rehearse", "ledger-app"],
        ["build"],
        ["publish", "ledger-app", "--index", "http://127.0.0.1:9/acme/dev/"],
    ],
    ids=" ".join,
)
def test_every_command_that_reads_history_refuses_a_depth_1_clone(
    shallow: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    # given a depth-1 clone: its one commit already carries every version
    before = run_git(shallow, "status", "--porcelain", "--untracked-files=all")
    # when
    code, out, err = _run(shallow, capsys, *argv)
    # then it is a usage error that says history is missing and how to fetch it
    assert code == 2, out + err
    first, fix = err.strip().splitlines()[:2]
    assert first.startswith("error[MR040]: ")
    assert first.endswith(": history is missing")
    assert "this clone is shallow, cut at commit" in first
    assert fix == (
        "  fix: fetch the whole history: git fetch --unshallow --tags "
        "(GitHub Actions: actions/checkout with fetch-depth: 0)"
    )
    # and nothing was written
    assert run_git(shallow, "status", "--porcelain", "--untracked-files=all") == before
    assert not (shallow / ".monorel").exists()


def test_a_clone_deep_enough_to_see_the_last_bump_keeps_working_for_that_package(
    origin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a depth-3 clone without tags: ledger-app's bump to 1.1.0 is visible (the cut is
    # the docs commit before it), and people-app's only version lies at the cut
    clone = _clone(origin, tmp_path / "ws", "--depth", "3", "--no-tags")
    # when ledger-app's verdict is asked for in the clone and in the origin
    code, out, _ = _run(clone, capsys, "semver", "ledger-app", "--format", "json")
    _, expected, _ = _run(origin, capsys, "semver", "ledger-app", "--format", "json")
    # then it works from the bump commit, as the origin does from its tag
    assert code == 0
    verdict, full = json.loads(out), json.loads(expected)
    assert (verdict["baseline_commit"], verdict["bump"]) == (full["baseline_commit"], "minor")
    assert verdict["baseline_version"] == "1.1.0"
    # but the list of every earlier release needs what lies behind the cut
    code, _, err = _run(clone, capsys, "rehearse", "ledger-app", "--list-versions")
    assert code == 2
    assert err.startswith("error[MR040]: ledger-app: this clone is shallow")
    # and so does people-app's release point
    code, _, err = _run(clone, capsys, "semver", "people-app")
    assert code == 2
    assert "people-app is at 1.0.0" in err


def test_a_complete_clone_without_tags_derives_the_release_points_from_history(
    origin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a full clone that did not fetch the tags
    clone = _clone(origin, tmp_path / "ws", "--no-tags")
    assert run_git(clone, "tag") == ""
    # when
    code, out, err = _run(clone, capsys, "plan", "--format", "json")
    _, expected, _ = _run(origin, capsys, "plan", "--format", "json")
    # then the plan is the origin's, release points found in history instead of tags
    assert code == 0, err
    points = {
        p["name"]: (p["release_point"]["version"], p["release_point"]["commit"], p["next_version"])
        for p in json.loads(out)["packages"]
        if p["release_point"]
    }
    origin_points = {
        p["name"]: (p["release_point"]["version"], p["release_point"]["commit"], p["next_version"])
        for p in json.loads(expected)["packages"]
        if p["release_point"]
    }
    assert points == origin_points
    assert points["ledger-app"][::2] == ("1.1.0", "1.2.0")
    code, out, _ = _run(clone, capsys, "rehearse", "ledger-app", "--list-versions")
    assert (code, out.split()) == (0, ["1.0.0", "1.1.0"])


def test_a_changelog_naming_releases_history_does_not_show_is_missing_history(
    origin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the origin's files imported into a new repository, without their history
    imported = tmp_path / "imported"
    shutil.copytree(origin, imported, ignore=shutil.ignore_patterns(".git"))
    run_git(imported, "init", "-q", "-b", "main")
    commit_all(imported, "import")
    # when the earlier releases are asked for
    code, _, err = _run(imported, capsys, "rehearse", "ledger-app", "--list-versions")
    # then the changelog's 1.0.0 section is a release nothing else shows
    assert code == 2
    assert err.splitlines()[0] == (
        "error[MR040]: ledger-app: packages/ledger-app/CHANGELOG.md has sections for 1.0.0, "
        "which neither a release tag nor the history of packages/ledger-app/pyproject.toml "
        "shows: history is missing"
    )
    assert "git tag ledger-app-v1.0.0 <commit>" in err
    # and a tag for that release is what makes it known
    run_git(imported, "tag", "ledger-app-v1.0.0")
    code, out, _ = _run(imported, capsys, "rehearse", "ledger-app", "--list-versions")
    assert (code, out.split()) == (0, ["1.0.0"])
