"""Add ``Invoice.due_date`` and backfill it for invoices issued before 1.1.0.

The backfill is safe on a large, live table:

- bounded chunks: at most ``CHUNK_SIZE`` invoices per transaction, found by keyset
  pagination on the primary key (``pk > last_pk ORDER BY pk LIMIT n``), so no chunk
  scans or locks more than it writes and a chunk never re-reads earlier ones;
- never one giant transaction: the migration is ``atomic = False``; each chunk commits
  on its own, so an interrupted run keeps what it did and the next run continues;
- one UPDATE per chunk, the due date computed by the database from ``issued_at``: a
  chunk of 500 holds its locks for milliseconds, not for 500 round trips;
- idempotent: only rows whose ``due_date`` is still NULL are written, and each UPDATE
  repeats that condition, so re-running changes nothing and a due date set meanwhile by
  ``issue()`` (same rule) is never overwritten.

The rule is frozen here on purpose (migrations must not follow later code changes):
due date = the UTC date of ``issued_at`` + 30 days, as ``billing_app._invoices`` does
when it issues an invoice. Drafts and invoices voided before issue have no due date.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import migrations, models, transaction
from django.db.models import DateField, Value
from django.db.models.functions import Cast, TruncDate

CHUNK_SIZE = 500
PAYMENT_TERMS = datetime.timedelta(days=30)


@dataclass(frozen=True)
class BackfillReport:
    chunks: int  # transactions that wrote rows
    rows: int  # invoices given a due date


def due_date_for(issued_at: datetime.datetime) -> datetime.date:
    return issued_at.astimezone(datetime.UTC).date() + PAYMENT_TERMS


# due_date_for() as one SQL expression, so a chunk is one UPDATE statement
_DUE_DATE = Cast(TruncDate("issued_at", tzinfo=datetime.UTC) + Value(PAYMENT_TERMS), DateField())


def backfill_due_dates(
    invoice_model,
    *,
    using: str,
    chunk_size: int = CHUNK_SIZE,
    on_chunk: Callable[[int], None] | None = None,
) -> BackfillReport:
    """Give every issued invoice without a due date one, ``chunk_size`` rows per transaction.

    ``on_chunk(rows)`` is called after each chunk has committed (progress, tests).
    """
    missing = invoice_model.objects.using(using).filter(
        due_date__isnull=True, issued_at__isnull=False
    )
    last_pk = 0
    chunks = rows = 0
    while True:
        with transaction.atomic(using=using):
            pks = list(
                missing.filter(pk__gt=last_pk)
                .order_by("pk")
                .values_list("pk", flat=True)[:chunk_size]
            )
            if not pks:
                return BackfillReport(chunks, rows)
            # the repeated due_date IS NULL (in ``missing``) makes a concurrent issue() win
            written = missing.filter(pk__gte=pks[0], pk__lte=pks[-1]).update(due_date=_DUE_DATE)
            last_pk = pks[-1]
        chunks += 1 if written else 0
        rows += written
        if on_chunk is not None:
            on_chunk(written)


def _forwards(apps, schema_editor) -> None:
    invoice_model = apps.get_model("billing_app", "Invoice")
    backfill_due_dates(invoice_model, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    # each backfill chunk commits by itself (see the module docstring)
    atomic = False

    dependencies = [("billing_app", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="due_date",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        # reverse: nothing to undo (the column goes away with the AddField's reverse);
        # elidable: only rows that existed before 1.1.0 need it (a squash may drop it)
        migrations.RunPython(_forwards, migrations.RunPython.noop, elidable=True),
    ]
