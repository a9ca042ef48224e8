"""MR-PIN: the host pins each workspace dependency to the version it really runs."""

from __future__ import annotations

from pathlib import Path

from monorel_check_support import finding, run_check
from monorel_workspaces import commit_all, git, sample_members, set_version, write_workspace

HOST_PYPROJECT = "apps/shop/pyproject.toml"


def _released_pins(ws: Path) -> None:
    pyproject = ws / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('org = "acme"\n', 'org = "acme"\nhost-pins = "released"\n')
    )


def test_pins_equal_to_current_versions_pass(ws: Path) -> None:
    # given the host pinning people-app==1.0.0 and ledger-app==1.0.0, both at 1.0.0
    # when
    run = run_check(ws, "--rule", "pins")
    # then
    assert (run.code, run.findings) == (0, [])


def test_a_stale_pin_names_both_versions(ws: Path) -> None:
    # given people-app moved to 1.1.0 while the host still pins 1.0.0
    set_version(ws, sample_members()[0], "1.1.0")
    # when
    run = run_check(ws, "--rule", "pins")
    # then
    assert run.code == 1
    assert run.findings == [
        finding(
            "MR-PIN",
            HOST_PYPROJECT,
            10,
            'host shop declares "people-app==1.0.0" (==1.0.0), but people-app is 1.1.0 '
            "(its current version): uv ignores the pin of a workspace member",
            'pin "people-app==1.1.0" in apps/shop/pyproject.toml',
        )
    ]


def test_a_range_is_not_a_pin(ws: Path) -> None:
    # given the host asking for a range of ledger-app
    pyproject = ws / HOST_PYPROJECT
    pyproject.write_text(pyproject.read_text().replace("ledger-app==1.0.0", "ledger-app>=1.0"))
    # when
    run = run_check(ws, "--rule", "pins")
    # then
    assert run.findings == [
        finding(
            "MR-PIN",
            HOST_PYPROJECT,
            11,
            'host shop declares "ledger-app>=1.0" (>=1.0), but ledger-app is 1.0.0 '
            "(its current version): uv ignores the pin of a workspace member",
            'pin "ledger-app==1.0.0" in apps/shop/pyproject.toml',
        )
    ]


def test_released_mode_wants_the_last_release_not_the_working_version(ws: Path) -> None:
    # given host-pins = "released", people-app released as 1.1.0 and now at 1.2.0 unreleased
    _released_pins(ws)
    people = sample_members()[0]
    set_version(ws, people, "1.1.0")
    released = commit_all(ws, "people-app 1.1.0")
    set_version(ws, people, "1.2.0")
    # when the host still pins 1.0.0
    run = run_check(ws, "--rule", "pins")
    # then it is told to pin the release, 1.1.0
    assert run.findings == [
        finding(
            "MR-PIN",
            HOST_PYPROJECT,
            10,
            'host shop declares "people-app==1.0.0" (==1.0.0), but people-app is 1.1.0 '
            f"(its last release, history {released[:12]}): uv ignores the pin of a "
            "workspace member",
            'pin "people-app==1.1.0" in apps/shop/pyproject.toml',
        )
    ]
    # and when pinned to 1.1.0, a tag for it counts just the same
    pyproject = ws / HOST_PYPROJECT
    pyproject.write_text(pyproject.read_text().replace("people-app==1.0.0", "people-app==1.1.0"))
    git(ws, "tag", "people-app-v1.1.0", released)
    assert run_check(ws, "--rule", "pins").findings == []


def test_released_mode_without_any_release_point_is_reported(tmp_path: Path) -> None:
    # given a workspace that is not a git repository, with host-pins = "released"
    ws = write_workspace(
        tmp_path / "ws",
        sample_members(),
        monorel_config='org = "acme"\nhost-pins = "released"\n',
        commit=None,
    )
    # when
    run = run_check(ws, "--rule", "pins")
    # then
    assert run.findings == [
        finding(
            "MR-PIN",
            HOST_PYPROJECT,
            line,
            f"host-pins = released, but {name} has no release point "
            f"(no tag {name}-v* and no version in history)",
            f'release {name} first, or set host-pins = "current"',
        )
        for name, line in (("people-app", 10), ("ledger-app", 11))
    ]
