"""Run a leg's Django steps in one process INSIDE the rehearsal venv; not imported by monorel.

One interpreter and one ``django.setup()`` per phase instead of one per step:

    python _steps.py old SEED.json BEFORE.json RESULTS.json
        migrate old, load seed, snapshot            (the old code)
    python _steps.py new BEFORE.json AFTER.json RESULTS.json
        migrate, plan empty, makemigrations, snapshot after   (the current code)

Stops at the first failing step. RESULTS.json is rewritten after every step, so a crash
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

import _probe  # beside this file: the script's directory is on sys.path


class _Failed(Exception):
    """A step failed for a reason it can say in one line."""


def _setup_and_migrate(out: io.StringIO) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=1, stdout=out, stderr=out)


def _load_seed(seed: Path, out: io.StringIO) -> None:
    from django.core.management import call_command

    call_command("loaddata", str(seed), verbosity=1, stdout=out, stderr=out)


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


def _run(steps: list[tuple[str, Callable[[io.StringIO], None]]], results: Path) -> int:
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
        record["seconds"] = time.perf_counter() - started
        done.append(record)
        results.write_text(json.dumps({"steps": done}), encoding="utf-8")
        if not record["ok"]:
            return 1
    return 0


def main(argv: list[str]) -> int:
    phase, source, snapshot, results = argv[0], Path(argv[1]), Path(argv[2]), Path(argv[3])
    if phase == "old":
        steps = [
            ("migrate old", _setup_and_migrate),
            ("load seed", lambda out: _load_seed(source, out)),
            ("snapshot", lambda out: _probe.before(source, snapshot)),
        ]
    else:
        steps = [
            ("migrate", _setup_and_migrate),
            ("plan empty", _plan_empty),
            ("makemigrations", _makemigrations_check),
            ("snapshot after", lambda out: _probe.after(source, snapshot)),
        ]
    return _run(steps, results)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
