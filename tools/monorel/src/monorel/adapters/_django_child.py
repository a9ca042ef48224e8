"""Child process of ``monorel.adapters.django_``: run as a script, never imported by monorel.

argv[1] is a JSON list of jobs ``{"settings": MODULE, "labels": [LABEL, ...]}``. Each job
runs ``makemigrations --check --dry-run`` for its labels under its settings; the result
is printed as one JSON list of ``{"returncode", "stdout", "stderr"}``, in job order.

Django can be set up once per process, so each job needs a process of its own. Where
``os.fork`` exists, this process imports Django's heavy modules once and forks one child
per job (they run in parallel); elsewhere the adapter starts one process per job.

Every database is swapped for Django's dummy backend: makemigrations only needs models
and migration files, and its history check would otherwise connect to the configured
databases (and create SQLite files as a side effect).
"""

import contextlib
import io
import json
import os
import sys
import traceback

import django
from django.core.management.commands import makemigrations  # noqa: F401 - preload for the forks


def _makemigrations(job):
    os.environ["DJANGO_SETTINGS_MODULE"] = job["settings"]
    from django.conf import settings

    settings.DATABASES = {
        alias: {"ENGINE": "django.db.backends.dummy"} for alias in settings.DATABASES
    }
    django.setup()
    from django.apps import apps
    from django.core.management import call_command

    installed_labels = {config.label for config in apps.get_app_configs()}
    installed = [label for label in job["labels"] if label in installed_labels]
    missing = [label for label in job["labels"] if label not in installed_labels]
    if missing:
        print("monorel: not installed: " + " ".join(missing))
    if installed:
        call_command(
            "makemigrations",
            *installed,
            check_changes=True,
            dry_run=True,
            interactive=False,
            no_color=True,
            verbosity=1,
        )
    return 0


def _captured(job):
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = _makemigrations(job)
    except SystemExit as exc:  # makemigrations --check exits 1 on missing migrations
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - report any failure of the member's code
        err.write(traceback.format_exc())
        code = 1
    return {"returncode": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def _forked(jobs):
    children = []
    for job in jobs:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            with os.fdopen(write_end, "w") as pipe:
                json.dump(_captured(job), pipe)
            os._exit(0)
        os.close(write_end)
        children.append((pid, read_end))
    results = []
    for pid, read_end in children:
        with os.fdopen(read_end) as pipe:
            text = pipe.read()
        os.waitpid(pid, 0)
        results.append(
            json.loads(text) if text else {"returncode": 1, "stdout": "", "stderr": "child died"}
        )
    return results


def main():
    jobs = json.loads(sys.argv[1])
    if len(jobs) == 1 or not hasattr(os, "fork"):
        results = [_captured(job) for job in jobs[:1]]
    else:
        results = _forked(jobs)
    sys.stdout.write(json.dumps(results))


if __name__ == "__main__":
    main()
