"""Child process of ``monorel.adapters.django_``: run as a script, never imported by monorel.

stdin is a JSON list of jobs; stdout gets one JSON list of results, in job order. Each
job names its kind (``"kind"``, default ``"makemigrations"``):

- ``{"kind": "makemigrations", "settings": MODULE, "labels": [LABEL, ...],
  "pythonpath": [DIR, ...]}`` runs ``makemigrations --check --dry-run`` for its labels
  under its settings, with its directories first on ``sys.path``. Result:
  ``{"returncode", "stdout", "stderr"}``.
- ``{"kind": "describe", ...}`` describes migrations with Django's loader and the SQL
  they run on PostgreSQL (the job's fields and its result are documented in
  ``_django_describe.py``, loaded only for such jobs). Result: ``{"returncode",
  "stdout", "stderr", "result"}``; ``result`` is None when the job failed before it
  could describe anything (``stderr`` has the traceback).

Django can be set up once per process, so each job needs a process of its own. Where
``os.fork`` exists, this process imports Django's heavy modules once and forks one child
per job, as many at a time as there are CPUs; elsewhere the adapter starts one process
per job.

Every database is swapped for Django's dummy backend: makemigrations only needs models
and migration files, and its history check would otherwise connect to the configured
databases (and create SQLite files as a side effect).
"""

import contextlib
import io
import json
import logging.config  # noqa: F401 - preloaded for the forks (see below)
import os
import sys
import tempfile
import traceback

# What every job's django.setup() imports anyway, imported once here so that each fork
# starts with them (with the preloads of main(): about a third of a job's time;
# bench/RESULTS.md, "check").
import django
import django.contrib.contenttypes.apps  # noqa: F401
import django.db.migrations.loader  # noqa: F401


def _preload(kinds):
    """What the jobs of these kinds import on top, once before the forks."""
    if "makemigrations" in kinds:
        import django.db.backends.dummy.base  # noqa: F401
        import django.db.migrations.autodetector  # noqa: F401
        import django.db.migrations.questioner  # noqa: F401
        import django.db.migrations.writer  # noqa: F401
        import django.http  # noqa: F401
        import django.urls  # noqa: F401
        from django.core.management.commands import makemigrations  # noqa: F401
    if "describe" in kinds:
        # a job without psycopg reports the ImportError itself
        with contextlib.suppress(ImportError):
            import django.db.backends.postgresql.base  # noqa: F401


class _TopLevelIndex:
    """Finds top-level modules in the job's directories without asking each of them.

    The host's job has every member's directories on ``sys.path`` (two per member), and
    each top-level import asked every one of them in turn (a stat each): O(members) per
    import, most of the host job's time at 200 members. This finder, first on
    ``sys.meta_path``, lists each directory once and hands the standard ``PathFinder``
    only the directories whose listing names the module, then the rest of ``sys.path``
    in order: the same directories in the same order that can hold it, so the same file
    is found. Where ``sys.path`` no longer starts with the job's directories (settings
    that edit it), it steps aside.
    """

    def __init__(self, paths):
        self.paths = list(paths)
        self.holders = {}  # top-level name -> the job directories whose listing has it
        for path in self.paths:
            try:
                names = os.listdir(path)
            except OSError:
                continue
            for name in names:
                self.holders.setdefault(name.split(".", 1)[0], []).append(path)

    def find_spec(self, fullname, path=None, target=None):
        count = len(self.paths)
        if path is not None or "." in fullname or sys.path[:count] != self.paths:
            return None
        from importlib.machinery import PathFinder

        candidates = self.holders.get(fullname, []) + sys.path[count:]
        return PathFinder.find_spec(fullname, candidates, target)

    def invalidate_caches(self):
        pass


def _makemigrations(job):
    # Where PYTHONPATH would put them; set per job (in its own process), as each job needs
    # only its member's directories and every import searches every entry.
    sys.path[0:0] = job.get("pythonpath", [])
    sys.meta_path.insert(0, _TopLevelIndex(job.get("pythonpath", [])))
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


def _describe(job):
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_django_describe.py")
    spec = importlib.util.spec_from_file_location("_monorel_django_describe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run(job)


def _captured(job):
    out, err = io.StringIO(), io.StringIO()
    describe = job.get("kind") == "describe"
    result = None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            if describe:
                result = _describe(job)
                code = 0
            else:
                code = _makemigrations(job)
    except SystemExit as exc:  # makemigrations --check exits 1 on missing migrations
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - report any failure of the member's code
        err.write(traceback.format_exc())
        code = 1
    captured = {"returncode": code, "stdout": out.getvalue(), "stderr": err.getvalue()}
    if not describe:
        # every source file the job imported (its settings' imports from anywhere
        # included): what a cache of the result must be keyed by
        captured["imported"] = sorted(
            {
                m.__file__
                for m in list(sys.modules.values())
                if isinstance(getattr(m, "__file__", None), str) and m.__file__.endswith(".py")
            }
        )
    if describe:
        captured["result"] = result
    return captured


def _forked(jobs):
    """One forked child per job, at most one per CPU at a time; results in job order.

    The jobs are CPU-bound: forking them all at once was no faster and, for 200 members,
    held 200 processes and about 800 MB at the peak. Each child writes its result to a file
    of its own, so no child can block on a full pipe while this process waits for another.
    """
    limit = max(1, os.cpu_count() or 1)
    results = [None] * len(jobs)
    running = {}  # pid -> job index
    with tempfile.TemporaryDirectory(prefix="monorel-makemigrations-") as tmp:

        def reap():
            pid, _ = os.wait()
            index = running.pop(pid)
            try:
                with open(os.path.join(tmp, f"{index}.json")) as result:
                    text = result.read()
            except OSError:
                text = ""
            results[index] = (
                json.loads(text)
                if text
                else {"returncode": 1, "stdout": "", "stderr": "child died"}
            )

        for index, job in enumerate(jobs):
            while len(running) >= limit:
                reap()
            pid = os.fork()
            if pid == 0:
                try:
                    partial = os.path.join(tmp, f"{index}.partial")
                    with open(partial, "w") as out:
                        json.dump(_captured(job), out)
                    os.rename(partial, os.path.join(tmp, f"{index}.json"))
                finally:
                    os._exit(0)
            running[pid] = index
        while running:
            reap()
    return results


def main():
    # --preload=KIND: started ahead of its jobs (the adapter's DescribeChild), this process
    # imports what they need while the caller prepares them
    _preload({arg.split("=", 1)[1] for arg in sys.argv[1:] if arg.startswith("--preload=")})
    jobs = json.loads(sys.stdin.read())
    _preload({job.get("kind", "makemigrations") for job in jobs})
    if len(jobs) == 1 or not hasattr(os, "fork"):
        results = [_captured(job) for job in jobs[:1]]
    else:
        results = _forked(jobs)
    sys.stdout.write(json.dumps(results))


if __name__ == "__main__":
    main()
