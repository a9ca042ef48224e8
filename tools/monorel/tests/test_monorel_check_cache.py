"""The check cache: every rule's result per member in <state-dir>/check-cache.json.

A warm run must print exactly what a cold run and a ``--no-cache`` run print; a changed
input must be checked again; a damaged cache costs time, never a wrong answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from monorel_check_support import run_check

CACHE = ".monorel/check-cache.json"
_PERSON_EMAIL = '    email = models.EmailField(default="")\n'


def _entries(ws: Path) -> dict[str, dict]:
    return json.loads((ws / CACHE).read_text())["entries"]


def test_cold_warm_and_no_cache_runs_report_the_same_and_a_model_change_is_seen(
    ws: Path,
) -> None:
    # given a first run, which writes the cache
    cold = run_check(ws)
    assert cold.code == 0
    entries = _entries(ws)
    assert sorted(entries) == [
        "django-refs:ledger-app",
        "django-refs:people-app",
        "django-refs:shop",
        "imports",
        "makemigrations:ledger-app",
        "makemigrations:people-app",
        "makemigrations:shop",
        "migrations",
    ]
    # when it runs again, and once without the cache
    warm = run_check(ws)
    fresh = run_check(ws, "--no-cache")
    # then all three print the same, and --no-cache left the cache as it was
    assert (warm.code, warm.stdout, warm.stderr) == (cold.code, cold.stdout, "")
    assert (fresh.code, fresh.stdout, fresh.stderr) == (cold.code, cold.stdout, "")
    assert _entries(ws) == entries

    # given people's Person gains a field without a migration (ledger and the host
    # install people's app: their keys hold people's models too)
    models = ws / "packages/people-app/src/people_app/models.py"
    models.write_text(models.read_text() + _PERSON_EMAIL)
    # when the warm cache is asked
    changed = run_check(ws, "--rule", "makemigrations")
    # then the missing migration is found, as a run without the cache finds it
    assert changed.code == 1
    assert [(f["rule"], f["path"]) for f in changed.findings] == [
        ("MR-MAKEMIGRATIONS", "packages/people-app/src/people_app/migrations")
    ]
    assert "Add field email to person" in changed.findings[0]["message"]
    assert changed.stdout == run_check(ws, "--rule", "makemigrations", "--no-cache").stdout
    # and every makemigrations key that reads people's models changed; the partial run
    # kept the other rules' entries
    after = _entries(ws)
    assert {scope for scope in after if after[scope]["key"] != entries[scope]["key"]} == {
        "makemigrations:ledger-app",
        "makemigrations:people-app",
        "makemigrations:shop",
    }

    # when the change is undone
    models.write_text(models.read_text().replace(_PERSON_EMAIL, ""))
    # then the finding is gone again
    assert run_check(ws).stdout == cold.stdout


def test_a_warm_run_reads_the_stored_result_and_no_cache_does_not(ws: Path) -> None:
    # given a cache whose stored makemigrations output for people-app was replaced (same
    # key), which only a run that trusts the entry can print
    run_check(ws, "--rule", "makemigrations")
    data = json.loads((ws / CACHE).read_text())
    data["entries"]["makemigrations:people-app"]["value"] = {
        "returncode": 1,
        "stdout": "Migrations for 'people_app':\n  x.py\n    + Add field stored to person\n",
        "stderr": "",
        "outside": {},
        "listings": {},
    }
    (ws / CACHE).write_text(json.dumps(data))
    # when
    warm = run_check(ws, "--rule", "makemigrations")
    fresh = run_check(ws, "--rule", "makemigrations", "--no-cache")
    # then the warm run used the entry; --no-cache asked Django
    assert [f["message"].rsplit(": ", 1)[-1] for f in warm.findings] == [
        "Add field stored to person"
    ]
    assert (fresh.code, fresh.findings) == (0, [])


def test_a_corrupted_cache_is_discarded_with_a_warning_and_findings_stay_right(
    ws: Path,
) -> None:
    # given a model change without a migration, and a warm cache that was then damaged
    expected = run_check(ws, "--no-cache")
    run_check(ws)
    models = ws / "packages/people-app/src/people_app/models.py"
    models.write_text(models.read_text() + _PERSON_EMAIL)
    with_change = run_check(ws, "--no-cache")
    cache = ws / CACHE
    for damage in (b'{"schema": "monorel.check-cache/1", "entr', b'{"schema": "other/9"}', b"\xff"):
        cache.write_bytes(damage)
        # when
        run = run_check(ws)
        # then a warning names the file, and the findings are those of a full run
        assert run.stderr.startswith(f"monorel: warning: discarded the check cache {cache} (")
        assert run.stderr.endswith("; checking everything\n")
        assert (run.code, run.stdout) == (with_change.code, with_change.stdout)
        # and a sound cache was written in its place
        assert "makemigrations:people-app" in _entries(ws)
    # when the change is undone, the rewritten cache answers as a full run does
    models.write_text(models.read_text().replace(_PERSON_EMAIL, ""))
    again = run_check(ws)
    assert (again.code, again.stdout, again.stderr) == (expected.code, expected.stdout, "")


def test_an_entry_of_the_wrong_shape_is_checked_again(ws: Path) -> None:
    # given the stored findings of one rule replaced by something that is not findings
    cold = run_check(ws)
    data = json.loads((ws / CACHE).read_text())
    data["entries"]["imports"]["value"] = [{"path": 3}]
    data["entries"]["makemigrations:shop"]["value"] = "garbage"
    (ws / CACHE).write_text(json.dumps(data))
    # when
    run = run_check(ws)
    # then those are computed again: same report, and the entries are sound again
    assert (run.code, run.stdout) == (cold.code, cold.stdout)
    assert _entries(ws)["imports"]["value"] == []
    assert _entries(ws)["makemigrations:shop"]["value"]["returncode"] == 0


def test_a_file_imported_from_outside_the_import_path_is_part_of_the_key(
    ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given people's settings taking INSTALLED_APPS from a module on PYTHONPATH, outside
    # every member (as a shared settings module of an editable install would be)
    shared = tmp_path / "shared"
    shared.mkdir()
    conf = shared / "monorel_shared_conf.py"
    conf.write_text('INSTALLED_APPS = ["django.contrib.contenttypes", "people_app"]\n')
    monkeypatch.setenv("PYTHONPATH", str(shared))
    settings = ws / "packages/people-app/tests/people_app_test_settings.py"
    settings.write_text(settings.read_text() + "from monorel_shared_conf import *  # noqa\n")
    assert run_check(ws, "--rule", "makemigrations").findings == []
    # when only the shared module changes: it no longer installs people's app
    conf.write_text('INSTALLED_APPS = ["django.contrib.contenttypes"]\n')
    run = run_check(ws, "--rule", "makemigrations")
    # then the warm run sees it, as a run without the cache does
    assert [(f["path"], f["message"]) for f in run.findings] == [
        (
            "packages/people-app/pyproject.toml",
            "app 'people_app' of people-app is not installed by its settings "
            "people_app_test_settings, so its migrations cannot be checked",
        )
    ]
    assert run.stdout == run_check(ws, "--rule", "makemigrations", "--no-cache").stdout
