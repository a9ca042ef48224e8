"""`monorel semver`: new migrations, classified operation by operation."""

from __future__ import annotations

from pathlib import Path

import pytest
from monorel.semver.evidence import OPERATOR_FRAGMENTS
from monorel_semver_fixtures import (
    MIGRATIONS,
    SemverWorkspace,
    copy_workspace,
    release_workspace,
    summaries,
)

OPERATOR = OPERATOR_FRAGMENTS  # ("breaking", "migration")


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return release_workspace(tmp_path_factory.mktemp("semver-migrations") / "template")


@pytest.fixture
def ws(released: Path, tmp_path: Path) -> SemverWorkspace:
    return copy_workspace(released, tmp_path / "ws")


def _only(ws: SemverWorkspace, name: str, operation: str) -> tuple[str, str, str, tuple]:
    """Add migration ``name`` with one operation; return (bump, kind, summary, fragments)."""
    ws.add_migration(name, operation)
    verdict = ws.verdict()
    assert len(verdict.evidence) == 1, summaries(verdict)
    item = verdict.evidence[0]
    assert item.path == f"packages/shop-app/src/shop_app/migrations/{name}.py"
    assert item.line == 12  # the operation's line in the generated migration
    assert item.obj == f"shop_app.migrations.{name}"
    return verdict.bump, item.kind, item.summary, item.fragment_types


# ------------------------------------------------------------------ operator action: major


def test_remove_field_requires_major_and_an_operator_fragment(ws: SemverWorkspace) -> None:
    # given / when
    result = _only(
        ws, "0002_remove_note", 'migrations.RemoveField(model_name="invoice", name="note"),'
    )

    # then
    assert result == (
        "major",
        "migration.remove-field",
        "0002_remove_note.py RemoveField invoice.note drops a column and its data: major",
        OPERATOR,
    )


def test_delete_model_requires_major(ws: SemverWorkspace) -> None:
    result = _only(ws, "0002_delete_invoice", 'migrations.DeleteModel(name="Invoice"),')

    assert result == (
        "major",
        "migration.delete-model",
        "0002_delete_invoice.py DeleteModel Invoice drops a table and its data: major",
        OPERATOR,
    )


def test_rename_field_requires_major(ws: SemverWorkspace) -> None:
    result = _only(
        ws,
        "0002_rename_note",
        'migrations.RenameField(model_name="invoice", old_name="note", new_name="memo"),',
    )

    assert result == (
        "major",
        "migration.rename-field",
        "0002_rename_note.py RenameField invoice.note -> memo renames a column: major",
        OPERATOR,
    )


def test_rename_model_requires_major(ws: SemverWorkspace) -> None:
    result = _only(
        ws, "0002_rename_invoice", 'migrations.RenameModel(old_name="Invoice", new_name="Bill"),'
    )

    assert result == (
        "major",
        "migration.rename-model",
        "0002_rename_invoice.py RenameModel Invoice -> Bill renames a table: major",
        OPERATOR,
    )


def test_alter_field_shorter_max_length_is_narrowing(ws: SemverWorkspace) -> None:
    result = _only(
        ws,
        "0002_shorter_number",
        'migrations.AlterField(model_name="invoice", name="number", '
        "field=models.CharField(max_length=16)),",
    )

    assert result == (
        "major",
        "migration.alter-field-narrowing",
        "0002_shorter_number.py AlterField invoice.number narrows the column "
        "(max_length 32 -> 16): major",
        OPERATOR,
    )


def test_alter_field_dropping_null_is_narrowing(ws: SemverWorkspace) -> None:
    result = _only(
        ws,
        "0002_note_required",
        'migrations.AlterField(model_name="invoice", name="note", field=models.TextField()),',
    )

    assert result[:3] == (
        "major",
        "migration.alter-field-narrowing",
        "0002_note_required.py AlterField invoice.note narrows the column "
        "(null True -> False): major",
    )


def test_alter_field_fewer_decimal_digits_is_narrowing(ws: SemverWorkspace) -> None:
    result = _only(
        ws,
        "0002_amount_digits",
        'migrations.AlterField(model_name="invoice", name="amount", '
        "field=models.DecimalField(max_digits=8, decimal_places=2)),",
    )

    assert result[:3] == (
        "major",
        "migration.alter-field-narrowing",
        "0002_amount_digits.py AlterField invoice.amount narrows the column "
        "(max_digits 10 -> 8; integer digits 8 -> 6): major",
    )


def test_alter_field_type_change_is_narrowing(ws: SemverWorkspace) -> None:
    result = _only(
        ws,
        "0002_number_int",
        'migrations.AlterField(model_name="invoice", name="number", field=models.IntegerField()),',
    )

    assert result[:3] == (
        "major",
        "migration.alter-field-narrowing",
        "0002_number_int.py AlterField invoice.number narrows the column "
        "(type CharField -> IntegerField): major",
    )


def test_add_not_null_field_without_default_requires_major(ws: SemverWorkspace) -> None:
    result = _only(
        ws,
        "0002_invoice_currency",
        'migrations.AddField(model_name="invoice", name="currency", '
        "field=models.CharField(max_length=3)),",
    )

    assert result == (
        "major",
        "migration.add-field-not-null",
        "0002_invoice_currency.py AddField invoice.currency adds a NOT NULL column "
        "without a default: major",
        OPERATOR,
    )


def test_run_python_without_reverse_requires_major(ws: SemverWorkspace) -> None:
    result = _only(ws, "0002_fill", "migrations.RunPython(forwards),")

    assert result == (
        "major",
        "migration.run-python-irreversible",
        "0002_fill.py RunPython forwards cannot be reversed (no reverse_code): major",
        OPERATOR,
    )


def test_run_python_with_reverse_not_marked_as_backfill_requires_major(
    ws: SemverWorkspace,
) -> None:
    result = _only(ws, "0002_fill", "migrations.RunPython(forwards, migrations.RunPython.noop),")

    assert result == (
        "major",
        "migration.run-python-rewrite",
        "0002_fill.py RunPython forwards rewrites existing rows (not marked as a backfill "
        "with elidable=True): major",
        OPERATOR,
    )


def test_run_sql_without_reverse_requires_major(ws: SemverWorkspace) -> None:
    result = _only(
        ws, "0002_sql", 'migrations.RunSQL("CREATE INDEX i ON shop_app_invoice (number)"),'
    )

    assert result[:3] == (
        "major",
        "migration.run-sql-irreversible",
        "0002_sql.py RunSQL cannot be reversed (no reverse_sql): major",
    )


def test_add_constraint_requires_major(ws: SemverWorkspace) -> None:
    result = _only(
        ws,
        "0002_unique_number",
        'migrations.AddConstraint(model_name="invoice", constraint=models.UniqueConstraint('
        'fields=["number"], name="uniq_number")),',
    )

    assert result[:3] == (
        "major",
        "migration.add-constraint",
        "0002_unique_number.py AddConstraint on invoice adds a constraint existing rows "
        "may violate: major",
    )


def test_editing_a_released_migration_requires_major(ws: SemverWorkspace) -> None:
    # given: the released 0001 is changed in place
    ws.replace(f"{MIGRATIONS}/0001_initial.py", "max_length=32", "max_length=40")

    # when
    verdict = ws.verdict()

    # then
    assert summaries(verdict) == [
        (
            "migration.edits-released",
            "0001_initial.py edits a released migration (databases that applied it will "
            "not run it again): major",
        )
    ]


def test_editing_only_the_code_a_released_migration_runs_is_minor_with_migration_fragment(
    ws: SemverWorkspace,
) -> None:
    # given: a released migration with a helper function, then only the function changes
    ws.write(
        f"{MIGRATIONS}/0002_backfill.py",
        "from django.db import migrations\n\n\n"
        "def forwards(apps, schema_editor):\n    pass\n\n\n"
        "class Migration(migrations.Migration):\n"
        '    dependencies = [("billing_app", "0001_initial")]\n'
        "    operations = [\n"
        "        migrations.RunPython(forwards, reverse_code=migrations.RunPython.noop, "
        "elidable=True),\n"
        "    ]\n",
    )
    released = ws.commit("release 0002")
    ws.replace(f"{MIGRATIONS}/0002_backfill.py", "    pass\n", "    return None\n")

    # when
    verdict = ws.verdict(since=released)

    # then
    assert summaries(verdict) == [
        (
            "migration.edits-released-code",
            "0002_backfill.py changes the code a released migration runs, not its operations "
            "(databases that applied it keep its result): minor",
        )
    ]
    assert verdict.evidence[0].fragment_types == ("migration",)


# ------------------------------------------------------------------ additive: minor


def test_run_python_backfill_with_reverse_and_elidable_is_minor_with_migration_fragment(
    ws: SemverWorkspace,
) -> None:
    result = _only(
        ws,
        "0002_backfill_numbers",
        "migrations.RunPython(forwards, reverse_code=migrations.RunPython.noop, elidable=True),",
    )

    assert result == (
        "minor",
        "migration.run-python-backfill",
        "0002_backfill_numbers.py RunPython forwards backfills existing rows: minor",
        ("migration",),
    )


def test_add_nullable_field_is_minor(ws: SemverWorkspace) -> None:
    result = _only(
        ws,
        "0002_invoice_memo",
        'migrations.AddField(model_name="invoice", name="memo", '
        "field=models.CharField(max_length=200, null=True)),",
    )

    assert result == (
        "minor",
        "migration.add-field",
        "0002_invoice_memo.py AddField invoice.memo adds a nullable column: minor",
        (),
    )


def test_add_field_with_default_is_minor(ws: SemverWorkspace) -> None:
    result = _only(
        ws,
        "0002_invoice_currency",
        'migrations.AddField(model_name="invoice", name="currency", '
        'field=models.CharField(max_length=3, default="EUR")),',
    )

    assert result[:3] == (
        "minor",
        "migration.add-field",
        "0002_invoice_currency.py AddField invoice.currency adds a column with a default: minor",
    )


def test_create_model_is_minor(ws: SemverWorkspace) -> None:
    result = _only(
        ws,
        "0002_credit_note",
        'migrations.CreateModel(name="CreditNote", fields=[("id", models.BigAutoField('
        "primary_key=True, serialize=False))]),",
    )

    assert result == (
        "minor",
        "migration.create-model",
        "0002_credit_note.py CreateModel CreditNote adds a table: minor",
        (),
    )


def test_alter_field_longer_max_length_is_widening(ws: SemverWorkspace) -> None:
    result = _only(
        ws,
        "0002_longer_number",
        'migrations.AlterField(model_name="invoice", name="number", '
        "field=models.CharField(max_length=64)),",
    )

    assert result[:3] == (
        "minor",
        "migration.alter-field-widening",
        "0002_longer_number.py AlterField invoice.number widens the column "
        "(max_length 32 -> 64): minor",
    )


def test_add_index_is_minor(ws: SemverWorkspace) -> None:
    result = _only(
        ws,
        "0002_number_index",
        'migrations.AddIndex(model_name="invoice", index=models.Index(fields=["number"], '
        'name="number_idx")),',
    )

    assert result[:3] == (
        "minor",
        "migration.add-index",
        "0002_number_index.py AddIndex on invoice adds an index: minor",
    )


# ------------------------------------------------------------------ several operations


def test_alter_field_compares_with_the_definition_from_an_earlier_new_migration(
    ws: SemverWorkspace,
) -> None:
    # given: 0002 widens number to 64, 0003 narrows it back to 48
    ws.add_migration(
        "0002_longer_number",
        'migrations.AlterField(model_name="invoice", name="number", '
        "field=models.CharField(max_length=64)),",
    )
    ws.add_migration(
        "0003_shorter_number",
        'migrations.AlterField(model_name="invoice", name="number", '
        "field=models.CharField(max_length=48)),",
        previous="0002_longer_number",
    )

    # when
    verdict = ws.verdict()

    # then: 0003 narrows relative to 0002, not to the release
    assert verdict.bump == "major"
    assert summaries(verdict) == [
        (
            "migration.alter-field-narrowing",
            "0003_shorter_number.py AlterField invoice.number narrows the column "
            "(max_length 64 -> 48): major",
        ),
        (
            "migration.alter-field-widening",
            "0002_longer_number.py AlterField invoice.number widens the column "
            "(max_length 32 -> 64): minor",
        ),
    ]


def test_separate_database_and_state_classifies_its_database_operations(
    ws: SemverWorkspace,
) -> None:
    result = _only(
        ws,
        "0002_split",
        """
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RemoveField(model_name="invoice", name="note")],
            state_operations=[],
        ),
        """,
    )

    assert result[:3] == (
        "major",
        "migration.remove-field",
        "0002_split.py RemoveField invoice.note drops a column and its data: major",
    )


def test_reversible_run_sql_that_deletes_rows_requires_major(ws: SemverWorkspace) -> None:
    result = _only(
        ws,
        "0002_purge",
        'migrations.RunSQL("DELETE FROM shop_app_invoice WHERE amount = 0", '
        "reverse_sql=migrations.RunSQL.noop),",
    )

    assert result[:3] == (
        "major",
        "migration.run-sql-destructive",
        "0002_purge.py RunSQL runs DELETE on existing data: major",
    )


def test_deleting_a_released_migration_requires_major(ws: SemverWorkspace) -> None:
    # given
    (ws.root / MIGRATIONS / "0001_initial.py").unlink()

    # when
    verdict = ws.verdict()

    # then
    assert summaries(verdict) == [
        ("migration.deletes-released", "0001_initial.py deletes a released migration: major")
    ]


def test_unknown_operation_is_treated_as_operator_action(ws: SemverWorkspace) -> None:
    result = _only(ws, "0002_custom", 'MoveInvoicesToArchive(model_name="invoice"),')

    assert result == (
        "major",
        "migration.unknown-operation",
        "0002_custom.py MoveInvoicesToArchive cannot be classified statically: major",
        OPERATOR,
    )
