"""`monorel check` as a command: output formats, rule selection and exit codes."""

from __future__ import annotations

from pathlib import Path

from monorel_check_support import run_check
from monorel_workspaces import git, sample_members, set_version

ALL_RULES = "imports, django-refs, migrations, pins, metadata, makemigrations, fragments"
RULE_IDS = [
    "MR-IMPORT",
    "MR-DJREF",
    "MR-MIGRATION",
    "MR-PIN",
    "MR-METADATA",
    "MR-MAKEMIGRATIONS",
    "MR-FRAGMENT",
]


def test_a_clean_workspace_passes_every_rule_and_writes_nothing(ws: Path) -> None:
    # given the sample workspace, untouched
    # when every rule runs (makemigrations included)
    run = run_check(ws, json_output=False)
    # then
    assert (run.code, run.stdout, run.stderr) == (
        0,
        f"monorel check: clean (3 members; {ALL_RULES})\n",
        "",
    )
    # and the check left no file behind, not even an ignored one
    assert git(ws, "status", "--porcelain", "--ignored", "--untracked-files=all") == ""


def test_text_output_names_path_line_rule_message_and_fix(ws: Path) -> None:
    # given a stale host pin
    set_version(ws, sample_members()[0], "1.1.0")
    # when
    run = run_check(ws, "--rule", "pins", json_output=False)
    # then
    assert (run.code, run.stdout) == (
        1,
        'apps/shop/pyproject.toml:10: MR-PIN host shop declares "people-app==1.0.0" '
        "(==1.0.0), but people-app is 1.1.0 (its current version): uv ignores the pin of a "
        "workspace member\n"
        '  fix: pin "people-app==1.1.0" in apps/shop/pyproject.toml\n'
        "monorel check: 1 finding(s) (MR-PIN 1)\n",
    )


def test_json_output_has_a_stable_schema(ws: Path) -> None:
    # given a stale host pin
    set_version(ws, sample_members()[0], "1.1.0")
    # when imports and pins run
    run = run_check(ws, "--rule", "imports", "--rule", "MR-PIN")
    # then
    assert run.code == 1
    assert run.report == {
        "findings": [
            {
                "rule": "MR-PIN",
                "path": "apps/shop/pyproject.toml",
                "line": 10,
                "message": 'host shop declares "people-app==1.0.0" (==1.0.0), but people-app '
                "is 1.1.0 (its current version): uv ignores the pin of a workspace member",
                "fix": 'pin "people-app==1.1.0" in apps/shop/pyproject.toml',
            }
        ],
        "summary": {
            "total": 1,
            "by_rule": {"MR-IMPORT": 0, "MR-PIN": 1},
            "rules": ["MR-IMPORT", "MR-PIN"],
            "members": ["ledger-app", "people-app", "shop"],
            "exit_code": 1,
            "baselined": 0,
            "baseline_gone": 0,
            "suppressed": [],
        },
    }


def test_skip_leaves_out_rules(ws: Path) -> None:
    # given a stale pin, and the slow rules skipped
    set_version(ws, sample_members()[0], "1.1.0")
    # when pins is skipped too
    run = run_check(ws, "--skip", "makemigrations", "--skip", "pins", "--skip", "fragments")
    # then
    assert (run.code, run.report["summary"]["rules"]) == (0, RULE_IDS[:3] + ["MR-METADATA"])


def test_an_unknown_rule_is_a_usage_error(ws: Path) -> None:
    # when
    run = run_check(ws, "--rule", "nope")
    # then
    assert (run.code, run.stdout) == (2, "")
    assert run.stderr.startswith("error[MR002]: no rule named 'nope'\n  fix: use one of: imports")


def test_an_unknown_since_ref_is_a_usage_error(ws: Path) -> None:
    # when
    run = run_check(ws, "--rule", "fragments", "--since", "no-such-branch")
    # then
    assert (run.code, run.stdout) == (2, "")
    assert run.stderr == (
        f"error[MR002]: --since no-such-branch: no such git ref in {ws}\n"
        "  fix: name a branch, tag or commit that exists (fetch it first in CI)\n"
    )


def test_bad_configuration_exits_2_before_checking(ws: Path) -> None:
    # given an unknown key in [tool.monorel]
    pyproject = ws / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('org = "acme"', 'org = "acme"\nrulez = 1'))
    # when
    run = run_check(ws)
    # then
    assert (run.code, run.stdout) == (2, "")
    message, fix = run.stderr.splitlines()
    assert message == f"error[MR001]: {ws / 'pyproject.toml'}: unknown [tool.monorel] keys: rulez"
    assert fix.startswith("  fix: use only: ")
