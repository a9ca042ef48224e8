"""The labelled corpus of the migration verdict: each case through `monorel semver --format json`.

Every case is a migration as Django's documentation describes the operation, or as
public projects write them (data migrations, squashes, SeparateDatabaseAndState with
lists in variables, operations built by helpers, edits of released files, files in
latin-1). Each runs on a copy of one released workspace (``monorel_semver_corpus``),
and the exact ``required`` bump is asserted, with the number of unclassified items and,
where the case is about them, of operator notes. Django loads each case in a child
process and its SQL runs on one throwaway PostgreSQL cluster shared by the session.
"""

from __future__ import annotations

import pytest
from monorel_semver_corpus import RELEASED_FILES, Case, Outcome, migration, run_cases
from monorel_semver_fixtures import release_workspace

_SQUASH_0003_0004 = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [("shop_app", "0003_a"), ("shop_app", "0004_b")]
    dependencies = [("shop_app", "0002_fill_legacy")]
    operations = [
        migrations.AddField("invoice", "memo", models.TextField(null=True)),
        migrations.RemoveField("invoice", "legacy_code"),
    ]
"""
_SQUASH_0001_0002 = """\
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [("shop_app", "0001_initial"), ("shop_app", "0002_fill_legacy")]
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
    ]
"""
_MEMO = 'migrations.AddField("invoice", "memo", models.TextField(null=True)),'
_UNKNOWN_OP = """
class CreateAuditTrigger(migrations.operations.base.Operation):
    reversible = True

    def __init__(self, table):
        self.table = table

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        schema_editor.execute(f"COMMENT ON TABLE {self.table} IS 'audited'")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def describe(self):
        return f"Audit trigger on {self.table}"
"""
_MEMO_FIELD = """
class MemoField(models.TextField):
    pass


class AddMemoField(migrations.AddField):
    pass
"""

CASES = [
    # ------------------------------------------------------------ models
    Case(
        "create-model",
        "minor",
        "a new table: nothing existing changes",
        'migrations.CreateModel("Refund", [("id", models.BigAutoField(primary_key=True)),'
        ' ("amount", models.DecimalField(max_digits=10, decimal_places=2))]),',
        notes=0,
    ),
    Case(
        "create-model-with-fk-to-existing",
        "minor",
        "the FK and its index are on the new, empty table",
        'migrations.CreateModel("Refund", [("id", models.BigAutoField(primary_key=True)),'
        ' ("invoice", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,'
        ' to="shop_app.invoice"))]),',
        notes=0,
    ),
    Case(
        "delete-model",
        "major",
        "DROP TABLE of a table with rows",
        'migrations.RemoveField("invoice", "customer"), migrations.DeleteModel("Customer"),',
    ),
    Case(
        "rename-model",
        "major",
        "ALTER TABLE RENAME: the running release still uses the old table",
        'migrations.RenameModel("Customer", "Client"),',
    ),
    Case(
        "alter-model-table",
        "major",
        "moves the model to another table name",
        'migrations.AlterModelTable("customer", "shop_customers"),',
    ),
    Case(
        "alter-model-table-comment",
        "patch",
        "COMMENT ON TABLE changes no data and no lock worth a note",
        'migrations.AlterModelTableComment("invoice", "Invoices issued to customers"),',
    ),
    Case(
        "alter-model-options",
        "patch",
        "ordering and verbose names are Django-side only",
        'migrations.AlterModelOptions("invoice", {"ordering": ["number"], '
        '"verbose_name": "bill"}),',
    ),
    Case(
        "alter-model-managers",
        "patch",
        "managers live in Django's state only",
        'migrations.AlterModelManagers("invoice", [("billing", models.Manager())]),',
    ),
    Case(
        "alter-unique-together",
        "major",
        "a new unique constraint on existing rows may fail",
        'migrations.AlterUniqueTogether("invoice", {("customer", "number")}),',
        notes=1,
    ),
    Case(
        "alter-index-together",
        "minor",
        "builds an index on an existing table: writes wait (operator note)",
        'migrations.AlterIndexTogether("invoice", {("customer", "number")}),',
        notes=1,
    ),
    Case(
        "alter-order-with-respect-to",
        "minor",
        "adds the _order column with a constant default (no rewrite)",
        'migrations.AlterOrderWithRespectTo("invoice", "customer"),',
    ),
    # ------------------------------------------------------------ AddField
    Case(
        "add-field-nullable",
        "minor",
        "a nullable column: metadata only",
        _MEMO,
        notes=0,
    ),
    Case(
        "add-field-default",
        "minor",
        "ADD COLUMN with a constant default does not rewrite the table",
        'migrations.AddField("invoice", "currency", models.CharField(max_length=3, '
        'default="EUR")),',
        notes=0,
    ),
    Case(
        "add-field-preserve-default-false",
        "minor",
        "the one-off default still fills existing rows in SQL",
        'migrations.AddField("invoice", "currency", models.CharField(max_length=3, '
        'default="EUR"), preserve_default=False),',
    ),
    Case(
        "add-field-not-null-no-default",
        "major",
        "NOT NULL without DEFAULT fails on a table with rows",
        'migrations.AddField("invoice", "currency", models.CharField(max_length=3)),',
    ),
    Case(
        "add-field-default-none-not-null",
        "major",
        "default=None is no default: the SQL has NOT NULL and no DEFAULT",
        'migrations.AddField("invoice", "currency", models.CharField(max_length=3, '
        "default=None), preserve_default=False),",
    ),
    Case(
        "add-field-many-to-many",
        "minor",
        "a new join table",
        'migrations.AddField("invoice", "tags", models.ManyToManyField(to="shop_app.customer")),',
        notes=0,
    ),
    Case(
        "add-field-fk-nullable-existing-table",
        "minor",
        "the FK column is NULL everywhere; its index build blocks writes (note)",
        'migrations.AddField("invoice", "payer", models.ForeignKey(null=True, '
        'on_delete=django.db.models.deletion.SET_NULL, related_name="+", '
        'to="shop_app.customer")),',
        notes=1,
    ),
    Case(
        "add-field-unique-with-default",
        "major",
        "every existing row gets the same value and violates UNIQUE",
        'migrations.AddField("invoice", "token", models.CharField(max_length=8, default="x", '
        "unique=True)),",
    ),
    Case(
        "add-field-db-default-now",
        "minor",
        "STATEMENT_TIMESTAMP() is evaluated once: no rewrite",
        'migrations.AddField("invoice", "issued", models.DateTimeField('
        "db_default=django.db.models.functions.Now())),",
        header="import django.db.models.functions",
        notes=0,
    ),
    Case(
        "add-field-db-default-random-uuid",
        "minor",
        "gen_random_uuid() differs per row: the table is rewritten (note)",
        'migrations.AddField("invoice", "uid", models.UUIDField('
        "db_default=django.contrib.postgres.functions.RandomUUID())),",
        header="import django.contrib.postgres.functions",
        notes=1,
    ),
    # ------------------------------------------------------------ RemoveField / RenameField
    Case(
        "remove-field",
        "major",
        "DROP COLUMN loses the data",
        'migrations.RemoveField("invoice", "note"),',
    ),
    Case(
        "rename-field",
        "major",
        "the attribute and the column get a new name",
        'migrations.RenameField("invoice", "note", "memo"),',
    ),
    # ------------------------------------------------------------ AlterField
    Case(
        "alter-field-longer",
        "minor",
        "varchar(32) -> varchar(64) is binary-coercible: no rewrite",
        'migrations.AlterField("invoice", "number", models.CharField(max_length=64)),',
        notes=0,
    ),
    Case(
        "alter-field-shorter",
        "major",
        "varchar(32) -> varchar(16) fails or truncates existing values",
        'migrations.AlterField("invoice", "number", models.CharField(max_length=16)),',
    ),
    Case(
        "alter-field-not-null",
        "major",
        "NULL notes make SET NOT NULL fail; writers of None break",
        'migrations.AlterField("invoice", "note", models.TextField()),',
    ),
    Case(
        "alter-field-nullable",
        "minor",
        "DROP NOT NULL only widens",
        'migrations.AlterField("invoice", "number", models.CharField(max_length=32, null=True)),',
        notes=0,
    ),
    Case(
        "alter-field-help-text",
        "patch",
        "help_text is Django-side only: no SQL",
        'migrations.AlterField("invoice", "legacy_code", models.CharField(max_length=8, '
        'null=True, help_text="from the old billing system")),',
    ),
    Case(
        "alter-field-verbose-name",
        "patch",
        "verbose_name is Django-side only: no SQL",
        'migrations.AlterField("invoice", "number", models.CharField(max_length=32, '
        'verbose_name="invoice number")),',
    ),
    Case(
        "alter-field-choices-narrowed",
        "major",
        "rows holding 'void' no longer validate",
        'migrations.AlterField("invoice", "status", models.CharField(choices=[("open", "Open"),'
        ' ("paid", "Paid")], default="open", max_length=16)),',
    ),
    Case(
        "alter-field-choices-widened",
        "minor",
        "a new choice is additive",
        'migrations.AlterField("invoice", "status", models.CharField(choices=[("open", "Open"),'
        ' ("paid", "Paid"), ("void", "Void"), ("late", "Late")], default="open", '
        "max_length=16)),",
    ),
    Case(
        "alter-field-fk-retargeted",
        "major",
        "the relation points to another model: existing ids may not exist there",
        'migrations.CreateModel("Client", [("id", models.BigAutoField(primary_key=True))]), '
        'migrations.AlterField("invoice", "customer", models.ForeignKey('
        'on_delete=django.db.models.deletion.PROTECT, related_name="invoices", '
        'to="shop_app.client")),',
    ),
    Case(
        "alter-field-on-delete",
        "major",
        "deleting a customer now cascades to its invoices",
        'migrations.AlterField("invoice", "customer", models.ForeignKey('
        'on_delete=django.db.models.deletion.CASCADE, related_name="invoices", '
        'to="shop_app.customer")),',
    ),
    Case(
        "alter-field-integer-to-bigint",
        "minor",
        "int4 -> int8 keeps every value but rewrites the table (note)",
        'migrations.AlterField("invoice", "quantity", models.BigIntegerField(default=1)),',
        notes=1,
    ),
    Case(
        "alter-field-char-to-text",
        "minor",
        "varchar -> text keeps every value without a rewrite",
        'migrations.AlterField("invoice", "number", models.TextField()),',
        notes=0,
    ),
    Case(
        "alter-field-char-to-integer",
        "major",
        "text that is not a number cannot be cast",
        'migrations.AlterField("invoice", "legacy_code", models.IntegerField(null=True)),',
    ),
    Case(
        "alter-field-default-changed",
        "minor",
        "new rows get another value",
        'migrations.AlterField("invoice", "quantity", models.IntegerField(default=2)),',
    ),
    Case(
        "alter-field-unique",
        "major",
        "existing numbers may repeat",
        'migrations.AlterField("invoice", "number", models.CharField(max_length=32, unique=True)),',
    ),
    Case(
        "alter-field-after-add-field-same-migration",
        "minor",
        "the column is new in this migration: the AlterField compares with the AddField",
        _MEMO + '\nmigrations.AlterField("invoice", "memo", models.TextField(null=True, '
        'help_text="free text")),',
    ),
    Case(
        "alter-field-db-index",
        "minor",
        "two index builds (btree and varchar_pattern_ops) block writes (notes)",
        'migrations.AlterField("invoice", "number", models.CharField(max_length=32, '
        "db_index=True)),",
        notes=2,
    ),
    # ------------------------------------------------------------ indexes and constraints
    Case(
        "add-index",
        "minor",
        "CREATE INDEX on an existing table: writes wait (note)",
        'migrations.AddIndex("invoice", models.Index(fields=["number"], '
        'name="invoice_number_idx")),',
        notes=1,
    ),
    Case(
        "add-index-on-new-table",
        "minor",
        "the table is created empty in the same migration: no note",
        'migrations.CreateModel("Refund", [("id", models.BigAutoField(primary_key=True)),'
        ' ("code", models.CharField(max_length=8))]), '
        'migrations.AddIndex("refund", models.Index(fields=["code"], name="refund_code_idx")),',
        notes=0,
    ),
    Case(
        "remove-index",
        "patch",
        "DROP INDEX loses no data",
        'migrations.RemoveIndex("invoice", "invoice_status_idx"),',
    ),
    Case(
        "rename-index",
        "patch",
        "ALTER INDEX RENAME: nothing uses an index's name",
        'migrations.RenameIndex("invoice", new_name="invoice_state_idx", '
        'old_name="invoice_status_idx"),',
    ),
    Case(
        "add-unique-constraint",
        "major",
        "existing rows may repeat (customer, number)",
        'migrations.AddConstraint("invoice", models.UniqueConstraint(fields=["customer", '
        '"number"], name="invoice_customer_number")),',
        notes=1,
    ),
    Case(
        "add-check-constraint",
        "major",
        "existing rows may violate the check",
        'migrations.AddConstraint("invoice", models.CheckConstraint(condition=models.Q('
        'quantity__gt=0), name="invoice_quantity_gt_0")),',
        notes=1,
    ),
    Case(
        "remove-constraint",
        "patch",
        "dropping a check constraint loses nothing",
        'migrations.RemoveConstraint("invoice", "invoice_amount_gte_0"),',
    ),
    Case(
        "alter-constraint",
        "patch",
        "Django 5.2's AlterConstraint changes only what Django reports",
        'migrations.AlterConstraint("invoice", "invoice_amount_gte_0", models.CheckConstraint('
        'condition=models.Q(amount__gte=0), name="invoice_amount_gte_0", '
        'violation_error_message="no negative invoices")),',
    ),
    # ------------------------------------------------------------ RunSQL
    Case(
        "run-sql-irreversible",
        "major",
        "no reverse_sql: a rollback needs a restore",
        'migrations.RunSQL("CREATE INDEX invoice_note_idx ON shop_app_invoice (note)"),',
    ),
    Case(
        "run-sql-create-index-reversible",
        "minor",
        "reversible; the index build on an existing table is a note",
        'migrations.RunSQL("CREATE INDEX invoice_note_idx ON shop_app_invoice (note)", '
        '"DROP INDEX invoice_note_idx"),',
        notes=1,
    ),
    Case(
        "run-sql-delete",
        "major",
        "DELETE loses rows",
        'migrations.RunSQL("DELETE FROM shop_app_invoice WHERE amount = 0", '
        "migrations.RunSQL.noop),",
    ),
    Case(
        "run-sql-backfill-nulls",
        "minor",
        "UPDATE ... WHERE col IS NULL only fills gaps (note: it updates rows)",
        "migrations.RunSQL(\"UPDATE shop_app_invoice SET note = '' WHERE note IS NULL\", "
        "migrations.RunSQL.noop),",
        notes=1,
    ),
    Case(
        "run-sql-update-overwrites",
        "major",
        "UPDATE without a NULL guard overwrites values",
        "migrations.RunSQL(\"UPDATE shop_app_invoice SET status = 'open'\", "
        "migrations.RunSQL.noop),",
    ),
    Case(
        "run-sql-rename-column",
        "major",
        "ALTER TABLE RENAME COLUMN breaks the running release",
        'migrations.RunSQL("ALTER TABLE shop_app_invoice RENAME COLUMN note TO memo", '
        '"ALTER TABLE shop_app_invoice RENAME COLUMN memo TO note"),',
    ),
    Case(
        "run-sql-alter-type",
        "major",
        "a type change in raw SQL: the old type is unknown, values may be cast away",
        'migrations.RunSQL("ALTER TABLE shop_app_invoice ALTER COLUMN quantity TYPE smallint", '
        '"ALTER TABLE shop_app_invoice ALTER COLUMN quantity TYPE integer"),',
    ),
    Case(
        "run-sql-set-not-null",
        "major",
        "rows holding NULL make SET NOT NULL fail",
        'migrations.RunSQL("ALTER TABLE shop_app_invoice ALTER COLUMN note SET NOT NULL", '
        '"ALTER TABLE shop_app_invoice ALTER COLUMN note DROP NOT NULL"),',
        notes=1,
    ),
    Case(
        "run-sql-drop-not-null",
        "minor",
        "DROP NOT NULL only widens",
        'migrations.RunSQL("ALTER TABLE shop_app_invoice ALTER COLUMN number DROP NOT NULL", '
        '"ALTER TABLE shop_app_invoice ALTER COLUMN number SET NOT NULL"),',
        notes=0,
    ),
    Case(
        "run-sql-drop-index",
        "minor",
        "DROP INDEX loses no data",
        'migrations.RunSQL("DROP INDEX invoice_status_idx", '
        '"CREATE INDEX invoice_status_idx ON shop_app_invoice (status)"),',
        notes=0,
    ),
    Case(
        "run-sql-unique-constraint",
        "major",
        "ADD CONSTRAINT UNIQUE: existing rows may repeat",
        'migrations.RunSQL("ALTER TABLE shop_app_invoice ADD CONSTRAINT number_uniq UNIQUE '
        '(number)", "ALTER TABLE shop_app_invoice DROP CONSTRAINT number_uniq"),',
    ),
    Case(
        "run-sql-with-state-operations",
        "minor",
        "the column is added in SQL and in Django's state alike",
        'migrations.RunSQL("ALTER TABLE shop_app_invoice ADD COLUMN memo text NULL", '
        '"ALTER TABLE shop_app_invoice DROP COLUMN memo", state_operations=['
        'migrations.AddField("invoice", "memo", models.TextField(null=True))]),',
    ),
    Case(
        "run-sql-rename-with-state-operations",
        "major",
        "renamed in SQL and in state: both break the running release",
        'migrations.RunSQL("ALTER TABLE shop_app_invoice RENAME COLUMN note TO memo", '
        '"ALTER TABLE shop_app_invoice RENAME COLUMN memo TO note", state_operations=['
        'migrations.RenameField("invoice", "note", "memo")]),',
    ),
    Case(
        "run-sql-do-block",
        "major",
        "a PL/pgSQL block's effect cannot be seen in SQL: unclassified",
        'migrations.RunSQL("DO $$ BEGIN PERFORM 1; END $$", migrations.RunSQL.noop),',
        unclassified=1,
    ),
    Case(
        "run-sql-with-params",
        "minor",
        "an INSERT with parameters adds rows",
        'migrations.RunSQL([("INSERT INTO shop_app_customer (name, email) VALUES (%s, %s)", '
        '["Acme", "billing@acme.test"])], migrations.RunSQL.noop),',
    ),
    Case(
        "run-sql-create-extension",
        "minor",
        "CREATE EXTENSION needs a privileged role (note)",
        'migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS pg_trgm", migrations.RunSQL.noop),',
        notes=1,
    ),
    Case(
        "run-sql-concurrent-index-non-atomic",
        "minor",
        "CREATE INDEX CONCURRENTLY does not block writes",
        'migrations.RunSQL("CREATE INDEX CONCURRENTLY invoice_note_idx ON shop_app_invoice '
        '(note)", "DROP INDEX CONCURRENTLY invoice_note_idx"),',
        extra="atomic = False\n",
        notes=0,
    ),
    Case(
        "run-sql-not-postgres",
        "major",
        "PostgreSQL's parser rejects it: unclassified",
        'migrations.RunSQL("ALTER TABLE shop_app_invoice MODIFY note TEXT", '
        "migrations.RunSQL.noop),",
        unclassified=1,
    ),
    # ------------------------------------------------------------ RunPython
    Case(
        "run-python-irreversible",
        "major",
        "no reverse_code: a rollback needs a restore",
        "migrations.RunPython(forwards),",
    ),
    Case(
        "run-python-reversible",
        "minor",
        "reversible data code: a minor with an operator note",
        "migrations.RunPython(forwards, backwards),",
        notes=1,
    ),
    Case(
        "run-python-reverse-noop",
        "minor",
        "RunPython.noop as reverse is reversible",
        "migrations.RunPython(forwards, migrations.RunPython.noop),",
    ),
    Case(
        "run-python-noop-both",
        "patch",
        "runs nothing either way",
        "migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),",
    ),
    Case(
        "run-python-elidable-irreversible",
        "major",
        "elidable changes nothing about reversibility",
        "migrations.RunPython(forwards, elidable=True),",
    ),
    Case(
        "run-python-on-new-table",
        "minor",
        "seeds a table this migration creates, reversibly",
        'migrations.CreateModel("Currency", [("code", models.CharField(max_length=3, '
        "primary_key=True))]), migrations.RunPython(forwards, backwards),",
    ),
    Case(
        "run-python-irreversible-on-new-table",
        "major",
        "irreversible whatever the table",
        'migrations.CreateModel("Currency", [("code", models.CharField(max_length=3, '
        "primary_key=True))]), migrations.RunPython(forwards),",
    ),
    # ------------------------------------------------------------ SeparateDatabaseAndState
    Case(
        "separate-inline-database-remove",
        "major",
        "the database operation drops the column",
        "migrations.SeparateDatabaseAndState(database_operations=[migrations.RemoveField("
        '"invoice", "note")], state_operations=[migrations.RemoveField("invoice", "note")]),',
    ),
    Case(
        "separate-state-only-rename",
        "major",
        "the model attribute consumers use is renamed, though the column stays",
        "migrations.SeparateDatabaseAndState(state_operations=[migrations.AlterField("
        '"invoice", "note", models.TextField(null=True, db_column="note")), '
        'migrations.RenameField("invoice", "note", "memo")]),',
    ),
    Case(
        "separate-via-variables",
        "major",
        "database_operations in a variable: Django evaluates it, DROP COLUMN shows",
        "migrations.SeparateDatabaseAndState(database_operations=DATABASE, "
        "state_operations=STATE),",
        header='DATABASE = [migrations.RemoveField("invoice", "legacy_code")]\n'
        'STATE = [migrations.RemoveField("invoice", "legacy_code")]\n',
    ),
    Case(
        "separate-state-only-help-text",
        "patch",
        "a state-only option change",
        "migrations.SeparateDatabaseAndState(state_operations=[migrations.AlterField("
        '"invoice", "legacy_code", models.CharField(max_length=8, null=True, help_text="x"))]),',
    ),
    Case(
        "separate-sql-add-column-state-add-field",
        "minor",
        "the column comes from RunSQL, the field from state: additive",
        "migrations.SeparateDatabaseAndState(database_operations=[migrations.RunSQL("
        '"ALTER TABLE shop_app_invoice ADD COLUMN memo text NULL", '
        '"ALTER TABLE shop_app_invoice DROP COLUMN memo")], state_operations=['
        'migrations.AddField("invoice", "memo", models.TextField(null=True))]),',
    ),
    # ------------------------------------------------------------ dynamic operation lists
    Case(
        "dynamic-concatenated-lists",
        "major",
        "operations = BASE + EXTRA: the RemoveField is in EXTRA",
        files={
            "0003_case.py": (
                "from django.db import migrations, models\n\n"
                'BASE = [migrations.AddField("invoice", "memo", models.TextField(null=True))]\n'
                'EXTRA = [migrations.RemoveField("invoice", "note")]\n\n\n'
                "class Migration(migrations.Migration):\n"
                '    dependencies = [("shop_app", "0002_fill_legacy")]\n'
                "    operations = BASE + EXTRA\n"
            )
        },
    ),
    Case(
        "dynamic-helper-function",
        "major",
        "operations built by a helper: only Django sees the DROP COLUMN",
        "*_operations(),",
        header='def _operations():\n    return [migrations.RemoveField("invoice", "note")]\n',
    ),
    Case(
        "dynamic-comprehension",
        "minor",
        "three nullable columns from a comprehension",
        '*[migrations.AddField("invoice", f"extra_{i}", models.TextField(null=True)) '
        "for i in range(3)],",
        notes=0,
    ),
    # ------------------------------------------------------------ squashes
    Case(
        "squash-of-unreleased",
        "major",
        "a release-point database runs the squash, and it drops legacy_code",
        files={
            "0003_a.py": migration(_MEMO),
            "0004_b.py": migration(
                'migrations.RemoveField("invoice", "legacy_code"),', previous="0003_a"
            ),
            "0003_squashed_0004.py": _SQUASH_0003_0004,
        },
    ),
    Case(
        "squash-of-unreleased-originals-deleted",
        "major",
        "the same squash after its originals were removed",
        files={"0003_squashed_0004.py": _SQUASH_0003_0004},
    ),
    Case(
        "squash-of-released",
        "patch",
        "a release-point database applied the originals and skips the squash",
        files={"0001_squashed_0002.py": _SQUASH_0001_0002},
    ),
    Case(
        "squash-of-released-originals-deleted",
        "patch",
        "deleting migrations a released squash replaces",
        released={"0001_squashed_0002.py": _SQUASH_0001_0002},
        files={"0001_initial.py": None, "0002_fill_legacy.py": None},
    ),
    Case(
        "squash-of-released-and-unreleased",
        "minor",
        "the squash is unusable at the release point; the new original (AddField) runs",
        files={
            "0003_a.py": migration(_MEMO),
            "0002_squashed_0003.py": (
                "from django.db import migrations, models\n\n\n"
                "class Migration(migrations.Migration):\n"
                '    replaces = [("shop_app", "0002_fill_legacy"), ("shop_app", "0003_a")]\n'
                '    dependencies = [("shop_app", "0001_initial")]\n'
                "    operations = [\n"
                '        migrations.AddField("invoice", "memo", models.TextField(null=True)),\n'
                "    ]\n"
            ),
        },
    ),
    # ------------------------------------------------------------ edits of released migrations
    Case(
        "edit-released-cosmetic",
        "patch",
        "help_text changed in 0001: same SQL, state differs only Django-side",
        files={
            "0001_initial.py": RELEASED_FILES[
                "packages/shop-app/src/shop_app/migrations/0001_initial.py"
            ].replace('help_text="old system"', 'help_text="the old billing system"')
        },
    ),
    Case(
        "edit-released-real",
        "major",
        "max_length changed in 0001: released databases keep varchar(32)",
        files={
            "0001_initial.py": RELEASED_FILES[
                "packages/shop-app/src/shop_app/migrations/0001_initial.py"
            ].replace(
                '("number", models.CharField(max_length=32))',
                '("number", models.CharField(max_length=40))',
            )
        },
    ),
    Case(
        "edit-released-formatting",
        "patch",
        "a comment and blank lines: nothing it does changed",
        files={
            "0001_initial.py": "# generated long ago\n\n"
            + RELEASED_FILES["packages/shop-app/src/shop_app/migrations/0001_initial.py"]
        },
    ),
    Case(
        "edit-released-run-python-code",
        "minor",
        "the data code changed: released databases keep what the old code did",
        files={
            "0002_fill_legacy.py": RELEASED_FILES[
                "packages/shop-app/src/shop_app/migrations/0002_fill_legacy.py"
            ].replace('legacy_code="-"', 'legacy_code="?"')
        },
        notes=1,
    ),
    Case(
        "delete-released",
        "major",
        "a released migration is gone and nothing replaces it",
        files={"0002_fill_legacy.py": None},
    ),
    # ------------------------------------------------------------ contrib.postgres
    Case(
        "postgres-add-index-concurrently",
        "patch",
        "CREATE INDEX CONCURRENTLY in a non-atomic migration: no write lock, nothing to note",
        'AddIndexConcurrently("invoice", models.Index(fields=["number"], name="inv_num_idx")),',
        header="from django.contrib.postgres.operations import AddIndexConcurrently\n",
        extra="atomic = False\n",
        notes=0,
    ),
    Case(
        "postgres-add-index-concurrently-atomic",
        "major",
        "migrate fails: concurrent index inside an atomic migration (unclassified)",
        'AddIndexConcurrently("invoice", models.Index(fields=["number"], name="inv_num_idx")),',
        header="from django.contrib.postgres.operations import AddIndexConcurrently\n",
        unclassified=1,
    ),
    Case(
        "postgres-remove-index-concurrently",
        "patch",
        "DROP INDEX CONCURRENTLY loses nothing",
        'RemoveIndexConcurrently("invoice", "invoice_status_idx"),',
        header="from django.contrib.postgres.operations import RemoveIndexConcurrently\n",
        extra="atomic = False\n",
    ),
    Case(
        "postgres-trigram-extension",
        "minor",
        "CREATE EXTENSION pg_trgm needs a privileged role (note)",
        "TrigramExtension(),",
        header="from django.contrib.postgres.operations import TrigramExtension\n",
        notes=1,
    ),
    Case(
        "postgres-constraint-not-valid",
        "minor",
        "NOT VALID checks no existing row; new writes must pass it",
        'AddConstraintNotValid("invoice", models.CheckConstraint(condition=models.Q('
        'quantity__gt=0), name="invoice_quantity_gt_0")),',
        header="from django.contrib.postgres.operations import AddConstraintNotValid\n",
    ),
    Case(
        "postgres-validate-constraint",
        "major",
        "VALIDATE CONSTRAINT fails on violating rows",
        'AddConstraintNotValid("invoice", models.CheckConstraint(condition=models.Q('
        'quantity__gt=0), name="invoice_quantity_gt_0")), '
        'ValidateConstraint("invoice", "invoice_quantity_gt_0"),',
        header="from django.contrib.postgres.operations import AddConstraintNotValid, "
        "ValidateConstraint\n",
    ),
    Case(
        "postgres-create-collation",
        "patch",
        "a collation is a new object; nothing existing changes",
        'CreateCollation("german_phonebook", provider="icu", locale="und-u-ks-level2"),',
        header="from django.contrib.postgres.operations import CreateCollation\n",
    ),
    # ------------------------------------------------------------ third-party operations
    Case(
        "unknown-operation",
        "major",
        "an operation class monorel does not know: unclassified until declared",
        'CreateAuditTrigger("shop_app_invoice"),',
        header=_UNKNOWN_OP,
        unclassified=1,
    ),
    Case(
        "unknown-subclass-of-add-field",
        "major",
        "a subclass of AddField may do anything: unclassified",
        'AddMemoField("invoice", "memo", MemoField(null=True)),',
        header=_MEMO_FIELD,
        unclassified=1,
    ),
    Case(
        "configured-operation-judged-by-sql",
        "minor",
        'declared "sql" in [tool.monorel.migration-operations]: its state and SQL decide',
        'AddMemoField("invoice", "memo", MemoField(null=True)),',
        header=_MEMO_FIELD,
        config='"shop_app.migrations.0003_case.AddMemoField" = "sql"\n',
    ),
    Case(
        "configured-operation-level",
        "patch",
        "declared patch with a reason in the configuration",
        'CreateAuditTrigger("shop_app_invoice"),',
        header=_UNKNOWN_OP,
        config='"shop_app.migrations.0003_case.CreateAuditTrigger" = '
        '{ bump = "patch", reason = "only comments the table" }\n',
    ),
    # ------------------------------------------------------------ declarations
    Case(
        "declaration-raises",
        "major",
        "a declaration may raise the verdict freely",
        _MEMO,
        header="# monorel: major -- 2.0 drops reading memo from the legacy importer\n",
        notes=1,
    ),
    Case(
        "declaration-lowers-with-reason",
        "patch",
        "the index note is lowered with a reason: shown as an operator note",
        'migrations.AddIndex("invoice", models.Index(fields=["number"], name="inv_num_idx")),',
        header="# monorel: patch -- invoices holds a few hundred rows: the build is instant\n",
        notes=2,
    ),
    Case(
        "declaration-resolves-unknown",
        "minor",
        "an unknown operation declared with a reason",
        'CreateAuditTrigger("shop_app_invoice"),',
        header=_UNKNOWN_OP + "\n# monorel: minor -- only comments the table\n",
    ),
    # ------------------------------------------------------------ encodings and broken files
    Case(
        "encoding-utf8-bom",
        "minor",
        "a UTF-8 byte-order mark is Python's business, not a crash",
        files={"0003_case.py": b"\xef\xbb\xbf" + migration(_MEMO).encode()},
    ),
    Case(
        "encoding-latin1-cookie",
        "patch",
        "PEP 263 latin-1 with a non-ASCII verbose_name",
        files={
            "0003_case.py": (
                "# -*- coding: latin-1 -*-\n"
                + migration(
                    'migrations.AlterField("invoice", "number", models.CharField('
                    'max_length=32, verbose_name="numéro")),'
                )
            ).encode("latin-1")
        },
    ),
    Case(
        "encoding-undecodable",
        "major",
        "latin-1 bytes without a cookie do not import: unclassified",
        files={
            "0003_case.py": migration(
                'migrations.AlterField("invoice", "number", models.CharField('
                'max_length=32, verbose_name="numéro")),'
            ).encode("latin-1")
        },
        unclassified=1,
    ),
    Case(
        "syntax-error",
        "major",
        "a migration that does not parse: unclassified, by name",
        files={"0003_case.py": "class Migration(:\n"},
        unclassified=1,
    ),
    Case(
        "import-error",
        "major",
        "a migration whose import fails: unclassified with the error",
        _MEMO,
        header="import shop_app.no_such_module\n",
        unclassified=1,
    ),
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory, semver_postgres: str) -> dict[str, Outcome]:
    """Every case judged once, in parallel processes, on one shared PostgreSQL cluster."""
    base = tmp_path_factory.mktemp("semver-corpus")
    template = release_workspace(base / "template", files=RELEASED_FILES)
    return run_cases(CASES, template, base / "cases", semver_postgres)


def test_the_corpus_has_at_least_80_cases_with_distinct_ids() -> None:
    assert len(CASES) >= 80
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_corpus_case(case: Case, outcomes: dict[str, Outcome]) -> None:
    # given the released workspace with the case's migration written into it,
    # when `monorel semver shop-app --format json` judged it (in the fixture)
    outcome = outcomes[case.id]

    # then the verdict is exactly the labelled one, and nothing in the tree changed
    assert outcome.code == 0, outcome.stderr[-3000:]
    verdict = outcome.verdict
    summary = [e["summary"] for e in verdict["evidence"]]
    assert verdict["required"] == case.required, (case.reason, summary, verdict["unclassified"])
    assert len(verdict["unclassified"]) == case.unclassified, verdict["unclassified"]
    if case.notes is not None:
        assert len(verdict["operator_notes"]) == case.notes, verdict["operator_notes"]
    assert outcome.status_after == outcome.status_before
