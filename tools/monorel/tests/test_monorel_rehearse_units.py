"""The pure parts of `monorel rehearse`: data survival, schema comparison, declarations,
error summaries, the report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from monorel import workspace
from monorel.rehearsal import _schema, declarations, failure, matrix, schema, snapshot
from monorel.rehearsal.declarations import Declared
from monorel.rehearsal.legs import Case, LegResult, StepResult
from monorel_workspaces import MemberSpec, write, write_workspace


def _table(rows: dict[str, dict[str, str | None]], **extra: object) -> dict:
    columns = sorted({c for values in rows.values() for c in values})
    return {"exists": True, "pk_column": "id", "columns": columns, "rows": rows, **extra}


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
    survival = snapshot.compare(_BEFORE, _BEFORE)
    # then
    assert (survival.findings, survival.notes) == ([], [])


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
    survival = snapshot.compare(_BEFORE, after)
    # then
    assert survival.findings == ["shop_item.note dropped, 2 rows held data"]


def test_a_declared_drop_is_allowed_and_said_where_it_was_declared():
    # given note is gone, and a fragment declares it
    rows = {
        pk: {column: value for column, value in values.items() if column != "note"}
        for pk, values in _BEFORE["shop_item"]["rows"].items()
    }
    after = {"shop_item": _table(rows)}
    declared = Declared(
        drops=frozenset({"shop_item.note"}), sources={"shop_item.note": "+note.breaking.md"}
    )
    # when
    survival = snapshot.compare(_BEFORE, after, declared)
    # then
    assert survival.findings == []
    assert survival.notes == [
        "shop_item.note dropped with data in 2 rows, as declared in +note.breaking.md"
    ]


def test_dropping_a_column_that_was_always_empty_is_not_a_loss():
    # given sku held no data in any row
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
    assert snapshot.compare(_BEFORE, after).findings == []


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
    assert snapshot.compare(_BEFORE, after).findings == []


def test_changed_values_and_missing_rows_are_each_reported():
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
    survival = snapshot.compare(_BEFORE, after)
    # then
    assert survival.findings == [
        "shop_item: 1 of 3 rows missing (pk 2)",
        "shop_item.name changed in 1 row (pk 1)",
    ]


def test_a_declared_rewrite_allows_the_change_of_that_column_only():
    # given names and notes rewritten; the fragments declare the names
    after = {
        "shop_item": _table(
            {
                "1": {"id": "h1", "name": "N1", "note": "X", "sku": None},
                "2": {"id": "h2", "name": "N2", "note": "hn2", "sku": None},
                "3": {"id": "h3", "name": "N3", "note": None, "sku": None},
            }
        )
    }
    declared = Declared(rewrites=frozenset({"shop_item.name"}))
    # when
    survival = snapshot.compare(_BEFORE, after, declared)
    # then
    assert survival.findings == ["shop_item.note changed in 1 row (pk 1)"]
    assert survival.notes == ["shop_item.name rewritten in 3 rows, as declared"]


def test_a_renamed_column_or_table_keeps_its_data():
    # given note renamed to remark and the table renamed to shop_article
    rows = {
        pk: {"id": v["id"], "name": v["name"], "remark": v["note"], "sku": None}
        for pk, v in _BEFORE["shop_item"]["rows"].items()
    }
    after = {"shop_item": {"exists": False}, "shop_article": _table(rows)}
    # when
    survival = snapshot.compare(_BEFORE, after)
    # then
    assert survival.findings == []
    assert survival.notes == [
        "table shop_item renamed to shop_article, every row with it",
        "shop_item.note renamed to shop_article.remark",
    ]


def test_a_dropped_table_is_reported_with_its_rows():
    # given / when
    survival = snapshot.compare(_BEFORE, {"shop_item": {"exists": False}})
    # then
    assert survival.findings == ["table shop_item dropped, 3 rows held data"]


def test_values_longer_than_the_new_max_length_are_findings():
    # given the after snapshot found two notes over the new max_length
    after = {"shop_item": _table(dict(_BEFORE["shop_item"]["rows"]))}
    after["shop_item"]["too_long"] = {"note": {"max_length": 2, "pks": ["1", "2"]}}
    # when
    survival = snapshot.compare(_BEFORE, after)
    # then
    assert survival.findings == [
        "shop_item.note: 2 rows hold values longer than its max_length 2 (pk 1, 2)"
    ]


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


def _schema_of(**tables: dict) -> dict:
    return {
        "vendor": "postgresql",
        "tables": tables,
        "views": {},
        "triggers": {},
        "functions": {},
        "named": {"invoice": ["invoice_status_idx"]},
    }


def _invoice(**changes: object) -> dict:
    table = {
        "columns": {
            "id": {"type": "bigint", "null": False, "default": "generated by default as identity"},
            "due_date": {"type": "date", "null": True, "default": None},
            "status": {"type": "character varying(8)", "null": False, "default": None},
        },
        "constraints": [
            {"name": "invoice_pkey", "kind": "primary key", "definition": "PRIMARY KEY (id)"},
            {"name": "invoice_number_key", "kind": "unique", "definition": "UNIQUE (number)"},
        ],
        "indexes": [
            {"name": "invoice_status_idx", "definition": "USING btree (status)"},
            {"name": "invoice_account_id_5c3b2a", "definition": "USING btree (account_id)"},
        ],
    }
    table.update(changes)
    return table


def test_equal_schemas_have_no_differences_whatever_the_generated_names():
    # given the upgrade kept an old generated index and constraint name
    upgraded = _invoice()
    upgraded["indexes"][1] = {"name": "old_account_id_99", "definition": "USING btree (account_id)"}
    upgraded["constraints"][0] = {
        "name": "old_pkey",
        "kind": "primary key",
        "definition": "PRIMARY KEY (id)",
    }
    # when
    found = schema.compare(_schema_of(invoice=_invoice()), _schema_of(invoice=upgraded), "1.0.0")
    # then
    assert found == []


def test_each_schema_difference_names_its_object():
    # given an upgrade that lost a column, a named index and a unique constraint,
    # changed a type and a nullability, and kept a table a fresh install lacks
    fresh = _invoice()
    upgraded = _invoice(
        columns={
            "id": fresh["columns"]["id"],
            "status": {"type": "character varying(20)", "null": True, "default": None},
        },
        constraints=fresh["constraints"][:1],
        indexes=[
            {"name": "invoice_status_idx", "definition": "USING btree (status, id)"},
            fresh["indexes"][1],
        ],
    )
    # when
    found = schema.compare(
        _schema_of(invoice=fresh),
        _schema_of(invoice=upgraded, legacy=_invoice(columns={}, constraints=[], indexes=[])),
        "1.0.0",
    )
    # then
    assert found == [
        "table legacy exists after upgrading from 1.0.0, not after a fresh install",
        "invoice.due_date exists after a fresh install, missing after upgrading from 1.0.0",
        "invoice.status is character varying(8) after a fresh install, "
        "character varying(20) after upgrading from 1.0.0",
        "invoice.status is NOT NULL after a fresh install, nullable after upgrading from 1.0.0",
        "invoice: unique UNIQUE (number) exists after a fresh install, "
        "missing after upgrading from 1.0.0",
        "invoice: index invoice_status_idx is USING btree (status) after a fresh install, "
        "USING btree (status, id) after upgrading from 1.0.0",
    ]


def test_views_triggers_and_functions_are_compared_by_definition():
    # given
    fresh = _schema_of(invoice=_invoice())
    fresh["views"] = {"open_invoices": "SELECT id FROM invoice", "totals": "SELECT 1"}
    fresh["triggers"] = {"touch": {"table": "invoice", "definition": "CREATE TRIGGER touch"}}
    fresh["functions"] = {"touch()": "abc"}
    upgraded = _schema_of(invoice=_invoice())
    upgraded["views"] = {"open_invoices": "SELECT id, status FROM invoice"}
    # when
    found = schema.compare(fresh, upgraded, "1.0.0")
    # then
    assert found == [
        "view totals exists after a fresh install, missing after upgrading from 1.0.0",
        "view open_invoices differs: 'SELECT id FROM invoice' after a fresh install, "
        "'SELECT id, status FROM invoice' after upgrading from 1.0.0",
        "trigger touch on invoice exists after a fresh install, missing after upgrading from 1.0.0",
        "function touch() exists after a fresh install, missing after upgrading from 1.0.0",
    ]


def test_sqlite_check_constraints_are_read_from_the_create_table_text():
    # given a table as Django creates it on SQLite
    sql = (
        'CREATE TABLE "shop_item" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, '
        '"qty" integer unsigned NOT NULL CHECK ("qty" >= 0), "note" text NOT NULL, '
        'CONSTRAINT "price_positive" CHECK (("price" > 0 AND "note" != \')\')))'
    )
    # when / then
    assert _schema._checks(sql) == [
        (None, '"qty" >= 0'),
        ("price_positive", '("price" > 0 AND "note" != \')\')'),
    ]


def _library_with_changelog(root: Path, changelog: str, fragments: dict[str, str]) -> Path:
    member = MemberSpec("shop-app", version="1.2.0", django_app=False, fragments=fragments)
    ws = write_workspace(root, [member], commit=None)
    write(ws / "packages/shop-app/CHANGELOG.md", changelog)
    return ws


_CHANGELOG = """
    # Changelog

    ## 1.2.0 (2026-01-03)

    ### Migration

    - Statuses are recomputed.

      Rewrites: shop_item.status (#12)

    ### Feature

    - Rewrites: shop_item.ignored

    ## 1.1.0 (2026-01-02)

    ### Breaking

    - Drops: `shop_legacy`, shop_item.memo

    ## 1.0.0 (2026-01-01)

    ### Migration

    - Rewrites: shop_item.before_the_leg
    """


def test_declarations_come_from_pending_fragments_and_the_crossed_changelog_sections(tmp_path):
    # given a changelog with three releases and a pending migration fragment
    root = _library_with_changelog(
        tmp_path / "ws",
        _CHANGELOG,
        {"+price.migration.md": "Prices move.\n\nRewrites: shop_item.price\n"},
    )
    member = workspace.load(root).member("shop-app")
    # when
    from_1_0 = declarations.for_leg(member, "1.0.0")
    from_1_1 = declarations.for_leg(member, "1.1.0")
    # then only the operator-type sections after the old version count
    assert from_1_0.rewrites == {"shop_item.status", "shop_item.price"}
    assert from_1_0.drops == {"shop_legacy", "shop_item.memo"}
    assert from_1_0.sources["shop_item.memo"] == "CHANGELOG.md 1.1.0"
    assert from_1_0.sources["shop_item.price"] == "+price.migration.md"
    assert from_1_1.drops == set()
    # and neither a minor version nor a migration fragment is a major
    assert (from_1_0.major, from_1_1.major) == (False, False)


def test_a_breaking_fragment_or_a_major_version_makes_a_leg_major(tmp_path):
    # given a pending breaking fragment
    root = _library_with_changelog(tmp_path / "ws", _CHANGELOG, {"+x.breaking.md": "Gone.\n"})
    member = workspace.load(root).member("shop-app")
    # when / then
    assert declarations.for_leg(member, "1.1.0").major is True
    assert declarations._crosses_major("1.4.0", "2.0.0") is True
    assert declarations._crosses_major("0.4.2", "0.5.0") is True  # the 0.x rule
    assert declarations._crosses_major("0.4.2", "0.4.3") is False


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
    good = LegResult(
        "shop",
        "1.0.0",
        "1.2.0",
        [
            StepResult("migrate", True, 0.5),
            StepResult(
                "contract tests",
                True,
                0.4,
                cases=[Case("test_contract.py::test_a", 0.125, "passed")],
            ),
        ],
        seconds=2.25,
    )
    bad = LegResult(
        "shop",
        "1.1.0",
        "1.2.0",
        [
            StepResult("migrate", True, 0.5),
            StepResult(
                "data survival", False, 0.1, "shop_item.note dropped, 2 rows held data", "x"
            ),
        ],
        seconds=3.0,
    )
    major = LegResult(
        "shop",
        "0.9.0",
        "1.2.0",
        [
            StepResult(
                "old code",
                True,
                0.3,
                "expected for a major release: 1 of 1 failed: test_a (boom)",
                expected=True,
                cases=[Case("test_contract.py::test_a", 0.25, "expected", "boom", "trace")],
            ),
        ],
        seconds=1.0,
    )
    return [good, bad, major]


def test_the_matrix_shows_result_time_step_and_error():
    # given / when
    text = matrix.render(_results(), title="rehearse shop -> 1.2.0")
    # then a failed leg names its step, a major one its expected failure
    assert text.splitlines() == [
        "rehearse shop -> 1.2.0",
        "from   result  time  step           error",
        "1.0.0  ok      2.2s",
        "1.1.0  FAIL    3.0s  data survival  shop_item.note dropped, 2 rows held data",
        "0.9.0  ok      1.0s  old code       expected for a major release: 1 of 1 failed: "
        "test_a (boom)",
        "legs: 2 ok, 1 failed",
    ]


def test_junit_has_a_case_per_leg_and_per_contract_test_with_its_own_time(tmp_path):
    # given
    path = tmp_path / "junit.xml"
    # when
    matrix.write_junit(_results(), path, suite="monorel.rehearse.shop")
    # then
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("5", "1", "1")
    cases = [(c.get("classname"), c.get("name"), c.get("time")) for c in suite.iter("testcase")]
    assert cases == [
        ("monorel.rehearse.shop", "shop 1.0.0 -> 1.2.0", "2.250"),
        ("monorel.rehearse.shop.1.0.0.contract-tests", "test_contract.py::test_a", "0.125"),
        ("monorel.rehearse.shop", "shop 1.1.0 -> 1.2.0", "3.000"),
        ("monorel.rehearse.shop", "shop 0.9.0 -> 1.2.0", "1.000"),
        ("monorel.rehearse.shop.0.9.0.old-code", "test_contract.py::test_a", "0.250"),
    ]
    failure_node = suite.find("testcase/failure")
    assert failure_node is not None
    assert failure_node.get("message") == (
        "data survival: shop_item.note dropped, 2 rows held data"
    )
    skipped = suite.find("testcase/skipped")
    assert skipped is not None
    assert skipped.get("message") == "expected for a major release: boom"


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
