"""Invoice.due_date (1.1.0): set by issue(), backfilled by migration 0002 in bounded chunks."""

from __future__ import annotations

import datetime
import importlib

import pytest
from billing_app.api import InvoiceService
from billing_app.models import Invoice, InvoiceStatus
from billing_factories import InvoiceFactory, draft_invoice
from django.urls import reverse

migration = importlib.import_module("billing_app.migrations.0002_invoice_due_date")

ISSUED = datetime.datetime(2024, 4, 1, 23, 30, tzinfo=datetime.UTC)


def _issued_without_due_date(count: int) -> list[int]:
    """Invoices as 1.0.0 left them: issued, no due date."""
    return [
        InvoiceFactory(
            status=InvoiceStatus.OPEN,
            issued_at=ISSUED + datetime.timedelta(days=n),
            due_date=None,
        ).pk
        for n in range(count)
    ]


def _due_dates() -> dict[int, datetime.date | None]:
    return dict(Invoice.objects.order_by("pk").values_list("pk", "due_date"))


@pytest.mark.django_db
def test_issue_sets_the_due_date_thirty_days_after_the_utc_issue_date():
    # given
    draft = draft_invoice()
    # when
    InvoiceService().issue(draft.id)
    # then
    invoice = Invoice.objects.get(pk=draft.id)
    assert invoice.due_date == invoice.issued_at.astimezone(datetime.UTC).date() + (
        datetime.timedelta(days=30)
    )


@pytest.mark.django_db
def test_backfill_fills_issued_invoices_in_chunks_of_bounded_size():
    # given five issued invoices without a due date, a draft, and one already set
    issued = _issued_without_due_date(5)
    draft = InvoiceFactory(status=InvoiceStatus.DRAFT).pk
    preset = InvoiceFactory(
        status=InvoiceStatus.OPEN, issued_at=ISSUED, due_date=datetime.date(2030, 1, 1)
    ).pk
    chunk_rows: list[int] = []
    # when
    report = migration.backfill_due_dates(
        Invoice, using="default", chunk_size=2, on_chunk=chunk_rows.append
    )
    # then
    assert report == migration.BackfillReport(chunks=3, rows=5)
    assert chunk_rows == [2, 2, 1]
    due = _due_dates()
    assert [due[pk] for pk in issued] == [
        datetime.date(2024, 5, 1),
        datetime.date(2024, 5, 2),
        datetime.date(2024, 5, 3),
        datetime.date(2024, 5, 4),
        datetime.date(2024, 5, 5),
    ]
    assert due[draft] is None
    assert due[preset] == datetime.date(2030, 1, 1)


@pytest.mark.django_db
def test_the_backfill_takes_the_utc_date_of_the_issue_time():
    # given an invoice issued 00:30 at UTC+2, which is still the previous day in UTC
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    pk = InvoiceFactory(
        status=InvoiceStatus.OPEN,
        issued_at=datetime.datetime(2024, 4, 2, 0, 30, tzinfo=plus_two),
        due_date=None,
    ).pk
    # when
    migration.backfill_due_dates(Invoice, using="default")
    # then the database computed what due_date_for() says: 2024-04-01 + 30 days
    assert _due_dates()[pk] == datetime.date(2024, 5, 1)
    assert migration.due_date_for(datetime.datetime(2024, 4, 2, 0, 30, tzinfo=plus_two)) == (
        datetime.date(2024, 5, 1)
    )


@pytest.mark.django_db
def test_running_the_backfill_again_changes_nothing():
    # given a completed backfill
    _issued_without_due_date(3)
    migration.backfill_due_dates(Invoice, using="default", chunk_size=2)
    before = _due_dates()
    # when
    report = migration.backfill_due_dates(Invoice, using="default", chunk_size=2)
    # then
    assert report == migration.BackfillReport(chunks=0, rows=0)
    assert _due_dates() == before


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_backfill_keeps_its_committed_chunks_and_a_rerun_finishes():
    # given a backfill that dies after its first chunk has committed
    issued = _issued_without_due_date(5)

    class Interrupted(Exception):
        pass

    def die(rows: int) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        migration.backfill_due_dates(Invoice, using="default", chunk_size=2, on_chunk=die)
    # then the first chunk stays (no giant transaction), the rest is still missing
    assert [pk for pk, due in _due_dates().items() if due is not None] == issued[:2]
    # when it runs again
    report = migration.backfill_due_dates(Invoice, using="default", chunk_size=2)
    # then it does only what is left
    assert report == migration.BackfillReport(chunks=2, rows=3)
    assert all(_due_dates()[pk] is not None for pk in issued)


def test_the_migration_commits_per_chunk_and_can_be_unapplied():
    # given / when / then: not one transaction around the whole backfill
    assert migration.Migration.atomic is False
    run_python = migration.Migration.operations[1]
    assert run_python.reversible
    assert run_python.elidable


@pytest.mark.django_db
def test_the_invoice_admin_filters_by_due_date(admin_client):
    # given one invoice due on 2024-05-01 and one without a due date
    due = InvoiceFactory(status=InvoiceStatus.OPEN, issued_at=ISSUED, due_date=None)
    migration.backfill_due_dates(Invoice, using="default")
    undue = InvoiceFactory(status=InvoiceStatus.DRAFT)
    # when
    response = admin_client.get(
        reverse("admin:billing_app_invoice_changelist"),
        {"due_date__gte": "2024-05-01", "due_date__lt": "2024-05-02"},
    )
    # then
    assert response.status_code == 200
    assert due.number.encode() in response.content
    assert undue.number.encode() not in response.content
