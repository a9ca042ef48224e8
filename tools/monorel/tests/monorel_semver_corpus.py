"""The released workspace and the case format of the migration verdict's labelled corpus.

The release (``shop-app-v1.0.0``) holds two migrations of app ``shop_app``:
``0001_initial`` (Customer; Invoice with a protected foreign key to Customer, choices, a
default, an index and a check constraint) and ``0002_fill_legacy`` (a reversible
RunPython). A case writes one new migration, ``0003_case.py``, from the operations it
gives (or whole files of its own), optionally after committing a later "release" of its
own (``released``: then the verdict is asked ``--since`` that commit), and states the
exact ``required`` bump the CLI must print, with a one-line reason.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from monorel import cli
from monorel.semver import database
from monorel_semver_fixtures import MIGRATIONS, PACKAGE_DIR, SemverWorkspace, copy_workspace

_INITIAL = """\
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Customer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=64)),
                ("email", models.EmailField(max_length=254, unique=True)),
            ],
        ),
        migrations.CreateModel(
            name="Invoice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("number", models.CharField(max_length=32)),
                ("amount", models.DecimalField(decimal_places=2, max_digits=10)),
                ("quantity", models.IntegerField(default=1)),
                ("note", models.TextField(null=True)),
                (
                    "status",
                    models.CharField(
                        choices=[("open", "Open"), ("paid", "Paid"), ("void", "Void")],
                        default="open",
                        max_length=16,
                    ),
                ),
                ("legacy_code", models.CharField(help_text="old system", max_length=8, null=True)),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="invoices",
                        to="shop_app.customer",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["status"], name="invoice_status_idx")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(amount__gte=0), name="invoice_amount_gte_0"
                    )
                ],
            },
        ),
    ]
"""

_FILL_LEGACY = """\
from django.db import migrations


def fill(apps, schema_editor):
    Invoice = apps.get_model("shop_app", "Invoice")
    Invoice.objects.filter(legacy_code__isnull=True).update(legacy_code="-")


class Migration(migrations.Migration):
    dependencies = [("shop_app", "0001_initial")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
"""

RELEASED_FILES = {
    f"{MIGRATIONS}/0001_initial.py": _INITIAL,
    f"{MIGRATIONS}/0002_fill_legacy.py": _FILL_LEGACY,
}

_CASE_TEMPLATE = """\
import django.db.models.deletion
from django.db import migrations, models
{header}

def forwards(apps, schema_editor):
    pass


def backwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("shop_app", "{previous}")]
{extra}
    operations = [
{operations}
    ]
"""


def migration(
    operations: str, *, header: str = "", extra: str = "", previous: str = "0002_fill_legacy"
) -> str:
    """Source of a migration of shop_app with ``operations`` (list items) and extras."""
    body = textwrap.indent(textwrap.dedent(operations).strip("\n"), " " * 8)
    return _CASE_TEMPLATE.format(
        header=textwrap.dedent(header),
        extra=textwrap.indent(textwrap.dedent(extra), " " * 4) if extra else "",
        operations=body,
        previous=previous,
    )


@dataclass(frozen=True)
class Case:
    """One labelled migration case: ``required`` is what ``monorel semver`` must say."""

    id: str
    required: str
    reason: str
    operations: str = ""  # the items of 0003_case.py's operations list
    header: str = ""  # module code of 0003_case.py (imports, helpers, variables)
    extra: str = ""  # class body lines of 0003_case.py (atomic = False, replaces = ...)
    files: dict[str, str | bytes | None] = field(default_factory=dict)  # MIGRATIONS-relative
    released: dict[str, str | None] = field(default_factory=dict)  # committed first
    config: str = ""  # TOML lines under [tool.monorel.migration-operations]
    unclassified: int = 0
    notes: int | None = None  # operator notes, where the case is about them

    def apply(self, ws: SemverWorkspace) -> str | None:
        """Write the case into ``ws``; the --since ref to compare with, if it sets one."""
        since = None
        if self.config:
            ws.write(
                "pyproject.toml",
                ws.read("pyproject.toml")
                + "\n[tool.monorel.migration-operations]\n"
                + textwrap.dedent(self.config),
            )
            ws.commit("configure operations")
        if self.released:
            _write_files(ws, self.released)
            since = ws.commit("a later release")
        if self.operations:
            ws.write(
                f"{MIGRATIONS}/0003_case.py",
                migration(self.operations, header=self.header, extra=self.extra),
            )
        _write_files(ws, self.files)
        return since


def _write_files(ws: SemverWorkspace, files: dict) -> None:
    for rel, content in files.items():
        path = ws.root / MIGRATIONS / rel
        if content is None:
            path.unlink()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            ws.write(f"{MIGRATIONS}/{rel}", content)


def semver_json(ws: SemverWorkspace, capsys, since: str | None = None) -> tuple[int, dict]:
    """``monorel semver shop-app --format json [--since]`` through the CLI in this process."""
    args = ["--root", str(ws.root), "semver", "shop-app", "--format", "json"]
    if since:
        args += ["--since", since]
    capsys.readouterr()
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else {"stderr": captured.err})


@dataclass(frozen=True)
class Outcome:
    """A ``monorel semver`` run: exit code, parsed JSON (exit 0) and stderr."""

    code: int
    verdict: dict
    stderr: str
    status_before: str
    status_after: str


def run_cases(
    cases: list[Case], template: Path, workdir: Path, database_url: str
) -> dict[str, Outcome]:
    """Each case on its own copy of ``template``, judged by ``monorel.cli.main(["semver",
    ...])`` in a process forked from this one (monorel is imported once, not per case), as
    many at a time as there are CPUs (the CI budget); outcomes by case id."""
    os.environ[database.ENV] = database_url
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(os.cpu_count() or 2) as pool:
            return dict(pool.starmap(_run_case, [(case, template, workdir) for case in cases]))
    finally:
        del os.environ[database.ENV]


def _run_case(case: Case, template: Path, workdir: Path) -> tuple[str, Outcome]:
    ws = copy_workspace(template, workdir / case.id)
    since = case.apply(ws)
    before = ws.status()
    args = ["--root", str(ws.root), "semver", "shop-app", "--format", "json"]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([*args, *(["--since", since] if since else [])])
    verdict = json.loads(out.getvalue()) if code == 0 else {}
    return case.id, Outcome(code, verdict, err.getvalue(), before, ws.status())


__all__ = [
    "PACKAGE_DIR",
    "RELEASED_FILES",
    "Case",
    "Outcome",
    "migration",
    "run_cases",
    "semver_json",
]
