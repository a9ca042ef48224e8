"""Pre-releases: the order of ``monorel.bumps``, and an rc series cut with real git, uv and
towncrier - rc1, rc2 with more fragments, the final with the section of the whole series."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from monorel import bumps, planning
from monorel.cli import main
from monorel.errors import PreReleaseRefused
from monorel_release_support import git_out, load, tree_state
from monorel_workspaces import commit_all, sample_members, write, write_workspace
from packaging.requirements import Requirement

PEOPLE = "packages/people-app"


@pytest.mark.parametrize(
    ("version", "bump", "pre", "expected"),
    [
        ("1.4.0", "minor", "rc", "1.5.0rc1"),
        ("1.4.0", "patch", "a", "1.4.1a1"),
        ("1.5.0rc1", "minor", "rc", "1.5.0rc2"),
        ("1.5.0rc1", "minor", None, "1.5.0"),  # never 1.6.0
        ("1.5.0rc1", "patch", None, "1.5.0"),
        ("1.5.0rc1", "major", None, "2.0.0"),  # a bigger change starts the bigger series
        ("1.5.0rc1", "major", "rc", "2.0.0rc1"),
        ("1.5.0a2", "minor", "b", "1.5.0b1"),
        ("1.5.0b1", "minor", "rc", "1.5.0rc1"),
        ("1.4.1rc1", "minor", None, "1.5.0"),
        ("2.0.0rc3", "major", None, "2.0.0"),
        ("0.5.0rc1", "major", None, "0.5.0"),  # before 1.0 a breaking change is a minor
        ("0.4.3rc1", "major", "rc", "0.5.0rc1"),
    ],
)
def test_next_version_of_a_pre_release_series(
    version: str, bump: bumps.Bump, pre: bumps.PreKind | None, expected: str
) -> None:
    assert bumps.next_version(version, bump, pre) == expected


def test_a_series_never_goes_back_to_an_earlier_kind() -> None:
    with pytest.raises(PreReleaseRefused) as raised:
        bumps.next_version("1.5.0rc1", "minor", "b")
    assert raised.value.message == (
        "1.5.0rc1 cannot be followed by a 'b' pre-release: a < b < rc < the final"
    )
    assert raised.value.fix == "release 1.5.0rc2 (--pre rc), a later kind, or the final"


pytestmark = pytest.mark.usefixtures("git_identity")


def _project(root: Path, member_dir: str) -> dict:
    return tomllib.loads((root / member_dir / "pyproject.toml").read_text())["project"]


def _plan(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> list[tuple[str, str]]:
    assert main(["--root", str(root), "plan", "--format", "json", *extra]) == 0
    plan = json.loads(capsys.readouterr().out)
    return [(p["name"], p["next_version"]) for p in plan["packages"] if p["next_version"]]


def _version(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code = main(["--root", str(root), "version", "--yes", *extra])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    return out


def _sections(changelog: str) -> list[str]:
    return [line for line in changelog.splitlines() if line.startswith("# people-app")]


def test_an_rc_series_then_its_final(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # given people-app 1.0.0 with a feature fragment
    root = write_workspace(tmp_path / "ws", sample_members())
    write(root / PEOPLE / "changelog.d/+nick.feature.md", "Nicknames.\n")
    commit_all(root, "people-app: feature")
    changelog = root / PEOPLE / "CHANGELOG.md"

    # when rc1 is cut
    _version(root, capsys, "--pre", "rc")

    # then 1.1.0rc1 with its section, the fragment kept for the final, the host pinned to it,
    # and ledger's range (which admits it) kept
    assert _project(root, PEOPLE)["version"] == "1.1.0rc1"
    assert _project(root, "apps/shop")["dependencies"][0] == "people-app==1.1.0rc1"
    assert _project(root, "packages/ledger-app")["dependencies"] == ["people-app>=1.0,<2"]
    assert [s.split(" (")[0] for s in _sections(changelog.read_text())] == ["# people-app 1.1.0rc1"]
    assert (root / PEOPLE / "changelog.d/+nick.feature.md").is_file()
    assert git_out(root, "tag", "--points-at", "HEAD").split() == ["people-app-v1.1.0rc1"]
    # the series is planned from here: the final is 1.1.0, never 1.2.0; another rc needs news
    assert _plan(root, capsys) == [("people-app", "1.1.0")]
    assert _plan(root, capsys, "--pre", "rc") == []

    # when a bugfix lands and rc2 is cut
    write(root / PEOPLE / "changelog.d/+typo.bugfix.md", "A typo.\n")
    commit_all(root, "people-app: bugfix")
    assert _plan(root, capsys, "--pre", "rc") == [("people-app", "1.1.0rc2")]
    _version(root, capsys, "--pre", "rc")

    # then one section for the series so far, holding both entries
    text = changelog.read_text()
    assert [s.split(" (")[0] for s in _sections(text)] == ["# people-app 1.1.0rc2"]
    assert "- Nicknames.\n" in text and "- A typo.\n" in text

    # when the final is cut
    _version(root, capsys)

    # then 1.1.0 with the section of the whole series, which replaced the rc sections, and
    # the fragments consumed
    text = changelog.read_text()
    assert _project(root, PEOPLE)["version"] == "1.1.0"
    assert [s.split(" (")[0] for s in _sections(text)] == ["# people-app 1.1.0"]
    assert "- Nicknames.\n" in text and "- A typo.\n" in text
    assert sorted(p.name for p in (root / PEOPLE / "changelog.d").iterdir()) == [".gitkeep"]
    assert _project(root, "apps/shop")["dependencies"][0] == "people-app==1.1.0"
    assert git_out(root, "tag", "--list", "people-app-*").split() == [
        "people-app-v1.1.0",
        "people-app-v1.1.0rc1",
        "people-app-v1.1.0rc2",
    ]
    assert planning.compute(load(root)).releases == ()


def test_a_breaking_change_during_a_beta_series_starts_the_major_series(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given people-app at 1.1.0b1 (a feature's beta), then a breaking fragment
    root = write_workspace(tmp_path / "ws", sample_members())
    write(root / PEOPLE / "changelog.d/+nick.feature.md", "Nicknames.\n")
    commit_all(root, "people-app: feature")
    _version(root, capsys, "--pre", "b")
    # (within the series an alpha cannot follow the beta: refused, nothing changed)
    write(root / PEOPLE / "changelog.d/+typo.bugfix.md", "A typo.\n")
    commit_all(root, "people-app: bugfix")
    before = tree_state(root)
    assert main(["--root", str(root), "version", "--pre", "a", "--yes"]) == 1
    assert capsys.readouterr().err.startswith(
        "error[MR064]: 1.1.0b1 cannot be followed by a 'a' pre-release"
    )
    assert tree_state(root) == before
    write(root / PEOPLE / "changelog.d/+rename.breaking.md", "Renamed.\n")
    commit_all(root, "people-app: breaking")

    # when planned as a beta, and as a final
    beta = planning.compute(load(root), pre="b")
    final = planning.compute(load(root))

    # then the major series starts; ledger's range moves to admit the beta, and a final
    # ledger never keeps a range that names a pre-release
    assert [(p.name, p.next_version) for p in beta.releases] == [
        ("people-app", "2.0.0b1"),
        ("ledger-app", "1.0.1b1"),
    ]
    assert [(c.dependent, c.new) for c in beta.requirement_changes()] == [
        ("ledger-app", "people-app>=2.0.0b1,<3"),
        ("shop", "people-app==2.0.0b1"),
        ("shop", "ledger-app==1.0.1b1"),
    ]
    assert [(p.name, p.next_version) for p in final.releases] == [
        ("people-app", "2.0.0"),
        ("ledger-app", "1.0.1"),
    ]
    assert planning.requirement_after(Requirement("people-app>=2.0.0b1,<3"), "2.0.0") == (
        "people-app>=2.0,<3"
    )
