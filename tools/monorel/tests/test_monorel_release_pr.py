"""The release pull request, with real git: ``version --yes --branch NAME --no-tag`` commits
exactly what ``version --yes`` commits, to a branch, leaving the checkout alone; once it
is merged, ``monorel tag`` tags the release at the merge (idempotent); the body is the
plan as Markdown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from monorel.cli import main
from monorel_check_support import copy_workspace
from monorel_release_support import git_out, tree_state
from monorel_workspaces import commit_all, write

BRANCH = "monorel/release"


pytestmark = pytest.mark.usefixtures("git_identity")


def _run(root: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["--root", str(root), *argv])
    out, err = capsys.readouterr()
    return code, out + err


def test_the_release_branch_holds_exactly_what_version_commits(
    breaking_ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the same repository twice
    local = copy_workspace(breaking_ws, tmp_path / "local")
    base = git_out(breaking_ws, "rev-parse", "HEAD").strip()
    before = tree_state(breaking_ws)

    # when one commits the release to a branch, untagged, and the other releases locally
    code, output = _run(breaking_ws, capsys, "version", "--yes", "--branch", BRANCH, "--no-tag")
    assert code == 0, output
    assert _run(local, capsys, "version", "--yes")[0] == 0

    # then the branch is one commit on main whose diff is the local release's, byte for byte
    assert git_out(breaking_ws, "rev-list", f"{base}..{BRANCH}").split() == [
        git_out(breaking_ws, "rev-parse", BRANCH).strip()
    ]
    assert git_out(breaking_ws, "diff", "--binary", base, BRANCH) == git_out(
        local, "diff", "--binary", base, "HEAD"
    )
    assert git_out(breaking_ws, "rev-parse", f"{BRANCH}^{{tree}}") == git_out(
        local, "rev-parse", "HEAD^{tree}"
    )
    # and the checkout, main and the tags are as they were
    assert tree_state(breaking_ws) == before
    assert f"committed {git_out(breaking_ws, 'rev-parse', BRANCH)[:12]} on {BRANCH}: " in output
    assert "no tags made: `monorel tag` makes them once the commit is on its branch" in output

    # and the release pull request passes the pull-request check of ci.yml (its fragments
    # were consumed by the release it is)
    git_out(breaking_ws, "checkout", "-q", BRANCH)
    assert _run(breaking_ws, capsys, "check", "--rule", "fragments", "--since", "main") == (
        0,
        "monorel check: clean (3 members; fragments)\n",
    )
    git_out(breaking_ws, "checkout", "-q", "main")

    # when main moves on and the workflow runs again, the branch is made again on top
    write(breaking_ws / "packages/ledger-app/changelog.d/+doc.doc.md", "Docs.\n")
    new_base = commit_all(breaking_ws, "ledger-app: docs")
    assert _run(breaking_ws, capsys, "version", "--yes", "--branch", BRANCH, "--no-tag")[0] == 0
    assert git_out(breaking_ws, "rev-parse", f"{BRANCH}^").strip() == new_base


@pytest.mark.parametrize("merge", ["merge commit", "squash"])
def test_monorel_tag_tags_the_merged_release_once(
    merge: str, breaking_ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the release pull request merged into main, as GitHub would
    assert _run(breaking_ws, capsys, "version", "--yes", "--branch", BRANCH, "--no-tag")[0] == 0
    if merge == "squash":
        git_out(breaking_ws, "merge", "-q", "--squash", BRANCH)
        git_out(breaking_ws, "commit", "-q", "-m", "Release (#12)")
    else:
        git_out(breaking_ws, "merge", "-q", "--no-ff", "-m", "Merge pull request #12", BRANCH)
    head = git_out(breaking_ws, "rev-parse", "HEAD").strip()

    # when the pipeline tags it, twice
    code, output = _run(breaking_ws, capsys, "tag", "--format", "json")
    again = _run(breaking_ws, capsys, "tag")

    # then both release tags are made at the merge, annotated; the rerun makes nothing
    assert code == 0, output
    assert json.loads(output) == {
        "commit": head,
        "tags": ["people-app-v2.0.0", "ledger-app-v1.0.1"],
        "created": ["people-app-v2.0.0", "ledger-app-v1.0.1"],
    }
    assert git_out(breaking_ws, "tag", "--points-at", "HEAD").split() == [
        "ledger-app-v1.0.1",
        "people-app-v2.0.0",
    ]
    assert git_out(breaking_ws, "cat-file", "-t", "people-app-v2.0.0").strip() == "tag"
    assert again == (
        0,
        f"HEAD ({head[:12]}) releases people-app 2.0.0, ledger-app 1.0.1: "
        "every tag is there already\n",
    )
    # and a commit that releases nothing has nothing to tag
    write(breaking_ws / "README.md", "docs\n")
    commit_all(breaking_ws, "docs")
    assert _run(breaking_ws, capsys, "tag", "--format", "json")[1].count('"tags": []') == 1


def test_the_release_pull_request_body_is_the_plan_as_markdown(
    breaking_ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when
    code, body = _run(breaking_ws, capsys, "plan", "--format", "markdown")

    # then
    assert code == 0
    assert body.startswith(
        "## Release plan\n\n"
        "| package | version | bump | tag |\n"
        "|---|---|---|---|\n"
        "| people-app | 1.0.0 → **2.0.0** | major (fragments) | `people-app-v2.0.0` |\n"
        "| ledger-app | 1.0.0 → **1.0.1** | patch (dependency) | `ledger-app-v1.0.1` |\n"
        "\n### people-app 2.0.0\n\n"
        "- fragment `breaking`: `packages/people-app/changelog.d/+rename.breaking.md`\n"
        "- ledger-app: `people-app>=1.0,<2` → `people-app>=2.0,<3`\n"
        "- shop: `people-app==1.0.0` → `people-app==2.0.0`\n"
    )
    assert body.endswith(
        "Merging this pull request tags every released package at the merge commit "
        "(`monorel tag`) and releases it (`release.yml`).\n"
    )


def test_a_shallow_clone_cannot_tell_what_head_releases(
    breaking_ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the merged release in a clone without HEAD's parent
    assert _run(breaking_ws, capsys, "version", "--yes", "--branch", BRANCH, "--no-tag")[0] == 0
    git_out(breaking_ws, "merge", "-q", "--no-ff", "-m", "Merge pull request #12", BRANCH)
    shallow = tmp_path / "shallow"
    git_out(tmp_path, "clone", "-q", "--depth", "1", f"file://{breaking_ws}", str(shallow))

    # when / then exit 2 naming the cause, never "nothing to tag"
    code, output = _run(shallow, capsys, "tag")
    head = git_out(shallow, "rev-parse", "HEAD").strip()
    assert (code, output) == (
        2,
        f"error[MR065]: what {head[:12]} releases cannot be told: its parent is not in this "
        "clone (a shallow clone)\n"
        "  fix: fetch its parent too (git fetch --deepen=1, or actions/checkout with "
        "fetch-depth: 0)\n",
    )


def test_monorel_tag_refuses_a_tag_of_the_release_on_another_commit(
    breaking_ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the release committed in place without tags, and one of its tag names taken
    # by another commit
    assert _run(breaking_ws, capsys, "version", "--yes", "--no-tag")[0] == 0
    other = git_out(breaking_ws, "rev-parse", "HEAD^").strip()
    git_out(breaking_ws, "tag", "ledger-app-v1.0.1", other)

    # when
    code, output = _run(breaking_ws, capsys, "tag")

    # then refused, and neither tag made: all or nothing
    assert code == 1
    assert output.startswith(
        f"error[MR025]: release tags exist on other commits: ledger-app-v1.0.1 -> {other[:12]}\n"
    )
    assert git_out(breaking_ws, "tag", "--points-at", "HEAD") == ""
