"""Generated rows (``rehearsal/_fill.py``) on models this repository did not write:
Django's own auth, admin and sessions apps, migrated into a real SQLite database.

The generator runs in a child process with its own Django settings, as it runs inside a
rehearsal venv; the test reads what it wrote with plain SQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import monorel.rehearsal

_REHEARSAL_DIR = Path(monorel.rehearsal.__file__).parent

_CHILD = textwrap.dedent(
    """
    import json, sys
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=[
            "django.contrib.contenttypes", "django.contrib.auth",
            "django.contrib.admin", "django.contrib.sessions",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": sys.argv[1]}},
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    import _fill

    call_command("migrate", verbosity=0)
    report = _fill.fill(["django.contrib.admin", "django.contrib.sessions"])
    facts = {}
    with connection.cursor() as cursor:
        for name, sql in [
            ("users", "SELECT COUNT(*) FROM auth_user"),
            ("staff values", "SELECT COUNT(DISTINCT is_staff) FROM auth_user"),
            ("null last_login", "SELECT COUNT(*) FROM auth_user WHERE last_login IS NULL"),
            ("set last_login", "SELECT COUNT(*) FROM auth_user WHERE last_login IS NOT NULL"),
            ("longest username", "SELECT MAX(LENGTH(username)) FROM auth_user"),
            ("action flags", "SELECT COUNT(DISTINCT action_flag) FROM django_admin_log"),
            ("null object_id", "SELECT COUNT(*) FROM django_admin_log WHERE object_id IS NULL"),
            ("user groups", "SELECT COUNT(*) FROM auth_user_groups"),
            ("sessions", "SELECT COUNT(*) FROM django_session"),
            ("content types", "SELECT COUNT(*) FROM django_content_type"),
        ]:
            cursor.execute(sql)
            facts[name] = cursor.fetchone()[0]
    print(json.dumps({"report": report, "facts": facts}))
    """
)


def test_rows_generated_for_djangos_own_apps_cover_nulls_choices_booleans_and_lengths(
    tmp_path: Path,
) -> None:
    # given Django's admin and sessions apps (and auth, which the admin's log points at)
    db = tmp_path / "db.sqlite3"
    # when their tables are filled from their models
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(db)],
        cwd=_REHEARSAL_DIR,
        env={"PYTHONPATH": str(_REHEARSAL_DIR), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    # then every table got a few dozen rows, none refused
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    report, facts = found["report"], found["facts"]
    assert sorted(report) == [
        "auth_group",
        "auth_group_permissions",
        "auth_user",
        "auth_user_groups",
        "auth_user_user_permissions",
        "django_admin_log",
        "django_session",
    ]
    for table in ("auth_group", "auth_user", "django_admin_log", "django_session"):
        assert 24 <= report[table]["inserted"] <= 60, (table, report[table])
        assert report[table]["refused"] == 0, (table, report[table])
    # and the rows hold what a real database holds
    assert facts["staff values"] == 2  # both booleans
    assert facts["null last_login"] > 0 and facts["set last_login"] > 0  # NULL and not
    assert facts["longest username"] == 150  # max_length characters
    assert facts["action flags"] == 3  # every choice: addition, change, deletion
    assert facts["null object_id"] > 0
    assert facts["user groups"] > 0  # many-to-many rows
    # and the content types Django keeps itself were left alone
    assert report.get("django_content_type") is None
    assert facts["content types"] == 6
