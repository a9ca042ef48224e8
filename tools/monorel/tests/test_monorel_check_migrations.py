"""MR-MIGRATION: migrations are owned by their app, declared, bounded and acyclic."""

from __future__ import annotations

from pathlib import Path

from monorel_check_support import finding, run_check
from monorel_workspaces import (
    commit_all,
    migration_source,
    sample_members,
    set_version,
    write,
)

PEOPLE_MIGRATIONS = "packages/people-app/src/people_app/migrations"
LEDGER_MIGRATIONS = "packages/ledger-app/src/ledger_app/migrations"
ADD_EMAIL = 'migrations.AddField(model_name="person", name="email", field=models.EmailField())'


def test_owned_declared_migrations_pass(ws: Path) -> None:
    # given ledger's 0001 depending on ("people_app", "0001_initial"), declared people-app>=1.0
    # when
    run = run_check(ws, "--rule", "migrations")
    # then
    assert (run.code, run.findings) == (0, [])


def test_operations_on_another_apps_model_are_reported(ws: Path) -> None:
    # given a people_app migration that alters ledger's Entry, directly and in state only
    write(
        ws / PEOPLE_MIGRATIONS / "0002_entry_note.py",
        migration_source(
            'migrations.AddField(model_name="entry", name="note", field=models.TextField())',
            'migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel("Entry")])',
            dependencies=[("people_app", "0001_initial")],
        ),
    )
    # when
    run = run_check(ws, "--rule", "migrations")
    # then
    fix = "let 'ledger_app' own changes to its models (expose what you need through its API)"
    path = f"{PEOPLE_MIGRATIONS}/0002_entry_note.py"
    assert run.findings == [
        finding(
            "MR-MIGRATION",
            path,
            9,
            "AddField operates on model 'entry' (a model of app 'ledger_app') "
            "from a migration of app 'people_app'",
            fix,
        ),
        finding(
            "MR-MIGRATION",
            path,
            10,
            "DeleteModel operates on model 'entry' (a model of app 'ledger_app') "
            "from a migration of app 'people_app'",
            fix,
        ),
    ]


def test_runsql_on_another_apps_table_is_reported(ws: Path) -> None:
    # given a ledger migration that rewrites people's table
    write(
        ws / LEDGER_MIGRATIONS / "0002_upper_names.py",
        migration_source(
            'migrations.RunSQL("UPDATE people_app_person SET name = upper(name)", '
            "migrations.RunSQL.noop)",
            dependencies=[("ledger_app", "0001_initial")],
        ),
    )
    # when
    run = run_check(ws, "--rule", "migrations")
    # then
    assert run.findings == [
        finding(
            "MR-MIGRATION",
            f"{LEDGER_MIGRATIONS}/0002_upper_names.py",
            9,
            "RunSQL in a migration of app 'ledger_app' touches table 'people_app_person' "
            "of app 'people_app'",
            "change 'people_app''s tables only in 'people_app''s migrations",
        )
    ]


def test_an_undeclared_migration_dependency_and_its_cycle_are_reported(ws: Path) -> None:
    # given people_app depending on ledger_app's migration (ledger already depends on people)
    write(
        ws / PEOPLE_MIGRATIONS / "0002_person_email.py",
        migration_source(ADD_EMAIL, dependencies=[("ledger_app", "0001_initial")]),
    )
    # when
    run = run_check(ws, "--rule", "migrations")
    # then
    people_0002 = f"{PEOPLE_MIGRATIONS}/0002_person_email.py"
    ledger_0001 = f"{LEDGER_MIGRATIONS}/0001_initial.py"
    assert run.findings == [
        finding(
            "MR-MIGRATION",
            ledger_0001,
            7,
            "cross-package migration dependencies form a cycle: ledger-app -> people-app -> "
            f"ledger-app ({ledger_0001}:7, {people_0002}:6)",
            "make the migrations depend one way, along the declared package dependencies",
        ),
        finding(
            "MR-MIGRATION",
            people_0002,
            6,
            "migration dependency ('ledger_app', '0001_initial') makes people-app depend on "
            "ledger-app, which people-app does not declare in [project].dependencies",
            'declare "ledger-app>=1.0.0,<2" in packages/people-app/pyproject.toml, '
            "or remove the dependency",
        ),
    ]


def test_a_dependency_on_a_missing_migration_is_reported(ws: Path) -> None:
    # given ledger depending on a people_app migration that does not exist
    write(
        ws / LEDGER_MIGRATIONS / "0002_later.py",
        migration_source(dependencies=[("people_app", "0009_nope")]),
    )
    # when
    run = run_check(ws, "--rule", "migrations")
    # then
    assert run.findings == [
        finding(
            "MR-MIGRATION",
            f"{LEDGER_MIGRATIONS}/0002_later.py",
            6,
            "migration dependency ('people_app', '0009_nope') names no migration of people-app",
            f"depend on an existing migration in {PEOPLE_MIGRATIONS}",
        )
    ]


def test_a_lower_bound_below_the_first_release_with_the_migration_is_reported(
    ws: Path,
) -> None:
    # given people-app 1.1.0 released (in history) with 0002_person_email
    write(ws / PEOPLE_MIGRATIONS / "0002_person_email.py", migration_source(ADD_EMAIL))
    people = sample_members()[0]
    set_version(ws, people, "1.1.0")
    commit_all(ws, "people-app 1.1.0")
    # and ledger depending on that migration while still admitting people-app 1.0
    write(
        ws / LEDGER_MIGRATIONS / "0002_after_email.py",
        migration_source(dependencies=[("people_app", "0002_person_email")]),
    )
    # when
    run = run_check(ws, "--rule", "migrations")
    # then
    assert run.findings == [
        finding(
            "MR-MIGRATION",
            "packages/ledger-app/pyproject.toml",
            10,
            '"people-app<2,>=1.0" admits people-app releases without migration '
            "('people_app', '0002_person_email'), first released in people-app 1.1.0 "
            f"(needed by {LEDGER_MIGRATIONS}/0002_after_email.py:6)",
            'declare "people-app>=1.1.0,<2"',
        )
    ]
    # and when the range is raised as the fix says, the rule passes
    pyproject = ws / "packages/ledger-app/pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("people-app>=1.0,<2", "people-app>=1.1.0,<2")
    )
    assert run_check(ws, "--rule", "migrations").findings == []


def test_an_unreleased_migration_sets_no_lower_bound_yet(ws: Path) -> None:
    # given people's new migration, not in any release point yet, and ledger depending on it
    write(ws / PEOPLE_MIGRATIONS / "0002_person_email.py", migration_source(ADD_EMAIL))
    write(
        ws / LEDGER_MIGRATIONS / "0002_after_email.py",
        migration_source(dependencies=[("people_app", "0002_person_email")]),
    )
    # when
    run = run_check(ws, "--rule", "migrations")
    # then history does not tell a version yet: nothing to report
    assert (run.code, run.findings) == (0, [])
