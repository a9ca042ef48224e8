"""Run a leg's steps in one process INSIDE a rehearsal venv; not imported by monorel.

    python _steps.py CONFIG.json      # then one command per line on stdin

A worker: it imports Django and sets it up once, then runs the steps of each command it
reads, so a side of a leg pays for one interpreter and one ``django.setup()``, however
many commands it runs (the old side runs its contract tests only after the new side
upgraded the database). After each command it prints ``@@monorel-done <command>``;
it exits at end of input. Commands and their steps:

    old        migrate old, load seed, generate rows, snapshot      (the old venv)
    old-code   old code: the old release's contract tests on the upgraded database;
               they are collected at once, and run when the next line is ``go``
    contracts  contract tests: the host's contract tests on the upgraded database    (new
               venv); collected at once, then each line is run as a command (``new``)
               until ``go`` runs them (see ``_leg_database``)
    new        migrate, plan empty, makemigrations, schema, data survival
    fresh      migrate, schema: a database migrated from scratch (the reference)

``schema`` and ``data survival`` here only read the database (``_schema``, ``_probe``);
monorel compares what they wrote. A command stops at its first failing step.
``steps-<command>.json`` in the work directory is rewritten after every step, so a crash
still leaves the steps that finished: {"steps": [{name, ok, seconds, error, output}]}.
``error`` is set for failures this script can name itself (a non-empty plan, missing
migrations); otherwise monorel names the error from ``output`` (the traceback).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

# beside this file: the script's directory is on sys.path
import _fill
import _probe
import _schema

DONE = "@@monorel-done"
# runs one command of this process (set by ``main``); the pytest plugin calls it too
_RUN_COMMAND: list[Callable[[str], None]] = []


class _Failed(Exception):
    """A step failed for a reason it can say in one line."""


def _setup() -> None:
    import django

    django.setup()


def _migrate(out: io.StringIO) -> None:
    from django.core.management import call_command

    _require_the_leg_database()
    call_command("migrate", interactive=False, verbosity=1, stdout=out, stderr=out)


def _require_the_leg_database() -> None:
    """The host's settings must use the DATABASE_URL the leg gives: settings that hard-code
    their database (an in-memory SQLite, say) would upgrade and inspect another one."""
    import os
    from urllib.parse import unquote, urlsplit

    from django.conf import settings
    from django.db import connection

    url = urlsplit(os.environ["DATABASE_URL"])
    used = str(connection.settings_dict.get("NAME") or "")
    port = str(connection.settings_dict.get("PORT") or "")
    if url.scheme == "sqlite":  # sqlite:////abs/path
        given = "/" + unquote(url.path).lstrip("/")
        same = used not in ("", ":memory:") and os.path.realpath(used) == os.path.realpath(given)
    else:
        given = unquote(url.path.lstrip("/"))
        same = used == given and port == str(url.port or "")
    if not same:
        raise _Failed(
            f"the settings {settings.SETTINGS_MODULE} ignore DATABASE_URL: the rehearsal's "
            f"database is {given}{f' (port {url.port})' if url.port else ''}, theirs is "
            f"{used or 'unnamed'}{f' (port {port})' if port else ''}; fix: read DATABASES "
            "from DATABASE_URL in the host's settings (e.g. dj-database-url)"
        )


def _load_seed(seed: Path, out: io.StringIO) -> None:
    from django.core.management import call_command

    call_command("loaddata", str(seed), verbosity=1, stdout=out, stderr=out)


def _generate(apps: list[str], out: io.StringIO) -> None:
    report = _fill.fill(apps)
    for table, entry in sorted(report.items()):
        line = f"{table}: {entry['inserted']} rows"
        if entry["refused"]:
            line += f", {entry['refused']} refused ({'; '.join(entry['reasons'])})"
        if entry.get("not varied"):
            line += f"; columns of an unknown type, not varied: {', '.join(entry['not varied'])}"
        out.write(line + "\n")


def _plan_empty(out: io.StringIO) -> None:
    from django.core.management import call_command

    call_command("migrate", plan=True, stdout=out, stderr=out)
    text = out.getvalue()
    if "No planned migration operations" not in text:
        planned = [line.strip() for line in text.splitlines()[1:] if line.strip()]
        raise _Failed(f"migrations still planned after migrate: {'; '.join(planned)}")


def _makemigrations_check(out: io.StringIO) -> None:
    from django.core.management import call_command

    try:
        call_command("makemigrations", check_changes=True, dry_run=True, stdout=out, stderr=out)
    except SystemExit as exc:  # --check exits 1 when a model change has no migration
        if exc.code:
            apps = re.findall(r"Migrations for '([^']+)'", out.getvalue())
            raise _Failed(
                f"model changes without a migration in: {', '.join(apps) or 'unknown apps'}"
            ) from None


def _pytest(spec: dict | None, out: io.StringIO, *, wait: bool = False) -> None:
    """The contract tests of ``spec`` ({tests, rootdir, ini, junit}) on this database;
    ``wait``: collect them, then wait for ``go`` on stdin (see ``_leg_database``)."""
    if spec is None:
        out.write("no contract tests configured\n")
        return
    import _leg_database  # imports pytest: only in a process that runs tests
    import pytest

    _leg_database.RUN_COMMAND[:] = _RUN_COMMAND
    args = [
        "-q",
        "-p",
        "no:cacheprovider",
        "-c",  # an empty ini: the workspace's pytest config is not the deployment's
        spec["ini"],
        "--rootdir",
        spec["rootdir"],
        "--confcutdir",
        spec["rootdir"],
        "--junitxml",
        spec["junit"],
        "-o",
        "junit_family=xunit1",
        *(["--monorel-wait"] if wait else []),
        spec["tests"],
    ]
    # the plugin object, not ``-p``: imported here already, pytest would warn that it
    # cannot rewrite its asserts
    code = pytest.main(args, plugins=[_leg_database])
    if code != 0:
        lines = [line for line in out.getvalue().splitlines() if line.strip()]
        failed = [
            line.split(" - ")[0].removeprefix("FAILED ").removeprefix("ERROR ")
            for line in lines
            if line.startswith(("FAILED ", "ERROR "))
        ]
        last = lines[-1].strip("= ") if lines else f"pytest exited {int(code)}"
        raise _Failed(f"{last}: {', '.join(failed[:5])}" if failed else last)


def _close_connections(out: io.StringIO) -> None:
    # the other side migrates this database next: hold no connection (or lock) on it
    from django.db import connections

    connections.close_all()


def _commands(config: dict) -> dict[str, list[tuple[str, Callable[[io.StringIO], None]]]]:
    work = Path(config["work_dir"])
    apps = config["apps"]
    before, after = work / "snapshot-before.json", work / "snapshot-after.json"
    seed = Path(config["seed"]) if config.get("seed") else None
    return {
        "old": [
            ("migrate old", _migrate),
            ("load seed", lambda out: _load_seed(seed, out) if seed else None),
            ("generate rows", lambda out: _generate(apps, out)),
            ("snapshot", lambda out: _probe.before(apps, seed, before)),
            ("", _close_connections),
        ],
        "old-code": [
            ("old code", lambda out: _pytest(config.get("old_contracts"), out, wait=True)),
            ("", _close_connections),
        ],
        "new": [
            ("migrate", _migrate),
            ("plan empty", _plan_empty),
            ("makemigrations", _makemigrations_check),
            ("schema", lambda out: _schema.read(work / "schema-upgraded.json")),
            ("data survival", lambda out: _probe.after(apps, before, after)),
            ("", _close_connections),
        ],
        "contracts": [
            ("contract tests", lambda out: _pytest(config.get("contracts"), out, wait=True)),
            ("", _close_connections),
        ],
        "fresh": [
            ("migrate", _migrate),
            ("schema", lambda out: _schema.read(work / "schema-fresh.json")),
            ("", _close_connections),
        ],
    }


def _run(steps: list[tuple[str, Callable[[io.StringIO], None]]], results: Path) -> None:
    done: list[dict] = []
    for name, action in steps:
        out = io.StringIO()
        started = time.perf_counter()
        record = {"name": name, "ok": True, "error": "", "output": ""}
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                action(out)
        except _Failed as exc:
            record.update(ok=False, error=str(exc), output=out.getvalue())
        except (Exception, SystemExit):  # noqa: BLE001 - any error is this step's failure
            record.update(ok=False, output=out.getvalue() + "\n" + traceback.format_exc())
        record["output"] = record["output"] or out.getvalue()
        record["seconds"] = time.perf_counter() - started
        wait = getattr(sys.modules.get("_leg_database"), "WAIT", {})
        if "until" in wait:
            # waited for the other side: the step took from the go, and prepared before it
            record["prepared"] = wait.pop("from") - started
            record["seconds"] = time.perf_counter() - wait.pop("until")
        if name:  # unnamed steps are housekeeping, not reported
            done.append(record)
            results.write_text(json.dumps({"steps": done}), encoding="utf-8")
        if not record["ok"]:
            return


def main(argv: list[str]) -> int:
    config = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    commands = _commands(config)

    def run_command(command: str) -> None:
        results = Path(config["work_dir"]) / f"steps-{command}.json"
        results.unlink(missing_ok=True)
        _run(commands[command], results)
        # the real stdout: a command run while pytest waits has a step's stdout redirected
        print(f"{DONE} {command}", file=sys.__stdout__, flush=True)

    _RUN_COMMAND.append(run_command)
    _setup()
    for line in sys.stdin:
        command = line.strip()
        if command in ("", "go"):
            continue  # a go nobody waited for: the command had nothing to wait for
        run_command(command)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
