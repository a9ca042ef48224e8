"""MR-METADATA: what a released package ships bounds every workspace dependency."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from monorel_check_support import finding, run_check

LEDGER_PYPROJECT = "packages/ledger-app/pyproject.toml"
UNBOUNDED = (
    'ledger-app requires "people-app" with no version range in {source}: '
    "installed from an index it would accept any people-app"
)


def _edit(ws: Path, old: str, new: str) -> None:
    pyproject = ws / LEDGER_PYPROJECT
    text = pyproject.read_text()
    assert old in text
    pyproject.write_text(text.replace(old, new))


def test_bounded_workspace_dependencies_pass(ws: Path) -> None:
    # given ledger-app requiring "people-app>=1.0,<2"
    # when
    run = run_check(ws, "--rule", "metadata")
    # then
    assert (run.code, run.findings) == (0, [])


def test_a_bare_workspace_dependency_is_reported(ws: Path) -> None:
    # given ledger-app requiring a bare "people-app" (uv resolves it locally via sources)
    _edit(ws, '"people-app>=1.0,<2"', '"people-app"')
    # when
    run = run_check(ws, "--rule", "metadata")
    # then
    assert run.code == 1
    assert run.findings == [
        finding(
            "MR-METADATA",
            LEDGER_PYPROJECT,
            10,
            UNBOUNDED.format(source="[project] of pyproject.toml"),
            'declare "people-app>=1.0.0,<2"',
        )
    ]


def test_an_extra_with_a_bare_workspace_dependency_is_reported(ws: Path) -> None:
    # given an optional dependency on a bare workspace member
    _edit(
        ws,
        "\n[tool.hatch.build",
        '\n[project.optional-dependencies]\npeople = ["people-app"]\n\n[tool.hatch.build',
    )
    # when
    run = run_check(ws, "--rule", "metadata")
    # then
    assert [(f["path"], f["line"], f["message"]) for f in run.findings] == [
        (LEDGER_PYPROJECT, 14, UNBOUNDED.format(source="[project] of pyproject.toml"))
    ]


def test_dynamic_dependencies_cannot_be_read_statically(ws: Path) -> None:
    # given ledger-app computing its dependencies
    _edit(
        ws,
        'requires-python = ">=3.11"\n',
        'requires-python = ">=3.11"\ndynamic = ["dependencies"]\n',
    )
    _edit(ws, 'dependencies = [\n    "people-app>=1.0,<2",\n]\n', "")
    # when
    run = run_check(ws, "--rule", "metadata")
    # then
    assert run.findings == [
        finding(
            "MR-METADATA",
            LEDGER_PYPROJECT,
            1,
            "ledger-app computes its dependencies (dynamic), so pyproject.toml does not show "
            "what the wheel will require",
            "declare [project].dependencies statically, or run `monorel check --build` to "
            "read the built metadata",
        )
    ]


@pytest.mark.skipif(shutil.which("uv") is None, reason="--build needs uv")
def test_build_reads_requires_dist_from_the_built_wheel(ws: Path) -> None:
    # given a bare dependency, and only ledger-app released (one wheel to build)
    _edit(ws, '"people-app>=1.0,<2"', '"people-app"')
    pyproject = ws / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + "\n[tool.monorel.packages.people-app]\nrelease = false\n"
    )
    # when
    run = run_check(ws, "--rule", "metadata", "--build")
    # then
    assert run.findings == [
        finding(
            "MR-METADATA",
            LEDGER_PYPROJECT,
            10,
            UNBOUNDED.format(source="the built wheel's METADATA"),
            'declare "people-app>=1.0.0,<2"',
        )
    ]
