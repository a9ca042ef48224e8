"""Adopting `monorel check` on a codebase with findings: the baseline, suppression in the
code, workflow annotations, and the changes that need no release (tests/, docs/, skip)."""

from __future__ import annotations

import json
from pathlib import Path

from monorel.cli import main
from monorel_check_support import run_check
from monorel_workspaces import commit_all, git, write

LEDGER_SERVICES = "packages/ledger-app/src/ledger_app/services.py"
PEOPLE = "packages/people-app"
# a deep import of people_app's internals: one MR-IMPORT finding on line 1
DEEP_IMPORT = "from people_app.models import Person\n"


def _break_boundary(ws: Path, source: str = DEEP_IMPORT) -> None:
    path = ws / LEDGER_SERVICES
    path.write_text(source + path.read_text(encoding="utf-8"), encoding="utf-8")


def test_a_baseline_is_written_then_only_new_findings_fail(ws: Path, tmp_path: Path) -> None:
    # given a workspace with one finding today
    _break_boundary(ws)
    baseline = tmp_path / "baseline.json"

    # when checked with a baseline that does not exist yet
    first = run_check(ws, "--rule", "imports", "--baseline", str(baseline), json_output=False)

    # then it records today's finding and passes
    assert first.code == 0, first.stdout
    assert first.stdout.splitlines()[-1] == (
        f"wrote the baseline {baseline}: 1 finding(s) recorded; from now on only new findings fail"
    )
    assert json.loads(baseline.read_text()) == {
        "schema": "monorel.baseline/1",
        "findings": [
            {
                "rule": "MR-IMPORT",
                "path": LEDGER_SERVICES,
                "message": "ledger_app.services imports people_app.models, which is not a public "
                "module of people-app (public: people_app.api)",
                "count": 1,
            }
        ],
    }
    written = baseline.read_bytes()

    # when lines move above the finding, and then a second violation is added
    _break_boundary(ws, "\n\n# moved down\n")
    moved = run_check(ws, "--rule", "imports", "--baseline", str(baseline))
    _break_boundary(ws, "from people_app.apps import PeopleAppConfig\n")
    new = run_check(ws, "--rule", "imports", "--baseline", str(baseline))

    # then the moved finding still matches, and only the new one fails
    assert (moved.code, moved.findings, moved.report["summary"]["baselined"]) == (0, [], 1)
    assert new.code == 1
    assert [(f["path"], f["line"], f["message"]) for f in new.findings] == [
        (
            LEDGER_SERVICES,
            1,
            "ledger_app.services imports people_app.apps, which is not a public module of "
            "people-app (public: people_app.api)",
        )
    ]
    assert baseline.read_bytes() == written  # honoured, never rewritten by a plain run


def test_a_fixed_baselined_finding_is_reported_gone_and_update_drops_it(
    ws: Path, tmp_path: Path
) -> None:
    # given a baseline of one finding, which is then fixed
    _break_boundary(ws)
    baseline = tmp_path / "baseline.json"
    run_check(ws, "--rule", "imports", "--baseline", str(baseline))
    (ws / LEDGER_SERVICES).write_text(
        (ws / LEDGER_SERVICES).read_text().replace(DEEP_IMPORT, ""), encoding="utf-8"
    )

    # when checked, then updated
    gone = run_check(ws, "--rule", "imports", "--baseline", str(baseline), json_output=False)
    update = ["--rule", "imports", "--baseline", str(baseline), "--update-baseline"]
    updated = run_check(ws, *update, json_output=False)

    # then the first run says it is gone, the update empties the baseline
    assert gone.code == 0
    assert gone.stdout.splitlines()[-1] == (
        "1 baselined finding(s) no longer occur: --update-baseline drops them"
    )
    assert updated.code == 0
    assert json.loads(baseline.read_text())["findings"] == []


def test_a_file_that_is_not_a_baseline_is_a_usage_error(ws: Path, tmp_path: Path) -> None:
    # given a baseline file of another tool
    baseline = tmp_path / "baseline.json"
    baseline.write_text('{"version": 2}')

    # when checked with it / then exit 2 names the file and how to write a real one
    run = run_check(ws, "--rule", "imports", "--baseline", str(baseline))
    assert (run.code, run.stdout) == (2, "")
    assert run.stderr == (
        f"error[MR086]: {baseline} is not a monorel baseline: schema is None, not "
        "'monorel.baseline/1'\n"
        f"  fix: write it anew with `monorel check --baseline {baseline} --update-baseline`\n"
    )


def test_a_finding_is_suppressed_in_the_code_only_with_a_reason(ws: Path) -> None:
    # given one suppression with a reason (on the line) and one without (above the line)
    _break_boundary(
        ws,
        "from people_app.models import Person  # monorel: ignore[MR-IMPORT] until 2.0\n"
        "# monorel: ignore[imports]\n"
        "from people_app.apps import PeopleAppConfig\n",
    )

    # when checked
    run = run_check(ws, "--rule", "imports")

    # then the first is suppressed, with its reason; the second still fails, and so does
    # the suppression that gives no reason
    assert run.code == 1
    assert [(f["rule"], f["line"]) for f in run.findings] == [("MR-IGNORE", 2), ("MR-IMPORT", 3)]
    assert run.findings[0]["message"] == (
        "suppression of MR-IMPORT without a reason: it suppresses nothing"
    )
    assert [(s["line"], s["reason"]) for s in run.report["summary"]["suppressed"]] == [
        (1, "until 2.0")
    ]


def test_github_format_prints_one_annotation_per_finding(ws: Path) -> None:
    # given one finding
    _break_boundary(ws)

    # when checked for GitHub
    run = run_check(ws, "--rule", "imports", "--format", "github", json_output=False)

    # then it is a workflow command on the file and line, message and fix escaped
    assert run.code == 1
    assert run.stdout.splitlines() == [
        f"::error file={LEDGER_SERVICES},line=1,title=MR-IMPORT::ledger_app.services imports "
        "people_app.models, which is not a public module of people-app (public: "
        "people_app.api)%0Afix: import it from people_app.api (export it there if it is "
        "missing), or list the module in [tool.monorel.packages.people-app] public-modules",
        "monorel check: 1 finding(s) (MR-IMPORT 1)",
    ]


def test_changes_only_under_tests_or_docs_need_no_fragment(ws: Path) -> None:
    # given a released people-app (history: its version's commit) changed only in tests/
    # and docs/
    write(ws / PEOPLE / "tests/test_people_more.py", "def test_more():\n    assert True\n")
    write(ws / PEOPLE / "docs/usage.md", "# Using people-app\n")
    commit_all(ws, "tests and docs")

    # when the fragments rule runs / then nothing is asked for
    clean = run_check(ws, "--rule", "fragments")
    assert (clean.code, clean.findings) == (0, [])

    # and a change of its code still is
    write(ws / PEOPLE / "src/people_app/extra.py", "X = 1\n")
    dirty = run_check(ws, "--rule", "fragments")
    assert [f["message"] for f in dirty.findings] == [
        "people-app changed since its release 1.0.0 (history "
        f"{git(ws, 'rev-list', '--max-parents=0', 'HEAD')[:12]}) "
        "(packages/people-app/src/people_app/extra.py) but has no fragment"
    ]


def test_a_skip_fragment_covers_what_came_before_it_not_what_comes_after(ws: Path) -> None:
    # given a code change recorded with `monorel add --empty` and committed
    write(ws / PEOPLE / "src/people_app/extra.py", "X = 1\n")
    assert main(["--root", str(ws), "add", "--empty", "people-app", "internal", "rename"]) == 0
    fragment = ws / PEOPLE / "changelog.d/+internal-rename.skip.md"
    assert fragment.read_text() == "internal rename\n"
    covered = run_check(ws, "--rule", "fragments")
    commit_all(ws, "internal change, nothing to release")
    still = run_check(ws, "--rule", "fragments")

    # when the code changes again after that commit
    write(ws / PEOPLE / "src/people_app/extra.py", "X = 2\n")
    later = run_check(ws, "--rule", "fragments")

    # then the skip fragment covered the first change (uncommitted and committed), not the
    # second, and the plan releases nothing for it
    assert (covered.code, still.code) == (0, 0)
    assert later.code == 1
    assert later.findings[0]["message"].startswith("people-app changed since its skip fragment (")
    assert later.findings[0]["message"].endswith(
        "(packages/people-app/src/people_app/extra.py) but has no fragment"
    )
