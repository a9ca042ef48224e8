"""`monorel version`: the plan applied atomically on throwaway git workspaces (real git, uv,
towncrier), or refused / rolled back with nothing changed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from monorel import planning
from monorel.cli import main
from monorel_release_support import git_out, load, tree_state
from monorel_workspaces import commit_all, write

pytestmark = pytest.mark.usefixtures("git_identity")


def _project(root: Path, member_dir: str) -> dict:
    return tomllib.loads((root / member_dir / "pyproject.toml").read_text())["project"]


def test_version_yes_releases_versions_pins_lock_changelogs_commit_and_tags(
    breaking_ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = breaking_ws
    start = git_out(root, "rev-parse", "HEAD").strip()

    # when
    code = main(["--root", str(root), "version", "--yes"])

    # then versions, the ledger range and the host pins moved
    assert code == 0, capsys.readouterr().err
    assert _project(root, "packages/people-app")["version"] == "2.0.0"
    ledger = _project(root, "packages/ledger-app")
    assert (ledger["version"], ledger["dependencies"]) == ("1.0.1", ["people-app>=2.0,<3"])
    assert _project(root, "apps/shop")["dependencies"] == ["people-app==2.0.0", "ledger-app==1.0.1"]
    # the lock knows the new versions
    lock = tomllib.loads((root / "uv.lock").read_text())
    locked = {p["name"]: p["version"] for p in lock["package"]}
    assert (locked["people-app"], locked["ledger-app"]) == ("2.0.0", "1.0.1")
    # towncrier built both changelogs and consumed the fragments
    people_log = (root / "packages/people-app/CHANGELOG.md").read_text()
    ledger_log = (root / "packages/ledger-app/CHANGELOG.md").read_text()
    assert "# people-app 2.0.0 (" in people_log and "- Rename display_name.\n" in people_log
    assert (
        "# ledger-app 1.0.1 (" in ledger_log and "- Requires `people-app>=2.0,<3`.\n" in ledger_log
    )
    assert sorted(p.name for p in (root / "packages/people-app/changelog.d").iterdir()) == [
        ".gitkeep"
    ]
    # one commit, clean tree, one annotated tag per released package on it
    assert git_out(root, "rev-list", f"{start}..HEAD").split() == [
        git_out(root, "rev-parse", "HEAD").strip()
    ]
    assert git_out(root, "log", "-1", "--format=%s") == (
        "Release people-app 2.0.0, ledger-app 1.0.1\n"
    )
    assert git_out(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert git_out(root, "tag", "--points-at", "HEAD").split() == [
        "ledger-app-v1.0.1",
        "people-app-v2.0.0",
    ]
    assert git_out(root, "cat-file", "-t", "people-app-v2.0.0").strip() == "tag"
    # and the next plan starts from the new tags: nothing left to release
    assert planning.compute(load(root)).releases == ()


def test_version_without_yes_shows_the_changes_and_changes_nothing(
    breaking_ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree_state(breaking_ws)

    # when
    code = main(["--root", str(breaking_ws), "version"])

    # then
    out = capsys.readouterr().out
    assert code == 0
    assert "  packages/ledger-app/pyproject.toml: people-app>=1.0,<2 -> people-app>=2.0,<3\n" in out
    assert "  apps/shop/pyproject.toml: people-app==1.0.0 -> people-app==2.0.0\n" in out
    assert "would tag:    people-app-v2.0.0, ledger-app-v1.0.1\n" in out
    assert tree_state(breaking_ws) == before


def test_version_refuses_a_dirty_tree(
    breaking_ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given an uncommitted file
    write(breaking_ws / "packages/people-app/notes.txt", "wip\n")
    before = tree_state(breaking_ws)

    # when
    code = main(["--root", str(breaking_ws), "version", "--yes"])

    # then
    assert code == 1
    assert (
        "error[MR003]: the working tree has uncommitted changes: packages/people-app/notes.txt"
        in (capsys.readouterr().err)
    )
    assert tree_state(breaking_ws) == before


def test_version_refuses_an_invalid_fragment_and_changes_nothing(
    breaking_ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a committed fragment with an unknown type next to a valid one
    write(breaking_ws / "packages/ledger-app/changelog.d/fix-it.bugfx.md", "Typo.\n")
    commit_all(breaking_ws, "bad fragment")
    before = tree_state(breaking_ws)

    # when
    code = main(["--root", str(breaking_ws), "version", "--yes"])

    # then
    err = capsys.readouterr().err
    assert code == 1
    assert "error[MR004]" in err and "fix-it.bugfx.md: unknown fragment type 'bugfx'" in err
    assert tree_state(breaking_ws) == before


def test_version_refuses_when_a_release_tag_exists(
    breaking_ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the tag the release would create already exists
    git_out(breaking_ws, "tag", "people-app-v2.0.0")
    before = tree_state(breaking_ws)

    # when
    code = main(["--root", str(breaking_ws), "version", "--yes"])

    # then
    assert code == 1
    assert "error[MR025]: release tags already exist: people-app-v2.0.0" in capsys.readouterr().err
    assert tree_state(breaking_ws) == before


def test_version_rolls_everything_back_when_a_late_step_fails(
    breaking_ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a pre-commit hook that rejects the release commit, after versions, pins,
    # uv.lock and both changelogs were already written
    hook = breaking_ws / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'rejected by hook' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = tree_state(breaking_ws)

    # when
    code = main(["--root", str(breaking_ws), "version", "--yes"])

    # then the tool error is reported and the repository is exactly as it was
    err = capsys.readouterr().err
    assert code == 3
    assert "rejected by hook" in err
    assert "rolled back: no commit, no tag, every file as it was" in err
    assert tree_state(breaking_ws) == before


def test_a_refused_dry_run_exits_1_and_says_nothing_would_happen(
    breaking_ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the tag the release would create already exists
    git_out(breaking_ws, "tag", "people-app-v2.0.0")
    before = tree_state(breaking_ws)

    # when
    code = main(["--root", str(breaking_ws), "version"])

    # then the refusal, and no "would ..." line after it
    out, err = capsys.readouterr()
    assert code == 1
    assert "error[MR025]: release tags already exist: people-app-v2.0.0" in err
    assert "would tag" not in out and "would change" not in out
    assert tree_state(breaking_ws) == before
