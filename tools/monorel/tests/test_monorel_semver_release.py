"""The migration verdict in `monorel plan` and `monorel version`, and its refusals.

On the sample workspace (people-app <- ledger-app <- shop): operator notes are shown by
`plan`, need a `migration` fragment, and are written under "Migration" in the released
changelog; unclassified migrations make `plan` exit 1 and `version` refuse (MR032); bad
declarations (MR033), a bad operation table (MR001) and a missing PostgreSQL (MR034)
refuse with their error and fix, changing nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from monorel.cli import main
from monorel.semver import database
from monorel_release_support import tree_state
from monorel_workspaces import (
    GIT_ENV,
    commit_all,
    migration_source,
    sample_members,
    write,
    write_workspace,
)

MIGRATIONS = "packages/people-app/src/people_app/migrations"
_INDEX = 'migrations.AddIndex("person", models.Index(fields=["name"], name="person_name_idx"))'


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, semver_postgres: str) -> None:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(database.ENV, semver_postgres)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_workspace(tmp_path_factory.mktemp("semver-release") / "ws", sample_members())


@pytest.fixture
def ws(pristine: Path, tmp_path: Path) -> Path:
    from monorel_check_support import copy_workspace

    return copy_workspace(pristine, tmp_path / "ws")


def _add_migration(root: Path, operation: str, header: str = "") -> None:
    source = migration_source(operation, dependencies=[("people_app", "0001_initial")])
    write(root / MIGRATIONS / "0002_change.py", header + source)


def test_plan_shows_operator_notes_and_requires_a_migration_fragment(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given: an index on the existing person table, described only by a feature fragment
    _add_migration(ws, _INDEX)
    write(ws / "packages/people-app/changelog.d/+index.feature.md", "Faster lookups by name.\n")
    commit_all(ws, "index")

    # when
    code = main(["--root", str(ws), "plan"])

    # then: the note is shown, and the plan is refused for want of a migration fragment
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "  operator note `0002_change`: builds index person_name_idx on existing table "
        "people_app_person under a SHARE lock: writes wait until it is built "
        "(AddIndexConcurrently does not block them)"
    ) in out.splitlines()
    assert (
        "  PROBLEM 0002_change.py AddIndex builds index person_name_idx on existing table "
        "people_app_person: needs a `breaking` or `migration` fragment that says what "
        "operators must do"
    ) in out.splitlines()


def test_version_writes_operator_notes_under_migrations(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given: the index, with the migration fragment operators need
    _add_migration(ws, _INDEX)
    write(
        ws / "packages/people-app/changelog.d/+index.migration.md",
        "Adds an index on person names; build it concurrently first on big tables.\n",
    )
    commit_all(ws, "index")

    # when
    code = main(["--root", str(ws), "version", "--yes"])

    # then: the released section holds the fragment and the note, under the migration type
    assert code == 0, capsys.readouterr().err
    changelog = (ws / "packages/people-app/CHANGELOG.md").read_text(encoding="utf-8")
    section = changelog.split("\n## Migration\n", 1)[1]
    assert "- Adds an index on person names; build it concurrently first on big tables.\n" in (
        section
    )
    assert (
        "- Builds index person_name_idx on existing table people_app_person under a SHARE "
        "lock: writes wait until it is built (AddIndexConcurrently does not block them) "
        '(migration `people_app.migrations.0002_change`, `CREATE INDEX "person_name_idx" ON '
        '"people_app_person" ("name")`).\n'
    ) in section
    # and the generated fragments were consumed like the others
    left = [p.name for p in (ws / "packages/people-app/changelog.d").iterdir()]
    assert [name for name in left if name.endswith(".md")] == []


def test_version_refuses_unclassified_migrations_and_changes_nothing(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given: a migration whose PL/pgSQL block SQL cannot show, with a breaking fragment
    _add_migration(ws, 'migrations.RunSQL("DO $$ BEGIN PERFORM 1; END $$", migrations.RunSQL.noop)')
    write(ws / "packages/people-app/changelog.d/+do.breaking.md", "Runs a block.\n")
    commit_all(ws, "do block")
    before = tree_state(ws)

    # when
    plan_code = main(["--root", str(ws), "plan"])
    plan_out = capsys.readouterr().out
    version_code = main(["--root", str(ws), "version", "--yes"])
    err = capsys.readouterr().err

    # then: plan exits 1 naming it, version refuses with MR032, and nothing changed
    assert plan_code == 1
    assert "  unclassified 0002_change.py RunSQL: Raw SQL operation: PostgreSQL statement " in (
        plan_out
    )
    assert version_code == 1
    assert err.startswith(
        "error[MR032]: migrations the semver verdict could not judge:\n"
        "  people-app: 0002_change.py RunSQL: Raw SQL operation: PostgreSQL statement DoStmt "
        "cannot be judged from SQL: DO $$ BEGIN PERFORM 1; END $$"
    )
    assert "  fix: declare each one's bump with a `# monorel: LEVEL -- reason` line" in err
    assert tree_state(ws) == before


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "# monorel: big -- oops\n",
            "error[MR033]: packages/people-app/src/people_app/migrations/0002_change.py:1: "
            "'# monorel: big -- oops' is not a declaration monorel reads",
        ),
        (
            "# monorel: none\n",
            "error[MR033]: packages/people-app/src/people_app/migrations/0002_change.py:1 "
            "declares none, below the major its SQL and state show (RemoveField removes field "
            "Person.name), without a reason",
        ),
    ],
    ids=["malformed", "lowers-without-reason"],
)
def test_bad_declarations_are_refused(
    ws: Path, capsys: pytest.CaptureFixture[str], header: str, message: str
) -> None:
    # given
    _add_migration(ws, 'migrations.RemoveField("person", "name")', header=header)
    before = tree_state(ws)

    # when
    code = main(["--root", str(ws), "semver", "people-app"])

    # then
    assert code == 1
    assert capsys.readouterr().err.splitlines()[0] == message
    assert tree_state(ws) == before


def test_a_bad_operation_table_is_a_configuration_error(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    pyproject = ws / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8")
        + '\n[tool.monorel.migration-operations]\n"NotDotted" = "sql"\n'
        + '"pkg.ops.Backfill" = { bump = "huge" }\n',
        encoding="utf-8",
    )
    _add_migration(ws, _INDEX)

    # when
    code = main(["--root", str(ws), "semver", "people-app"])

    # then
    assert code == 2
    assert capsys.readouterr().err.splitlines()[:3] == [
        "error[MR001]: [tool.monorel.migration-operations] is not valid:",
        "  - 'NotDotted' is not a dotted class path (module.Class)",
        '  - pkg.ops.Backfill: bump = \'huge\' is not one of "none" | "patch" | "minor" | '
        '"major" | "sql"',
    ]


def test_no_postgresql_for_new_migrations_exits_2(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: new migrations, no server given, and a PATH with git but no initdb
    _add_migration(ws, _INDEX)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    monkeypatch.delenv(database.ENV)
    monkeypatch.setenv("PATH", str(bin_dir))
    database.stop_shared()

    # when
    code = main(["--root", str(ws), "semver", "people-app", "--format", "json"])

    # then
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "error[MR034]: people-app's 1 new or edited migration(s) needs PostgreSQL to see the "
        "SQL they run, and no server could be started: `initdb` is not installed or not on PATH"
    )
    assert f"set {database.ENV}=postgres://" in err


def test_a_bad_database_url_exits_2(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_migration(ws, _INDEX)
    monkeypatch.setenv(database.ENV, "mysql://db")

    code = main(["--root", str(ws), "semver", "people-app"])

    assert code == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        f"error[MR034]: {database.ENV}='mysql://db' is not a PostgreSQL URL"
    )


def test_json_of_a_declared_migration(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # given: an index declared patch with a reason
    _add_migration(ws, _INDEX, header="# monorel: patch -- people holds 20 rows\n")

    # when
    code = main(["--root", str(ws), "semver", "people-app", "--format", "json"])

    # then: the declaration is the verdict and an operator note; the lock note stays
    verdict = json.loads(capsys.readouterr().out)
    assert code == 0
    assert verdict["required"] == "patch"
    assert [n["note"] for n in verdict["operator_notes"]] == [
        "builds index person_name_idx on existing table people_app_person under a SHARE lock: "
        "writes wait until it is built (AddIndexConcurrently does not block them)",
        "declared patch: people holds 20 rows (monorel found minor)",
    ]
