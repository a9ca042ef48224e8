"""Batch git reads: ``git.tag_commits``, ``git.ChangedFiles`` and ``release_points.ReleaseIndex``.

Each must answer exactly what the per-member functions answer, in fewer git processes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from monorel import release_points, workspace
from monorel.adapters import git
from monorel.checks.context import CheckContext
from monorel_workspaces import (
    MemberSpec,
    commit_all,
    set_version,
    write,
    write_workspace,
)
from monorel_workspaces import git as run_git

PEOPLE = "packages/people-app"
LEDGER = "packages/ledger-app"
NOTES = "packages/notes-app"


def _members() -> list[MemberSpec]:
    return [
        MemberSpec("people-app", django_app=False),
        MemberSpec("ledger-app", django_app=False),
        MemberSpec("notes-app", django_app=False),
    ]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """people-app: 1.0.0 (history), 1.1.0 tagged annotated, 1.2.0 tagged lightweight;
    ledger-app: 1.0.0 then 2.0.0 in history only, no tags; notes-app: a tag of a tag."""
    members = _members()
    root = write_workspace(tmp_path / "ws", members)
    people, ledger, notes = members
    set_version(root, people, "1.1.0")
    run_git(root, "tag", "-a", "people-app-v1.1.0", "-m", "r", commit_all(root, "people 1.1"))
    set_version(root, people, "1.2.0")
    run_git(root, "tag", "people-app-v1.2.0", commit_all(root, "people 1.2"))
    run_git(root, "tag", "people-app-vnext")  # not a version: ignored
    set_version(root, ledger, "2.0.0")
    commit_all(root, "ledger 2.0")
    run_git(root, "tag", "-a", "notes-inner", "-m", "inner")
    run_git(root, "tag", "-a", "notes-app-v1.0.0", "-m", "outer", "notes-inner")
    return root


def test_tag_commits_peels_every_tag_to_its_commit(repo: Path) -> None:
    # given annotated, lightweight and nested tags
    # when
    found = git.tag_commits(repo)
    # then each is the commit `rev-list -n 1` names; a tag of a tag is left to tag_commit
    assert list(found) == sorted(found)
    assert set(found) == {
        "notes-app-v1.0.0",
        "notes-inner",
        "people-app-v1.1.0",
        "people-app-v1.2.0",
        "people-app-vnext",
    }
    assert found["notes-app-v1.0.0"] is None
    for tag, commit in found.items():
        if commit is not None:
            assert commit == git.tag_commit(repo, tag)


def test_release_index_answers_as_the_per_member_functions(repo: Path) -> None:
    # given the workspace
    ws = workspace.load(repo)
    index = release_points.ReleaseIndex(ws)
    # when / then every member's release points and last release are equal
    for member in ws.members.values():
        assert index.released_versions(member) == release_points.released_versions(ws, member)
        assert index.last_release(member) == release_points.last_release(ws, member)
    assert release_points.released_versions_all(ws) == {
        name: release_points.released_versions(ws, m) for name, m in ws.members.items()
    }
    # and the expected points, to be sure the comparison compares something
    people = ws.members["people-app"]
    assert [(p.version, p.source) for p in index.released_versions(people)] == [
        ("1.0.0", "history"),
        ("1.1.0", "tag"),
        ("1.2.0", "tag"),
    ]
    assert index.last_release(ws.members["ledger-app"]).version == "2.0.0"
    assert index.last_release(ws.members["notes-app"]) == release_points.ReleasePoint(
        "1.0.0", run_git(repo, "rev-parse", "HEAD"), "tag"
    )


def test_release_index_breaks_ties_between_tag_spellings_as_history_does(repo: Path) -> None:
    # given two tags spelling people-app's newest version differently
    run_git(repo, "tag", "people-app-v1.2", "HEAD~2")
    ws = workspace.load(repo)
    people = ws.members["people-app"]
    # when
    point = release_points.ReleaseIndex(ws).last_release(people)
    # then
    assert point == release_points.last_release(ws, people)


def test_tagged_members_need_no_history_and_all_tags_come_from_one_process(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a counting git
    ws = workspace.load(repo)
    calls: list[tuple[str, ...]] = []
    real = git._git

    def counting(root: Path, *args: str) -> str:
        calls.append(args)
        return real(root, *args)

    monkeypatch.setattr(git, "_git", counting)
    index = release_points.ReleaseIndex(ws)
    # when the tagged members' last releases are asked
    index.last_release(ws.members["people-app"])
    index.last_release(ws.members["notes-app"])
    # then one for-each-ref, plus one rev-list for the tag of a tag
    assert [c[0] for c in calls] == ["for-each-ref", "rev-list"]


def _change_everything(root: Path) -> None:
    """Committed, uncommitted, untracked, renamed, moved and non-ASCII changes."""
    write(root / PEOPLE / "src/people_app/old.py", "x = 1\n" * 20)
    write(root / LEDGER / "src/ledger_app/moving.py", "y = 2\n" * 20)
    commit_all(root, "files to rename and move")
    write(root / PEOPLE / "src/people_app/committed.py", "a = 1\n")
    commit_all(root, "people: committed change")
    write(root / PEOPLE / "README.md", "edited, not committed\n")
    write(root / PEOPLE / "src/people_app/untracked.py", "b = 2\n")
    write(root / PEOPLE / "src/people_app/näme.py", "c = 3\n")
    run_git(root, "add", PEOPLE + "/src/people_app/näme.py")
    write(root / NOTES / "src/notes_app/ünicode.py", "d = 4\n")
    run_git(root, "add", NOTES + "/src/notes_app/ünicode.py")
    write(root / NOTES / "src/notes_app/ünicode_untracked.py", "e = 5\n")
    run_git(root, "mv", PEOPLE + "/src/people_app/old.py", PEOPLE + "/src/people_app/new.py")
    run_git(root, "mv", LEDGER + "/src/ledger_app/moving.py", PEOPLE + "/src/people_app/moved.py")


@pytest.mark.parametrize("subdir", ["", "sub/"])
def test_changed_files_answers_as_changed_files_per_path(tmp_path: Path, subdir: str) -> None:
    # given a workspace (at the top of its repository, or below it) and every kind of change
    top = tmp_path / "repo"
    root = write_workspace(top / subdir, _members(), commit=None)
    run_git(top, "init", "-q", "-b", "main")
    commit_all(top, "initial")
    first = run_git(root, "rev-parse", "HEAD")
    _change_everything(root)
    second = run_git(root, "rev-parse", "HEAD~1")
    changed = git.ChangedFiles(root)
    # when / then each member, and the whole root, against each base, is as git says
    for since in (first, second, "HEAD"):
        for path in (PEOPLE, LEDGER, NOTES, "packages", "."):
            assert changed.changed_files(since, path) == git.changed_files(root, since, [path])
    # and the comparison saw the interesting cases
    people = changed.changed_files(first, PEOPLE)
    assert f"{subdir}{PEOPLE}/src/people_app/new.py" in people
    assert f"{subdir}{PEOPLE}/src/people_app/old.py" not in people  # one rename, one name
    assert f"{PEOPLE}/src/people_app/untracked.py" in people
    assert any(p.startswith('"') for p in people)  # git quotes the non-ASCII name
    assert len([p for p in changed.changed_files(first, NOTES) if p.startswith('"')]) == 2
    assert f"{subdir}{LEDGER}/src/ledger_app/moving.py" in changed.changed_files(second, LEDGER)


def test_check_context_reads_each_base_once(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a counting git and a context
    ctx = CheckContext(workspace.load(repo))
    calls: list[str] = []
    real = git._git

    def counting(root: Path, *args: str) -> str:
        calls.append(args[0] if args[0] != "rev-parse" else " ".join(args[:2]))
        return real(root, *args)

    monkeypatch.setattr(git, "_git", counting)
    head = run_git(repo, "rev-parse", "HEAD")
    # when every member's changes since HEAD are asked twice
    for _ in range(2):
        for member in ctx.ws.members.values():
            assert ctx.changed_files(head, member) == []
    # then git ran three times in all
    assert sorted(calls) == ["diff", "ls-files", "rev-parse --show-prefix"]


def _changelog(*sections: str) -> str:
    return "# Changelog\n\n<!-- towncrier release notes start -->\n\n" + "\n\n".join(sections)


def test_untagged_release_is_where_the_changelog_got_its_section(tmp_path: Path) -> None:
    # given people-app bumped to 1.0.0 at the first commit, a change with its fragment, then
    # the changelog built for 1.0.0 (fragment consumed), a later changelog typo fix and a
    # 1.1.0 whose reST-style section was built in its own bump commit; no tags anywhere
    people, ledger = MemberSpec("people-app", django_app=False), MemberSpec("ledger-app")
    root = write_workspace(tmp_path / "ws", [people, ledger])
    bumped = run_git(root, "rev-parse", "HEAD")
    write(root / PEOPLE / "src/people_app/api.py", "def hello() -> str:\n    return 'hi'\n")
    write(root / PEOPLE / "changelog.d/hello.feature.md", "hello()\n")
    commit_all(root, "people: hello, with its fragment")
    (root / PEOPLE / "changelog.d/hello.feature.md").unlink()
    write(root / PEOPLE / "CHANGELOG.md", _changelog("## 1.0.0 (2026-11-25)\n\n- hello()\n"))
    built = commit_all(root, "people: CHANGELOG for 1.0.0")
    write(root / PEOPLE / "CHANGELOG.md", _changelog("## 1.0.0 (2026-11-25)\n\n- hello().\n"))
    commit_all(root, "people: CHANGELOG typo")
    set_version(root, people, "1.1.0")
    one_one = "1.1.0 (2026-11-26)\n==================\n\n- more\n"
    write(root / PEOPLE / "CHANGELOG.md", _changelog(one_one, "## 1.0.0 (2026-11-25)\n"))
    released = commit_all(root, "people: release 1.1.0")
    ws = workspace.load(root)
    # when
    points = release_points.ReleaseIndex(ws).released_versions(ws.members["people-app"])
    # then 1.0.0 was released where its section was built, 1.1.0 at its bump
    assert points == [
        release_points.ReleasePoint("1.0.0", built, "history"),
        release_points.ReleasePoint("1.1.0", released, "history"),
    ]
    assert points == release_points.released_versions(ws, ws.members["people-app"])
    # and a member whose changelog never got a section was released at its bump
    assert release_points.last_release(ws, ws.members["ledger-app"]) == (
        release_points.ReleasePoint("1.0.0", bumped, "history")
    )
