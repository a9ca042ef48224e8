"""EphemeralPostgres runs a real throwaway cluster; the plugin picks the session database."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
from monorel.errors import ToolError, UsageError
from monorel.postgres import EphemeralPostgres
from monorel.pytest_plugin import DatabaseChoice, choose_database


def _process_running(pid: int) -> bool:
    # a zombie (exited, not yet reaped by whoever adopted it) has stopped running
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "zombie" not in state


def test_monorel_postgres_cluster_serves_template_copies_and_cleans_up() -> None:
    # given a started cluster with a template database holding one row
    pg = EphemeralPostgres().start()
    pid, root = pg.pid, pg.root
    try:
        assert pg.url == f"postgres://postgres@127.0.0.1:{pg.port}/postgres"
        template_url = pg.create_database("monorel_template")
        with psycopg.connect(template_url, autocommit=True) as conn:
            conn.execute("CREATE TABLE marker (name text)")
            conn.execute("INSERT INTO marker VALUES ('seeded')")

        # when a database is created from the template
        copy_url = pg.create_database("monorel_copy", template="monorel_template")

        # then it holds the template's data
        assert copy_url == f"postgres://postgres@127.0.0.1:{pg.port}/monorel_copy"
        with psycopg.connect(copy_url) as conn:
            assert conn.execute("SELECT name FROM marker").fetchall() == [("seeded",)]
            assert conn.execute("SHOW fsync").fetchone() == ("off",)
        assert _process_running(pid)
    finally:
        # when it stops
        pg.stop()

    # then its postmaster is gone and its directory removed; a second stop is a no-op
    assert not _process_running(pid)
    assert not root.exists()
    pg.stop()


def test_monorel_postgres_context_manager_drops_databases() -> None:
    with EphemeralPostgres() as pg:
        # given a database
        url = pg.create_database("monorel_scratch")

        # when it is dropped
        pg.drop_database("monorel_scratch")

        # then connecting to it fails
        with pytest.raises(psycopg.OperationalError, match="monorel_scratch"):
            psycopg.connect(url).close()
        root = pg.root
    assert not root.exists()


def test_monorel_postgres_rejects_names_that_are_not_plain_identifiers() -> None:
    pg = EphemeralPostgres()
    with pytest.raises(UsageError) as excinfo:
        pg.url_for('x"; DROP DATABASE postgres; --')
    assert excinfo.value.code == "MR002"


def test_monorel_postgres_without_initdb_is_a_tool_error_and_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given a PATH without the PostgreSQL binaries
    monkeypatch.setenv("PATH", str(tmp_path))
    before = set(Path(tempfile.gettempdir()).glob("monorel-pg-*"))

    # when a cluster is started
    with pytest.raises(ToolError) as excinfo:
        EphemeralPostgres().start()

    # then the error names initdb and how to fix it, and no directory was made
    assert excinfo.value.code == "MR010"
    assert excinfo.value.message.startswith("`initdb` is not installed or not on PATH")
    assert "PATH" in excinfo.value.fix
    assert set(Path(tempfile.gettempdir()).glob("monorel-pg-*")) == before


def test_monorel_postgres_properties_need_a_running_cluster() -> None:
    with pytest.raises(UsageError, match="not running"):
        _ = EphemeralPostgres().url


@pytest.mark.parametrize(
    ("flag", "environ", "expected"),
    [
        (False, {}, DatabaseChoice(url=None, ephemeral=False)),
        (True, {}, DatabaseChoice(url=None, ephemeral=True)),
        (
            False,
            {"TEST_DATABASE_URL": "postgres://u@db/x"},
            DatabaseChoice("postgres://u@db/x", False),
        ),
        # an existing server wins: no cluster is started
        (
            True,
            {"TEST_DATABASE_URL": "postgres://u@db/x"},
            DatabaseChoice("postgres://u@db/x", False),
        ),
        (True, {"TEST_DATABASE_URL": "  "}, DatabaseChoice(url=None, ephemeral=True)),
    ],
)
def test_monorel_postgres_plugin_chooses_the_session_database(
    flag: bool, environ: dict[str, str], expected: DatabaseChoice
) -> None:
    assert choose_database(postgres_flag=flag, environ=environ) == expected


def test_monorel_postgres_plugin_without_postgres_is_an_error_and_fix_pair(
    tmp_path: Path,
) -> None:
    # given a PATH with python but without the PostgreSQL binaries, and a passing test
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    env = {**os.environ, "PATH": str(bin_dir)}
    env.pop("TEST_DATABASE_URL", None)

    # when the suite is run with --postgres
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--postgres", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    # then it stops before running anything with the error and the fix, no traceback
    assert done.returncode == 4
    assert done.stderr.strip().splitlines() == [
        "ERROR: error[MR070]: pytest --postgres cannot start a throwaway PostgreSQL cluster: "
        "`initdb` is not installed or not on PATH: cannot start an ephemeral PostgreSQL",
        "  fix: install the PostgreSQL server (e.g. apt-get install postgresql) and put its "
        "bin directory (initdb, pg_ctl, postgres) on PATH; or run the suite on SQLite "
        "(without --postgres), or point it at a running server with "
        "TEST_DATABASE_URL=postgres://USER@HOST:PORT/postgres",
    ]
    assert "Traceback" not in done.stdout + done.stderr
