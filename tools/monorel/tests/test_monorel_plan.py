"""`monorel plan`: bumps from fragments, next versions, moved pins and ranges, offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from monorel import planning
from monorel.cli import main
from monorel_release_support import git_out, load, tree_state
from monorel_workspaces import MemberSpec, commit_all, sample_members, write, write_workspace
from packaging.requirements import Requirement


def _plan_json(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    assert main(["--root", str(root), "plan", "--format", "json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _sample(tmp_path: Path, fragments: dict[str, str]) -> Path:
    """The sample workspace, then one commit adding people-app fragments."""
    root = write_workspace(tmp_path / "ws", sample_members())
    for name, text in fragments.items():
        write(root / "packages/people-app/changelog.d" / name, text)
    commit_all(root, "fragments")
    return root


def test_breaking_fragment_bumps_major_and_moves_every_dependent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given people-app 1.0.0 with a breaking fragment; ledger-app needs people-app>=1.0,<2
    root = _sample(tmp_path, {"+rename.breaking.md": "Rename display_name.\n"})
    initial = git_out(root, "rev-list", "--max-parents=0", "HEAD").strip()

    # when
    plan = _plan_json(root, capsys)

    # then people-app goes to 2.0.0, ledger's range and the host's pins move, and
    # ledger-app is re-released (its metadata changed) with a patch
    point = {"version": "1.0.0", "commit": initial, "source": "history"}
    assert plan == {
        "schema": "monorel.plan/1",
        "since": None,
        "order": ["people-app", "ledger-app"],
        "problems": [],
        "broken": [],
        "packages": [
            {
                "name": "people-app",
                "path": "packages/people-app",
                "current_version": "1.0.0",
                "release_point": point,
                "changed_files": ["packages/people-app/changelog.d/+rename.breaking.md"],
                "fragments": [
                    {
                        "path": "packages/people-app/changelog.d/+rename.breaking.md",
                        "type": "breaking",
                    }
                ],
                "bump": "major",
                "reasons": ["fragments"],
                "next_version": "2.0.0",
                "tag": "people-app-v2.0.0",
                # only a fragment changed: the semver verdict finds nothing to ask for
                "semver": {
                    "package": "people-app",
                    "baseline": initial,
                    "baseline_commit": initial,
                    "baseline_version": "1.0.0",
                    "required": "none",
                    "bump": "none",
                    "evidence": [],
                    "unclassified": [],
                    "operator_notes": [],
                },
                "problems": [],
                "breaks": [],
                "dependents": [
                    {
                        "name": "ledger-app",
                        "kind": "range",
                        "requirement": "people-app>=1.0,<2",
                        "new_requirement": "people-app>=2.0,<3",
                        "moves": True,
                    },
                    {
                        "name": "shop",
                        "kind": "pin",
                        "requirement": "people-app==1.0.0",
                        "new_requirement": "people-app==2.0.0",
                        "moves": True,
                    },
                ],
            },
            {
                "name": "ledger-app",
                "path": "packages/ledger-app",
                "current_version": "1.0.0",
                "release_point": point,
                "changed_files": [],
                "fragments": [],
                "bump": "patch",
                "reasons": ["dependency"],
                "next_version": "1.0.1",
                "tag": "ledger-app-v1.0.1",
                "semver": None,  # unchanged: re-released only because its range moves
                "problems": [],
                "breaks": [],
                "dependents": [
                    {
                        "name": "shop",
                        "kind": "pin",
                        "requirement": "ledger-app==1.0.0",
                        "new_requirement": "ledger-app==1.0.1",
                        "moves": True,
                    }
                ],
            },
        ],
    }


def test_feature_moves_the_host_pin_but_keeps_a_range_that_admits_it(tmp_path: Path) -> None:
    # given a feature and a migration fragment on people-app
    root = _sample(
        tmp_path, {"add-nick.feature.md": "Nicknames.\n", "+nick.migration.md": "Column.\n"}
    )

    # when
    plan = planning.compute(load(root))

    # then 1.1.0; ledger's >=1.0,<2 admits it and stays, ledger-app is not released
    assert [(p.name, p.bump, p.next_version) for p in plan.releases] == [
        ("people-app", "minor", "1.1.0")
    ]
    assert [
        (c.dependent, c.old, c.new, c.moves) for c in plan.package("people-app").dependents
    ] == [
        ("ledger-app", "people-app>=1.0,<2", "people-app>=1.0,<2", False),
        ("shop", "people-app==1.0.0", "people-app==1.1.0", True),
    ]


def test_before_1_0_breaking_bumps_minor_and_the_rest_patch(tmp_path: Path) -> None:
    # given 0.x packages: people-app 0.4.2 (breaking), ledger-app 0.3.0 (bugfix)
    people = MemberSpec("people-app", version="0.4.2", fragments={"+x.breaking.md": "X.\n"})
    ledger = MemberSpec(
        "ledger-app",
        version="0.3.0",
        dependencies=["people-app>=0.4,<0.5"],
        fragments={"+y.bugfix.md": "Y.\n"},
    )
    # (not a git repository yet: no release point, the fragments alone decide)
    root = write_workspace(tmp_path / "ws", [people, ledger], commit=None)

    # when
    plan = planning.compute(load(root))

    # then breaking -> 0.5.0 (minor) and the 0.x range moves to the next minor series
    assert [(p.name, p.bump, p.next_version, p.reasons) for p in plan.releases] == [
        ("people-app", "minor", "0.5.0", ("fragments",)),
        ("ledger-app", "patch", "0.3.1", ("fragments", "dependency")),
    ]
    assert [c.new for c in plan.package("people-app").dependents] == ["people-app>=0.5,<0.6"]


@pytest.mark.parametrize(
    ("requirement", "new_version", "expected"),
    [
        ("accounts-app>=1.0,<2", "2.0.0", "accounts-app>=2.0,<3"),
        ("accounts-app>=1.0,<2", "1.1.0", None),  # still admitted: kept
        ("accounts-app>=1.0", "7.0.0", None),
        ("accounts-app==1.0.0", "1.0.1", "accounts-app==1.0.1"),
        ("accounts-app==1.0.1", "1.0.1", None),
        ("accounts-app>=0.4,<0.5", "0.5.0", "accounts-app>=0.5,<0.6"),
        (
            "Accounts_App[extra]>=1,<2; python_version>='3.11'",
            "2.1.0",
            'Accounts_App[extra]>=2.1,<3; python_version >= "3.11"',
        ),
    ],
)
def test_requirement_after(requirement: str, new_version: str, expected: str | None) -> None:
    assert planning.requirement_after(Requirement(requirement), new_version) == expected


def test_invalid_fragment_stops_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a fragment with an unknown type
    root = _sample(tmp_path, {"+oops.feat.md": "Typo in the type.\n"})
    before = tree_state(root)

    # when
    code = main(["--root", str(root), "plan"])

    # then a refusal that names the file; nothing changed
    err = capsys.readouterr().err
    assert code == 1
    assert "error[MR004]" in err
    assert "packages/people-app/changelog.d/+oops.feat.md: unknown fragment type 'feat'" in err
    assert tree_state(root) == before


def test_since_ref_limits_the_plan_to_changes_after_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a people-app fragment, then a later commit with a ledger-app fragment
    root = _sample(tmp_path, {"+a.bugfix.md": "A.\n"})
    base = git_out(root, "rev-parse", "HEAD").strip()
    write(root / "packages/ledger-app/changelog.d/+b.feature.md", "B.\n")
    commit_all(root, "ledger feature")

    # when
    plan = _plan_json(root, capsys, "--since", base)

    # then only ledger-app changed since that commit
    assert plan["since"] == base
    assert [p["name"] for p in plan["packages"]] == ["ledger-app"]
    assert plan["packages"][0]["next_version"] == "1.1.0"


def test_plan_is_deterministic_and_text_says_nothing_to_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a workspace right at its release point
    root = write_workspace(tmp_path / "ws", sample_members())

    # when planned twice, and as text
    first = _plan_json(root, capsys)
    second = _plan_json(root, capsys)
    assert main(["--root", str(root), "plan"]) == 0

    # then
    assert (
        first
        == second
        == {
            "schema": "monorel.plan/1",
            "since": None,
            "order": [],
            "problems": [],
            "broken": [],
            "packages": [],
        }
    )
    assert (
        capsys.readouterr().out == "nothing changed since the last releases: nothing to release\n"
    )


def _api_change(
    tmp_path: Path, members: list[MemberSpec], api: str, fragment: tuple[str, str]
) -> Path:
    """The workspace of ``members``, then a commit with people-app's new ``api`` source and
    a fragment (name, text)."""
    root = write_workspace(tmp_path / "ws", members)
    write(root / "packages/people-app/src/people_app/api.py", api)
    write(root / "packages/people-app/changelog.d" / fragment[0], fragment[1])
    commit_all(root, "people-app: api change")
    return root


def _api_removal_with_feature_fragment(tmp_path: Path) -> Path:
    """people-app drops display_name from api.py, but its fragment only claims a feature."""
    return _api_change(
        tmp_path,
        sample_members(),
        '"""Public API of people_app."""\n\n__all__: list[str] = []\n',
        ("+slim.feature.md", "A slimmer API.\n"),
    )


def test_plan_fails_when_fragments_ask_for_less_than_the_semver_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a removed public function and only a feature fragment
    root = _api_removal_with_feature_fragment(tmp_path)

    # when
    code = main(["--root", str(root), "plan", "--format", "json"])
    plan = json.loads(capsys.readouterr().out)

    # then the plan is refused with the evidence, item by item
    assert code == 1
    assert plan["problems"] == [
        "people-app: api.py removes display_name: major required, fragments give minor",
        "people-app: api.py removes display_name: needs a `breaking` fragment",
    ]
    assert plan["packages"][0]["semver"]["bump"] == "major"


def test_version_refuses_a_semver_shortfall_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    root = _api_removal_with_feature_fragment(tmp_path)
    before = tree_state(root)

    # when
    code = main(["--root", str(root), "version", "--yes"])

    # then
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("error[MR031]: the fragments ask for less than the changes require:")
    assert "people-app: api.py removes display_name: major required, fragments give minor" in err
    assert tree_state(root) == before


def _breaking_api_change(tmp_path: Path) -> Path:
    """people-app 1.0.0 (api: display_name, greet(name)), used by ledger-app and the shop;
    then a commit that removes display_name and gives greet a required parameter."""
    members = sample_members()
    people, _, shop = members
    people.modules["api.py"] = (
        '__all__ = ["display_name", "greet"]\n\n\n'
        "def display_name(name):\n    return name.title()\n\n\n"
        "def greet(name):\n    return name\n"
    )
    shop.modules["greeting.py"] = 'from people_app import api\n\n\nWELCOME = api.greet("you")\n'
    return _api_change(
        tmp_path,
        members,
        '__all__ = ["greet"]\n\n\ndef greet(name, loud):\n    return name\n',
        ("+slim.breaking.md", "display_name is gone.\n"),
    )


def test_plan_lists_the_members_each_breaking_change_breaks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given display_name removed (ledger-app still imports it) and greet changed (the shop
    # uses it through the module)
    root = _breaking_api_change(tmp_path)

    # when
    code = main(["--root", str(root), "plan", "--format", "json"])
    plan = json.loads(capsys.readouterr().out)
    assert main(["--root", str(root), "plan"]) == 1
    text = capsys.readouterr().out

    # then each breaking change names its users; the removed name still used is refused
    people = plan["packages"][0]
    assert code == 1
    assert [(b["change"], b["member"], b["usage"], b["status"]) for b in people["breaks"]] == [
        (
            "api.py removes display_name",
            "ledger-app",
            "packages/ledger-app/src/ledger_app/services.py:1 imports display_name",
            "broken",
        ),
        (
            "api.py adds required parameter greet(loud)",
            "shop",
            "apps/shop/src/shop/greeting.py:4 uses api.greet",
            "uses",
        ),
    ]
    assert plan["broken"] == [
        "people-app: api.py removes display_name, which ledger-app still uses: "
        "packages/ledger-app/src/ledger_app/services.py:1 imports display_name"
    ]
    assert (
        "    api.py removes display_name: major\n"
        "      breaks ledger-app: packages/ledger-app/src/ledger_app/services.py:1 imports "
        "display_name\n"
    ) in text
    assert (
        "    api.py adds required parameter greet(loud): major\n"
        "      breaks shop: apps/shop/src/shop/greeting.py:4 uses api.greet\n"
    ) in text


def test_version_refuses_a_release_that_breaks_another_member(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    root = _breaking_api_change(tmp_path)
    before = tree_state(root)

    # when
    code = main(["--root", str(root), "version", "--yes"])

    # then
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(
        "error[MR060]: the release would break other workspace members:\n"
        "  people-app: api.py removes display_name, which ledger-app still uses: "
        "packages/ledger-app/src/ledger_app/services.py:1 imports display_name\n"
    )
    assert tree_state(root) == before


def test_semver_names_the_members_each_breaking_change_breaks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    root = _breaking_api_change(tmp_path)
    # when
    assert main(["--root", str(root), "semver", "people-app"]) == 0
    # then under each breaking change, its users
    out = capsys.readouterr().out
    assert (
        "  major  api.py removes display_name  [packages/people-app/src/people_app/api.py]\n"
        "         needs a `breaking` fragment\n"
        "         breaks ledger-app: packages/ledger-app/src/ledger_app/services.py:1 imports "
        "display_name\n"
    ) in out
