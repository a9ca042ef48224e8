"""`monorel version --yes` under faults: signals and crashes at several points leave no
release or a whole one, the rerun says which and finishes or names it, one release runs
at a time, and the repository's pre-commit hook passes the release commit.

Real git, uv and towncrier, monorel in its own process; the fault points are described
in monorel_release_faults.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from monorel.cli import main
from monorel_release_faults import (
    crash_at,
    fake_uv,
    install_hooks,
    run_version,
    start_version,
    stop_all,
)
from monorel_release_support import git_out, tree_state
from monorel_workspaces import commit_all, sample_members, write, write_workspace

ROLLED_BACK = "rolled back: no commit, no tag, every file as it was"
REPO = Path(__file__).resolve().parents[3]
PRE_COMMIT = REPO / ".pre-commit-config.yaml"
PEOPLE = "packages/people-app"


@pytest.fixture(autouse=True)
def _stop_runs() -> Iterator[None]:
    yield
    stop_all()


pytestmark = pytest.mark.usefixtures("git_identity")


@pytest.fixture(autouse=True)
def _no_fault_point(monkeypatch: pytest.MonkeyPatch) -> None:
    # in-process runs wait at no fault point
    monkeypatch.setenv("MONOREL_FAULT_AT", "")


def _workspace(tmp_path: Path) -> Path:
    """The sample workspace with a people-app bugfix to release and the fault hooks."""
    root = write_workspace(tmp_path / "ws", sample_members())
    write(root / PEOPLE / "changelog.d/+fix.bugfix.md", "A fix.\n")
    commit_all(root, "people-app: a fix")
    install_hooks(root)
    return root


def _released(root: Path, start: str, tags: list[str]) -> None:
    """One release commit on main after ``start``, with exactly ``tags`` on it, tree clean."""
    head = git_out(root, "rev-parse", "HEAD").strip()
    assert git_out(root, "rev-list", f"{start}..HEAD").split() == [head]
    assert git_out(root, "tag", "--points-at", "HEAD").split() == tags
    assert git_out(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert git_out(root, "worktree", "list").count("\n") == 1
    assert not (root / ".git/monorel/release.json").exists()


def _version(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--root", str(root), "version", *args])
    out, err = capsys.readouterr()
    return code, out + err


def test_signals_and_a_crash_before_publishing_leave_no_release(tmp_path: Path) -> None:
    # given a release waiting in the pre-commit hook (twice) and in `uv lock`
    root = _workspace(tmp_path)
    before = tree_state(root)
    start = before["head"]
    uv = fake_uv(tmp_path)
    for signum, point in (
        (signal.SIGINT, "pre-commit"),
        (signal.SIGHUP, "pre-commit"),
        (signal.SIGTERM, "uv"),
    ):
        run = start_version(
            root, tmp_path / "faults", "--yes", at=point, uv=uv if point == "uv" else None
        )
        run.wait_at(point)

        # when the signal arrives there
        run.signal(signum)
        code, output = run.finish()

        # then exit 1, rolled back: the repository is exactly as it was
        assert code == 1, output
        name = signal.Signals(signum).name
        assert f"error[MR063]: interrupted by {name} before the release was published\n" in output
        assert ROLLED_BACK in output
        assert tree_state(root) == before
        assert git_out(root, "worktree", "list").count("\n") == 1

    # when a run is killed (with all its processes) in the pre-commit hook
    crash_at(root, tmp_path / "faults", "pre-commit")

    # then nothing was released either; only the staging worktree is left registered
    assert tree_state(root) == before
    staging = git_out(root, "worktree", "list", "--porcelain").split("worktree ")[2].split()[0]
    assert Path(staging).name.startswith("monorel-release-")

    # and the next run removes the leftover and releases as if nothing had happened
    code, output = run_version(root, tmp_path / "faults", "--yes")
    assert code == 0, output
    assert f"removed the staging worktree {staging} of an interrupted release\n" in output
    assert "tagged people-app-v1.0.1\n" in output
    _released(root, str(start), ["people-app-v1.0.1"])


def test_a_signal_while_publishing_waits_until_the_release_is_whole(tmp_path: Path) -> None:
    # given a release inside its ref transaction (locks held, nothing moved yet)
    root = _workspace(tmp_path)
    start = git_out(root, "rev-parse", "HEAD").strip()
    run = start_version(root, tmp_path / "faults", "--yes", at="prepared")
    run.wait_at("prepared")

    # when SIGTERM arrives there, and the transaction goes on
    run.signal(signal.SIGTERM)
    run.go()
    code, output = run.finish()

    # then the release is whole, and the signal is reported
    assert code == 0, output
    assert "(SIGTERM arrived while the release was published: it is whole)" in output
    _released(root, start, ["people-app-v1.0.1"])


def test_a_crash_after_the_refs_moved_is_finished_by_the_rerun(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a release killed right after its ref transaction committed
    root = _workspace(tmp_path)
    start = git_out(root, "rev-parse", "HEAD").strip()
    crash_at(root, tmp_path / "faults", "committed")
    release = git_out(root, "rev-parse", "HEAD").strip()
    label = f"{release[:12]} (people-app-v1.0.1)"
    # the refs hold the whole release; the working tree still holds the old files, and
    # one of them is already new (a half-written tree)
    assert git_out(root, "tag", "--points-at", "HEAD").split() == ["people-app-v1.0.1"]
    assert git_out(root, "rev-parse", "HEAD^").strip() == start
    changelog = root / PEOPLE / "CHANGELOG.md"
    changelog.write_text(git_out(root, "show", f"HEAD:{PEOPLE}/CHANGELOG.md"))

    # when a dry run looks: it names the unfinished release, never "nothing to release"
    code, output = _version(root, capsys)
    assert code == 1
    assert output == (
        f"error[MR062]: an interrupted release {label} is not finished\n"
        "  fix: run `monorel version --yes` (or `monorel tag`) to finish it\n"
    )

    # when a file outside the release was changed meanwhile, --yes names it and waits
    readme = root / "apps/shop/src/shop/views.py"
    readme.write_text(readme.read_text() + "# local edit\n")
    code, output = _version(root, capsys, "--yes")
    assert code == 1
    assert output == (
        f"error[MR062]: the interrupted release {label} is in the refs, but the working "
        "tree holds other changes: apps/shop/src/shop/views.py\n"
        "  fix: commit or stash them (they are neither the release's nor what it replaced), "
        "then run again to finish\n"
    )

    # when that change is gone and it runs again, it finishes the release
    git_out(root, "checkout", "--", "apps/shop/src/shop/views.py")
    code, output = _version(root, capsys, "--yes")
    assert code == 0, output
    assert output == (
        f"finished the interrupted release {label}:\n"
        f"  brought the working tree to the release commit {release[:12]}\n"
    )
    _released(root, start, ["people-app-v1.0.1"])
    assert _version(root, capsys) == (0, _version(root, capsys)[1])
    assert "nothing to release" in _version(root, capsys)[1]


def test_a_crash_inside_the_ref_transaction_names_gits_lock_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a release killed, with git, while git held the ref locks of the transaction
    root = _workspace(tmp_path)
    before = tree_state(root)
    crash_at(root, tmp_path / "faults", "prepared")
    assert tree_state(root) == before  # nothing moved
    locks = [
        root / ".git/refs/heads/main.lock",
        root / ".git/refs/tags/people-app-v1.0.1.lock",
        root / ".git/HEAD.lock",
    ]
    assert all(lock.exists() for lock in locks)

    # when run again: the lock files are named with the fix
    code, output = _version(root, capsys, "--yes")
    assert code == 1
    assert output.startswith("error[MR062]: the interrupted release ")
    assert "left git's lock files: " + ", ".join(map(str, locks)) in output
    assert "fix: when no git command is running, remove them (rm " in output
    assert tree_state(root) == before

    # when the fix is followed, the rerun drops the journal and releases
    for lock in locks:
        lock.unlink()
    code, output = _version(root, capsys, "--yes")
    assert code == 0, output
    assert "was published: dropped it\n" in output
    assert "tagged people-app-v1.0.1\n" in output
    _released(root, str(before["head"]), ["people-app-v1.0.1"])


def test_two_releases_at_once_the_second_exits_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given one release waiting in the pre-commit hook
    root = _workspace(tmp_path)
    start = git_out(root, "rev-parse", "HEAD").strip()
    first = start_version(root, tmp_path / "faults", "--yes", at="pre-commit")
    first.wait_at("pre-commit")

    # when a second one starts (and a dry run)
    second = _version(root, capsys, "--yes")
    dry = _version(root, capsys)

    # then both stop at once naming the first, and the first releases alone
    message = f"error[MR061]: another release is in progress (pid {first.pid})\n"
    assert second[0] == dry[0] == 1
    assert second[1].startswith(message) and dry[1].startswith(message)
    first.go()
    code, output = first.finish()
    assert code == 0, output
    _released(root, start, ["people-app-v1.0.1"])


def test_a_release_commit_without_all_its_tags_is_finished_or_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a release of people-app and ledger-app, then one of its tags lost
    root = _workspace(tmp_path)
    write(root / PEOPLE / "changelog.d/+big.breaking.md", "Big.\n")
    commit_all(root, "people-app: breaking")
    assert _version(root, capsys, "--yes")[0] == 0
    git_out(root, "tag", "-d", "ledger-app-v1.0.1")
    head = git_out(root, "rev-parse", "HEAD").strip()

    # when a dry run looks / then it names what is missing and exits 1
    code, output = _version(root, capsys)
    assert (code, output) == (
        1,
        f"error[MR062]: HEAD ({head[:12]}) is a release commit without all of its tags: "
        "missing ledger-app-v1.0.1\n"
        "  fix: run `monorel tag` (or `monorel version --yes`) to create them at HEAD\n",
    )

    # when --yes runs / then it makes the missing tag at HEAD, and a tag run has nothing left
    assert _version(root, capsys, "--yes") == (0, "tagged ledger-app-v1.0.1\n")
    assert git_out(root, "tag", "--points-at", "HEAD").split() == [
        "ledger-app-v1.0.1",
        "people-app-v2.0.0",
    ]
    assert main(["--root", str(root), "tag"]) == 0
    assert capsys.readouterr().out == (
        f"HEAD ({head[:12]}) releases people-app 2.0.0, ledger-app 1.0.1: "
        "every tag is there already\n"
    )


def test_tags_on_an_orphaned_commit_are_named_never_released_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a people-app tag for a version ahead of main, on a commit no branch contains
    root = _workspace(tmp_path)
    orphan = git_out(root, "commit-tree", "HEAD^{tree}", "-p", "HEAD", "-m", "lost").strip()
    git_out(root, "tag", "people-app-v1.0.1", orphan)
    before = tree_state(root)

    # when
    code, output = _version(root, capsys, "--yes")

    # then
    assert code == 1
    assert output == (
        "error[MR062]: release tags point at commits no branch contains (a release that never "
        f"reached its branch): people-app-v1.0.1 -> {orphan[:12]}\n"
        "  fix: if that release never happened, delete the tags (git tag -d people-app-v1.0.1; "
        "git push origin --delete NAME where they were pushed); if it did, merge its commit "
        "into the branch, then run again\n"
    )
    assert tree_state(root) == before


def test_the_release_commit_passes_the_repositorys_own_pre_commit_hook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a clone of this repository with a billing-app fix pending, and the entry of
    # .pre-commit-config.yaml's monorel-check hook installed as its git pre-commit hook
    # (run by uv in this environment: the hook's `uv run` must not build a second one)
    entry = next(
        hook["entry"]
        for repo in yaml.safe_load(PRE_COMMIT.read_text())["repos"]
        for hook in repo["hooks"]
        if hook["id"] == "monorel-check"
    )
    clone = tmp_path / "clone"
    git_out(tmp_path, "clone", "-q", "--no-checkout", str(REPO), str(clone))
    git_out(clone, "checkout", "-q", "-B", "main", git_out(REPO, "rev-parse", "HEAD").strip())
    write(clone / "packages/billing-app/changelog.d/+hook.bugfix.md", "Passes the hook.\n")
    start = commit_all(clone, "billing-app: a fix")
    hook = clone / ".git/hooks/pre-commit"
    hook.write_text(f"#!/bin/sh\nexec {entry}\n")
    hook.chmod(0o755)
    monkeypatch.setenv("UV_PROJECT_ENVIRONMENT", sys.prefix)
    monkeypatch.setenv("UV_NO_SYNC", "1")
    # what the plan releases: this fix, and whatever else the repository has pending (a
    # member with nothing pending is in the plan without a tag)
    assert main(["--root", str(clone), "plan", "--format", "json"]) == 0
    planned = {p["name"]: p for p in json.loads(capsys.readouterr().out)["packages"]}
    billing = planned["billing-app"]["next_version"]

    # when
    code, output = _version(clone, capsys, "--yes")

    # then the hook's `monorel check` judged the release commit and let it through
    assert code == 0, output
    assert entry == "uv run --locked monorel check"
    _released(clone, start, sorted(p["tag"] for p in planned.values() if p["tag"]))
    assert (
        git_out(clone, "show", "HEAD:apps/host/pyproject.toml").count(f"billing-app=={billing}")
        == 1
    )
