"""MR-FRAGMENT and ``monorel.fragments``: changed members carry valid towncrier fragments."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from monorel import fragments, workspace
from monorel.cli import main
from monorel.errors import FragmentError
from monorel_check_support import finding, run_check
from monorel_release_support import tree_state
from monorel_workspaces import commit_all, git, sample_members, write, write_workspace

PEOPLE = "packages/people-app"
LEDGER = "packages/ledger-app"
TYPES = "breaking, feature, bugfix, migration, doc, misc"
SHAPE = f"<slug>.<type>.md or +<slug>.<type>.md, <type> one of: {TYPES}"


def _touch_api(ws: Path, member: str = PEOPLE) -> None:
    api = next((ws / member / "src").glob("*/api.py"))
    api.write_text(api.read_text() + "\n# changed\n")


def test_unchanged_members_need_no_fragment(ws: Path) -> None:
    # given the workspace exactly as released (history: every member at its first version)
    # when
    run = run_check(ws, "--rule", "fragments")
    # then
    assert (run.code, run.findings) == (0, [])


def test_a_change_since_the_release_point_without_fragment_is_reported(ws: Path) -> None:
    # given people-app's api changed (uncommitted) since its release point
    released = git(ws, "rev-parse", "HEAD")
    _touch_api(ws)
    # when
    run = run_check(ws, "--rule", "fragments")
    # then
    assert run.code == 1
    assert run.findings == [
        finding(
            "MR-FRAGMENT",
            f"{PEOPLE}/changelog.d",
            None,
            f"people-app changed since its release 1.0.0 (history {released[:12]}) "
            f"({PEOPLE}/src/people_app/api.py) but has no fragment",
            f"add {PEOPLE}/changelog.d/+<slug>.<type>.md describing the change, or "
            f"<issue>.<type>.md to link an issue (types: {TYPES})",
        )
    ]


def test_a_valid_fragment_satisfies_the_rule(ws: Path) -> None:
    # given the change and a fragment for it (an orphan one, with a counter)
    _touch_api(ws)
    write(ws / PEOPLE / "changelog.d/+title-case.feature.2.md", "display_name title-cases.\n")
    # when
    run = run_check(ws, "--rule", "fragments")
    # then
    assert (run.code, run.findings) == (0, [])


def test_invalid_fragments_are_reported_and_do_not_count(ws: Path) -> None:
    # given a change and only invalid fragments
    _touch_api(ws)
    changelog = ws / PEOPLE / "changelog.d"
    write(changelog / "notes.txt", "x\n")
    write(changelog / "12.feat.md", "x\n")
    write(changelog / "12.bugfix", "x\n")
    write(changelog / "13.doc.md", "  \n")
    write(changelog / "README.md", "ignored, as towncrier does\n")
    # when
    run = run_check(ws, "--rule", "fragments")
    # then
    invalid = "invalid fragment of people-app: "
    assert [(f["path"], f["message"], f["fix"]) for f in run.findings] == [
        (
            f"{PEOPLE}/changelog.d",
            "people-app changed since its release 1.0.0 (history "
            f"{git(ws, 'rev-parse', 'HEAD')[:12]}) ({PEOPLE}/src/people_app/api.py) "
            "but has no fragment",
            f"add {PEOPLE}/changelog.d/+<slug>.<type>.md describing the change, or "
            f"<issue>.<type>.md to link an issue (types: {TYPES})",
        ),
        (
            f"{PEOPLE}/changelog.d/12.bugfix",
            invalid + "no .md extension",
            "rename it to 12.bugfix.md",
        ),
        (
            f"{PEOPLE}/changelog.d/12.feat.md",
            invalid + "unknown fragment type 'feat'",
            f"rename it to {SHAPE}",
        ),
        (
            f"{PEOPLE}/changelog.d/13.doc.md",
            invalid + "empty fragment",
            "write the changelog entry into it",
        ),
        (
            f"{PEOPLE}/changelog.d/notes.txt",
            invalid + "not a fragment name",
            f"rename it to {SHAPE}",
        ),
    ]


def test_since_compares_with_the_merge_base_of_a_branch(ws: Path) -> None:
    # given a feature branch whose commit changes ledger-app only
    git(ws, "checkout", "-q", "-b", "feature")
    _touch_api(ws, LEDGER)
    commit_all(ws, "ledger: change")
    base = git(ws, "merge-base", "main", "HEAD")
    # when
    run = run_check(ws, "--rule", "fragments", "--since", "main")
    # then
    assert run.findings == [
        finding(
            "MR-FRAGMENT",
            f"{LEDGER}/changelog.d",
            None,
            f"ledger-app changed since main (merge base {base[:12]}) "
            f"({LEDGER}/src/ledger_app/api.py) but adds no fragment",
            f"add {LEDGER}/changelog.d/+<slug>.<type>.md describing the change, or "
            f"<issue>.<type>.md to link an issue (types: {TYPES})",
        )
    ]
    # and with a fragment committed on the branch, the check passes
    write(ws / LEDGER / "changelog.d/7.misc.md", "Comment.\n")
    commit_all(ws, "ledger: fragment")
    assert run_check(ws, "--rule", "fragments", "--since", "main").findings == []


def test_since_counts_only_fragments_the_branch_adds(ws: Path) -> None:
    # given an unreleased fragment already on main, then a branch changing people-app again
    _touch_api(ws)
    write(ws / PEOPLE / "changelog.d/1.feature.md", "Earlier change.\n")
    commit_all(ws, "people: change with fragment")
    git(ws, "checkout", "-q", "-b", "feature")
    _touch_api(ws)
    commit_all(ws, "people: another change")
    # when
    run = run_check(ws, "--rule", "fragments", "--since", "main")
    # then the old fragment does not describe the branch's change
    assert [(f["path"], f["message"].split(" (")[0]) for f in run.findings] == [
        (f"{PEOPLE}/changelog.d", "people-app changed since main")
    ]
    assert run.findings[0]["message"].endswith("but adds no fragment")
    # and without --since (against the release point) the present fragment suffices
    assert run_check(ws, "--rule", "fragments").findings == []


def test_a_release_tag_moves_the_release_point(ws: Path) -> None:
    # given a committed change to people-app, then a release tag on that commit
    _touch_api(ws)
    tagged = commit_all(ws, "people: change")
    git(ws, "tag", "people-app-v1.0.0", tagged)
    # when
    run = run_check(ws, "--rule", "fragments")
    # then the change is part of the release: no fragment needed
    assert (run.code, run.findings) == (0, [])


def test_without_tags_a_changelog_built_after_the_bump_moves_the_release_point(ws: Path) -> None:
    # given a clone without tags: people-app changed with a fragment, then its 1.0.0
    # changelog section was built and the fragment consumed, in a later commit than the bump
    _touch_api(ws)
    write(ws / PEOPLE / "changelog.d/api.feature.md", "api changed.\n")
    commit_all(ws, "people: change, with its fragment")
    (ws / PEOPLE / "changelog.d/api.feature.md").unlink()
    changelog = ws / PEOPLE / "CHANGELOG.md"
    changelog.write_text(changelog.read_text() + "\n## 1.0.0 (2026-11-25)\n\n- api changed.\n")
    commit_all(ws, "people: CHANGELOG for 1.0.0")
    # when
    run = run_check(ws, "--rule", "fragments")
    # then the change is part of the release: no fragment needed
    assert (run.code, run.findings) == (0, [])


def test_collect_returns_valid_fragments_and_refuses_invalid_ones(ws: Path) -> None:
    # given one valid fragment each of the two shapes
    changelog = ws / PEOPLE / "changelog.d"
    write(changelog / "42.feature.md", "Add display_name.\n")
    write(changelog / "+cleanup.misc.1.md", "Tidy.\n")
    member = workspace.load(ws).member("people-app")
    # when
    found = fragments.collect(member)
    # then
    assert [(f.path.name, f.slug, f.type, f.counter, f.orphan, f.text) for f in found] == [
        ("+cleanup.misc.1.md", "cleanup", "misc", 1, True, "Tidy.\n"),
        ("42.feature.md", "42", "feature", 0, False, "Add display_name.\n"),
    ]
    # and when an invalid one joins them, collect raises naming it
    write(changelog / "43.feat.md", "x\n")
    with pytest.raises(FragmentError) as raised:
        fragments.collect(member)
    assert raised.value.message == f"{changelog / '43.feat.md'}: unknown fragment type 'feat'"
    assert raised.value.fix == f"rename it to {SHAPE}"


def test_types_default_to_towncrier_s_when_none_are_configured(tmp_path: Path) -> None:
    # given a member without [[tool.towncrier.type]] tables
    ws = write_workspace(tmp_path / "ws", sample_members()[:1], commit=None)
    pyproject = ws / PEOPLE / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text[: text.index("\n[[tool.towncrier.type]]")] + "\n")
    # when
    types = fragments.types(workspace.load(ws).member("people-app"))
    # then
    assert types == ("feature", "bugfix", "doc", "removal", "misc")


def _bad_fragments(ws: Path, secret: Path) -> Path:
    """Every kind of fragment that is not a regular UTF-8 file of at most 64 KiB."""
    changelog = ws / PEOPLE / "changelog.d"
    secret.write_text("password = hunter2\n")
    (changelog / "+creds.misc.md").symlink_to(secret)
    (changelog / ".gitkeep").unlink()
    (changelog / ".gitkeep").symlink_to(secret)  # ignored by name, still a link
    (changelog / "+notes.feature.md").mkdir()
    (changelog / "+huge.doc.md").write_text("x" * (64 * 1024 + 1))
    (changelog / "+latin1.bugfix.md").write_bytes("Caf\xe9 au lait.\n".encode("latin-1"))
    os.mkfifo(changelog / "+pipe.misc.md")
    write(changelog / "+fine.bugfix.md", "A fine fragment.\n")
    return changelog


def test_fragments_must_be_regular_utf8_files_and_links_are_never_read(
    ws: Path, tmp_path: Path
) -> None:
    # given a link to a credentials file, a link under an ignored name, a directory, a file
    # over 64 KiB, Latin-1 bytes and a fifo among the fragments
    _bad_fragments(ws, tmp_path / "server.secret")
    # when
    run = run_check(ws, "--rule", "fragments")
    # then each is a finding, the valid fragment still counts, and no link was read
    invalid = "invalid fragment of people-app: "
    link = "a symbolic link (fragments must be regular files; monorel does not read through links)"
    assert run.code == 1
    assert [
        (f["path"].removeprefix(f"{PEOPLE}/changelog.d/"), f["message"]) for f in run.findings
    ] == [
        ("+creds.misc.md", invalid + link),
        ("+huge.doc.md", invalid + "65537 bytes, more than a fragment may hold (64 KiB)"),
        ("+latin1.bugfix.md", invalid + "not UTF-8 text (byte 3: b'\\xe9')"),
        ("+notes.feature.md", invalid + "a directory among the fragments"),
        ("+pipe.misc.md", invalid + "not a regular file (a fifo, socket or device)"),
        (".gitkeep", invalid + link),
    ]
    assert run.findings[0]["fix"] == (
        "remove the link and write the changelog entry into a regular file +creds.misc.md"
    )
    assert "hunter2" not in run.stdout + run.stderr


def test_a_linked_fragment_directory_is_a_finding(ws: Path, tmp_path: Path) -> None:
    # given people-app's changelog.d replaced by a link to a directory elsewhere
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "+x.feature.md", "Read through a link.\n")
    changelog = ws / PEOPLE / "changelog.d"
    (changelog / ".gitkeep").unlink()
    changelog.rmdir()
    changelog.symlink_to(elsewhere, target_is_directory=True)
    # when
    run = run_check(ws, "--rule", "fragments")
    # then the link is a finding, and the fragment behind it does not count
    assert [(f["path"], f["message"].split(" (")[0], f["fix"]) for f in run.findings] == [
        (
            f"{PEOPLE}/changelog.d",
            "invalid fragment of people-app: the fragment directory is a symbolic link",
            "make changelog.d/ a real directory inside the package",
        ),
        (
            f"{PEOPLE}/changelog.d",
            "people-app changed since its release 1.0.0",
            f"add {PEOPLE}/changelog.d/+<slug>.<type>.md describing the change, or "
            f"<issue>.<type>.md to link an issue (types: {TYPES})",
        ),
    ]


def test_version_refuses_bad_fragments_and_changes_nothing(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the bad fragments committed (the fifo and the directory cannot be: left untracked)
    changelog = _bad_fragments(ws, tmp_path / "server.secret")
    (changelog / "+pipe.misc.md").unlink()
    (changelog / "+notes.feature.md").rmdir()
    commit_all(ws, "bad fragments")
    before = tree_state(ws)
    # when
    code = main(["--root", str(ws), "version", "--yes"])
    # then a refusal naming each one; nothing read through the links, nothing changed
    out, err = capsys.readouterr()
    assert code == 1
    assert err.startswith("error[MR004]: invalid changelog fragments:\n")
    for name in ("+creds.misc.md", ".gitkeep", "+huge.doc.md", "+latin1.bugfix.md"):
        assert f"{PEOPLE}/changelog.d/{name}: " in err
    assert "hunter2" not in out + err
    assert tree_state(ws) == before


def test_a_tree_that_releases_needs_no_fragment(ws: Path) -> None:
    # given what a release commit holds: people-app's api changed, its version moved to 1.1.0
    # with a 1.1.0 changelog section and its fragment consumed, and the host pin moved
    _touch_api(ws)
    pyproject = ws / PEOPLE / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "1.0.0"', 'version = "1.1.0"'))
    changelog = ws / PEOPLE / "CHANGELOG.md"
    changelog.write_text(changelog.read_text() + "\n# people-app 1.1.0 (2026-12-01)\n\n- X.\n")
    shop = ws / "apps/shop/pyproject.toml"
    shop.write_text(shop.read_text().replace("people-app==1.0.0", "people-app==1.1.0"))
    # when
    run = run_check(ws, "--rule", "fragments")
    # then neither the release nor the pin it moved asks for a fragment
    assert (run.code, run.findings) == (0, [])
    # but a pin to a version the tree does not hold is a change of the host's own
    shop.write_text(shop.read_text().replace("people-app==1.1.0", "people-app==1.2.0"))
    assert [f["path"] for f in run_check(ws, "--rule", "fragments").findings] == [
        "apps/shop/changelog.d"
    ]
