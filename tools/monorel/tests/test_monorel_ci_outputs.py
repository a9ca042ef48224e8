"""What CI reads: `monorel affected`, `plan --format github`, `semver --format github`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from monorel_check_support import run_cli
from monorel_workspaces import commit_all, git, write

PEOPLE_API = "packages/people-app/src/people_app/api.py"


def _branch(ws: Path) -> str:
    """A branch off main; returns main's head (what --since compares with)."""
    base = git(ws, "rev-parse", "HEAD")
    git(ws, "checkout", "-q", "-b", "change")
    return base


def test_affected_lists_the_changed_member_and_its_dependents(ws: Path) -> None:
    # given a branch that changes people-app (ledger-app and the shop host depend on it)
    base = _branch(ws)
    write(ws / PEOPLE_API, (ws / PEOPLE_API).read_text() + "\nX = 1\n")
    commit_all(ws, "people change")

    # when asked what it affects
    code, out, _ = run_cli(ws, "affected", "--since", "main", "--format", "json")

    # then people-app changed, the others depend on it, in dependency order
    assert code == 0
    assert json.loads(out) == {
        "schema": "monorel.affected/1",
        "since": "main",
        "base": base,
        "all": False,
        "workspace_files": [],
        "members": [
            {
                "name": "people-app",
                "path": "packages/people-app",
                "role": "library",
                "released": True,
                "changed": [PEOPLE_API],
                "because": ["changed"],
            },
            {
                "name": "ledger-app",
                "path": "packages/ledger-app",
                "role": "library",
                "released": True,
                "changed": [],
                "because": ["people-app"],
            },
            {
                "name": "shop",
                "path": "apps/shop",
                "role": "host",
                "released": False,
                "changed": [],
                "because": ["ledger-app", "people-app"],
            },
        ],
    }
    assert run_cli(ws, "affected", "--since", "main", "--format", "names")[1] == (
        "people-app\nledger-app\nshop\n"
    )


def test_a_host_only_change_affects_the_host_and_root_docs_affect_nothing(ws: Path) -> None:
    # given a branch that changes the host and the root README
    _branch(ws)
    write(ws / "apps/shop/src/shop/views.py", "from ledger_app.api import entry_label\nY = 1\n")
    write(ws / "README.md", "# the shop\n")

    # when asked / then only the host, nothing depends on it
    code, out, _ = run_cli(ws, "affected", "--since", "main")
    assert code == 0
    assert out.splitlines()[1:] == ["  shop [host]: changed (1 file(s))"]


def test_a_workspace_file_affects_every_member(ws: Path) -> None:
    # given a branch that changes the root pyproject (uv.lock, workflows: the same)
    _branch(ws)
    pyproject = ws / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n# comment\n")

    # when asked / then all of them, and why
    code, out, _ = run_cli(ws, "affected", "--since", "main", "--format", "json")
    report = json.loads(out)
    assert (code, report["all"], report["workspace_files"]) == (0, True, ["pyproject.toml"])
    assert [m["name"] for m in report["members"]] == ["people-app", "ledger-app", "shop"]


def test_affected_refuses_a_ref_it_cannot_see(ws: Path) -> None:
    # given no such ref / when asked / then exit 2, never "nothing affected"
    assert run_cli(ws, "affected", "--since", "origin/main") == (
        2,
        "",
        f"error[MR002]: --since origin/main: no such git ref in {ws}\n"
        "  fix: name a branch, tag or commit that exists (in CI: fetch it, fetch-depth: 0)\n",
    )


@pytest.fixture
def shortfall(ws: Path) -> Path:
    """people-app 1.0.0 (tagged) renames display_name in its api, with a bugfix fragment."""
    git(ws, "tag", "people-app-v1.0.0")
    api = ws / PEOPLE_API
    api.write_text(api.read_text().replace("display_name", "full_name"), encoding="utf-8")
    write(ws / "packages/people-app/changelog.d/+names.bugfix.md", "Names are trimmed.\n")
    commit_all(ws, "rename display_name")
    return ws


def test_plan_github_annotates_the_evidence_of_a_shortfall(shortfall: Path) -> None:
    # when the plan is printed for GitHub
    code, out, _ = run_cli(shortfall, "plan", "--format", "github")

    # then it fails with an error on the evidence that asks for more (its line where it
    # still exists), and a notice per release
    assert code == 1
    title = "title=monorel plan%3A fragments ask for less"
    assert out.splitlines() == [
        f"::error file={PEOPLE_API},{title}::people-app: api.py removes display_name: major "
        "required, fragments give patch",
        f"::error file={PEOPLE_API},{title}::people-app: api.py removes display_name: needs a "
        "`breaking` fragment",
        f"::error file={PEOPLE_API},line=6,{title}::people-app: api.py adds full_name: minor "
        "required, fragments give patch",
        "::notice title=monorel plan::people-app 1.0.0 -> 1.0.1 (patch: fragments), tag "
        "people-app-v1.0.1",
        "release order: people-app",
    ]


def test_semver_github_annotates_each_piece_of_evidence(shortfall: Path) -> None:
    # when the verdict is printed for GitHub
    code, out, _ = run_cli(shortfall, "semver", "people-app", "--format", "github")

    # then a warning on the major evidence, a notice on the minor one, then the headline
    assert code == 0
    assert out.splitlines() == [
        f"::warning file={PEOPLE_API},title=monorel semver people-app%3A major::"
        "api.py removes display_name: major (needs a breaking fragment)",
        f"::notice file={PEOPLE_API},line=6,title=monorel semver people-app%3A minor::"
        "api.py adds full_name: minor",
        "people-app: major required since people-app-v1.0.0 ("
        + git(shortfall, "rev-parse", "people-app-v1.0.0^{commit}")[:12]
        + ")",
    ]
