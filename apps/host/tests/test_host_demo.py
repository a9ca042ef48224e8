"""`host-demo` brings a fresh host up (migrate, seed, check); running it again keeps the data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _demo(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["HOST_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-c", "from host.demo import main; raise SystemExit(main([]))"],
        cwd=data_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


EXPECTED = """\
System check identified no issues (0 silenced).
seed:     {seed}
database: sqlite3 {db}
accounts: 3
invoices: 4 (draft 1, open 2, paid 1)
payments: 2
admin:    http://127.0.0.1:8000/admin/  (create a user: uv run apps/host/manage.py createsuperuser)
api:      http://127.0.0.1:8000/api/invoices/1  (header Authorization: Bearer dev-only-api-token)
"""


def test_host_demo_on_a_fresh_database_and_again(tmp_path: Path) -> None:
    # when the demo runs on an empty data dir, then it migrates, seeds and summarises
    first = _demo(tmp_path)
    assert (first.returncode, first.stdout) == (
        0,
        EXPECTED.format(seed="loaded", db=tmp_path / "db.sqlite3"),
    ), first.stderr

    # when it runs again, then the data is kept as it is, not re-seeded
    second = _demo(tmp_path)
    assert (second.returncode, second.stdout) == (
        0,
        EXPECTED.format(
            seed="skipped (the database already has accounts)", db=tmp_path / "db.sqlite3"
        ),
    ), second.stderr
