"""The pure parts of `monorel rehearse`: row survival, error summaries, the report."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from monorel.rehearsal import failure, matrix, snapshot
from monorel.rehearsal.legs import LegResult, StepResult


def _table(rows: dict[str, dict[str, str | None]], *, count: int | None = None) -> dict:
    columns = sorted({c for values in rows.values() for c in values})
    return {
        "exists": True,
        "count": len(rows) if count is None else count,
        "columns": columns,
        "rows": rows,
    }


_BEFORE = {
    "shop_item": _table(
        {
            "1": {"id": "h1", "name": "hp", "note": "hn1", "sku": None},
            "2": {"id": "h2", "name": "hq", "note": "hn2", "sku": None},
            "3": {"id": "h3", "name": "hr", "note": None, "sku": None},
        }
    )
}


def test_identical_snapshots_have_no_findings():
    # given / when
    findings = snapshot.compare(_BEFORE, _BEFORE)
    # then
    assert findings == []


def test_a_dropped_column_that_held_data_is_named_with_its_row_count():
    # given note is gone after the upgrade
    after = {
        "shop_item": _table(
            {
                "1": {"id": "h1", "name": "hp", "sku": None},
                "2": {"id": "h2", "name": "hq", "sku": None},
                "3": {"id": "h3", "name": "hr", "sku": None},
            }
        )
    }
    # when
    findings = snapshot.compare(_BEFORE, after)
    # then
    assert findings == ["shop_item.note dropped, 2 rows held data"]


def test_dropping_a_column_that_was_always_empty_is_not_a_loss():
    # given sku held no data in any seeded row
    after = {
        "shop_item": _table(
            {
                "1": {"id": "h1", "name": "hp", "note": "hn1"},
                "2": {"id": "h2", "name": "hq", "note": "hn2"},
                "3": {"id": "h3", "name": "hr", "note": None},
            }
        )
    }
    # when / then
    assert snapshot.compare(_BEFORE, after) == []


def test_filling_an_empty_column_is_a_backfill_not_a_change():
    # given a migration filled sku and note of row 3
    after = {
        "shop_item": _table(
            {
                "1": {"id": "h1", "name": "hp", "note": "hn1", "sku": "s1"},
                "2": {"id": "h2", "name": "hq", "note": "hn2", "sku": "s2"},
                "3": {"id": "h3", "name": "hr", "note": "hn3", "sku": "s3"},
            }
        )
    }
    # when / then
    assert snapshot.compare(_BEFORE, after) == []


def test_changed_values_missing_rows_and_lower_counts_are_each_reported():
    # given row 2 is gone and row 1's name was rewritten
    after = {
        "shop_item": _table(
            {
                "1": {"id": "h1", "name": "CHANGED", "note": "hn1", "sku": None},
                "3": {"id": "h3", "name": "hr", "note": None, "sku": None},
            }
        )
    }
    # when
    findings = snapshot.compare(_BEFORE, after)
    # then
    assert findings == [
        "shop_item: 3 rows before the upgrade, 2 after",
        "shop_item: 1 of 3 seeded rows missing (pk 2)",
        "shop_item.name changed in 1 row (pk 1)",
    ]


def test_a_dropped_table_is_reported_with_its_rows():
    # given / when
    findings = snapshot.compare(_BEFORE, {"shop_item": {"exists": False}})
    # then
    assert findings == ["table shop_item dropped, 3 rows held data"]


def test_summary_counts_rows_and_checksums_seeded_values():
    # given / when
    [summary] = snapshot.summarize(_BEFORE)
    # then
    assert (summary.table, summary.rows, summary.seeded) == ("shop_item", 3, 3)
    assert len(summary.checksum) == 16
    assert snapshot.summarize(_BEFORE)[0].checksum == summary.checksum


_PSYCOPG_CHAIN = """\
Operations to perform:
  Apply all migrations: shop
Traceback (most recent call last):
  File "/v/lib/python3.11/site-packages/django/db/backends/utils.py", line 105, in _execute
    return self.cursor.execute(sql, params)
psycopg.errors.DependentObjectsStillExist: cannot drop column amount of table invoice \
because other objects depend on it
DETAIL:  view invoice_totals depends on column amount of table invoice

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "<frozen runpy>", line 198, in _run_module_as_main
django.db.utils.InternalError: cannot drop column amount of table invoice because other \
objects depend on it
"""


def test_the_driver_error_of_a_chained_traceback_is_named():
    # given / when
    text = failure.summarize(_PSYCOPG_CHAIN)
    # then
    assert text == (
        "DependentObjectsStillExist: cannot drop column amount of table invoice because other "
        "objects depend on it (raised as django.db.utils.InternalError)"
    )


def test_output_without_a_traceback_is_summarized_by_its_last_line():
    # given / when / then
    assert failure.summarize("Migrations for 'shop':\n  0002_x.py\n    - Add field\n") == (
        "- Add field"
    )
    assert failure.summarize("") == "failed with no output"


def _results() -> list[LegResult]:
    good = LegResult("shop", "1.0.0", "1.2.0", [StepResult("migrate", True, 0.5)], seconds=2.25)
    bad = LegResult(
        "shop",
        "1.1.0",
        "1.2.0",
        [
            StepResult("migrate", True, 0.5),
            StepResult("row survival", False, 0.1, "shop_item.note dropped, 2 rows held data", "x"),
        ],
        seconds=3.0,
    )
    return [good, bad]


def test_the_matrix_shows_result_time_failed_step_and_error():
    # given / when
    text = matrix.render(_results(), title="rehearse shop -> 1.2.0")
    # then
    assert text.splitlines() == [
        "rehearse shop -> 1.2.0",
        "from   result  time  failed step   error",
        "1.0.0  ok      2.2s",
        "1.1.0  FAIL    3.0s  row survival  shop_item.note dropped, 2 rows held data",
        "legs: 1 ok, 1 failed",
    ]


def test_junit_has_one_case_per_leg_and_the_failure_message(tmp_path):
    # given
    path = tmp_path / "junit.xml"
    # when
    matrix.write_junit(_results(), path, suite="monorel.rehearse.shop")
    # then
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    names = [case.get("name") for case in suite.iter("testcase")]
    assert names == ["shop 1.0.0 -> 1.2.0", "shop 1.1.0 -> 1.2.0"]
    failure_node = suite.find("testcase/failure")
    assert failure_node is not None
    assert failure_node.get("message") == ("row survival: shop_item.note dropped, 2 rows held data")


def test_once_runs_its_producer_a_single_time_and_repeats_its_error():
    # given
    calls: list[int] = []

    def produce() -> int:
        calls.append(1)
        raise ValueError("boom")

    once = matrix.Once(produce)
    # when
    errors = []
    for _ in range(2):
        try:
            once()
        except ValueError as exc:
            errors.append(str(exc))
    # then
    assert calls == [1]
    assert errors == ["boom", "boom"]


def test_a_view_the_upgrade_dropped_is_named_and_new_views_are_not_findings():
    # given views before and after: one dropped, one kept, one added
    before = ["report_a", "report_b"]
    after = ["report_b", "report_c"]
    # when
    findings = snapshot.compare_views(before, after)
    # then
    assert findings == [
        "view report_a dropped (a column or table it used was dropped with CASCADE)"
    ]
    assert snapshot.compare_views(before, before) == []
