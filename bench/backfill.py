"""backfill: migration 0002 (Invoice.due_date, chunked backfill) on PostgreSQL, 1,000,000 invoices.

One ephemeral cluster; a database migrated to billing_app 0001 and filled with N invoices
(90 % issued, 10 % drafts; ``--quick``: 10,000), then copied (``CREATE DATABASE ...
TEMPLATE``) so that every variant starts from the same rows:

  0002 as shipped   ``migrate billing_app 0002``: AddField, then the chunked RunPython
                    (keyset chunks of 500, one UPDATE per chunk since commit 458309f;
                    before it, one UPDATE per row: see bench/RESULTS.md)
  one UPDATE        the same AddField and one ``UPDATE ... WHERE due_date IS NULL`` in
                    one transaction (the baseline of the target)
  later migrations  ``migrate billing_app`` after 0002 (0003 builds an index): its
                    transaction holds a lock that blocks writes to the table throughout

Transaction length is taken two ways: in the migrating process, from the start of each
transaction (autocommit off) to the return of its COMMIT; and from PostgreSQL, by a
second connection sampling ``now() - xact_start`` of the migrating backend in
``pg_stat_activity`` every 10 ms. Every variant must leave the same due dates.
"""

from __future__ import annotations

import sys
import threading
import time

from bench._harness import BenchError, Report, Target, child_json, child_main

NAME = "backfill"
SUMMARY = "migration 0002's chunked backfill on PostgreSQL vs one UPDATE"
ROWS = 1_000_000
QUICK_ROWS = 10_000
TARGET_LONGEST_MS = 200.0
TARGET_RATIO = 2.0
_SAMPLE_SECONDS = 0.01
_TABLE = "billing_app_invoice"


def run(quick: bool) -> Report:
    from monorel.postgres import EphemeralPostgres

    rows = QUICK_ROWS if quick else ROWS
    report = Report(
        NAME,
        quick,
        columns=[
            "variant",
            "rows",
            "seconds",
            "rows/s",
            "transactions",
            "longest txn ms",
            "longest sampled ms",
        ],
    )
    with EphemeralPostgres() as cluster:
        base = cluster.create_database("bench_backfill_base")
        prepared = child_json("bench.backfill", {"phase": "prepare", "url": base, "rows": rows})
        urls = {
            phase: cluster.create_database(
                f"bench_backfill_{phase}", template="bench_backfill_base"
            )
            for phase in ("shipped", "single")
        }
        results = {
            phase: child_json("bench.backfill", {"phase": phase, "url": url, "rows": rows})
            for phase, url in urls.items()
        }
    issued = prepared["issued"]
    for phase, result in results.items():
        if result["checksum"] != results["single"]["checksum"] or result["filled"] != issued:
            raise BenchError(
                f"{phase}: {result['filled']} due dates (checksum {result['checksum']}), "
                f"expected {issued} (checksum {results['single']['checksum']})"
            )
    labels = {"shipped": "0002 as shipped", "single": "one UPDATE of all rows"}
    for phase in ("shipped", "single"):
        r = results[phase]
        report.rows.append(
            {
                "variant": labels[phase],
                "rows": r["filled"],
                "seconds": r["seconds"],
                "rows/s": r["filled"] / r["seconds"] if r["seconds"] else 0.0,
                "transactions": r["transactions"],
                "longest txn ms": r["longest_ms"],
                "longest sampled ms": r["sampled_ms"],
            }
        )
        for key in ("seconds", "transactions", "longest_ms", "sampled_ms", "statements"):
            report.metrics[f"{phase}_{key}"] = r[key]
        report.metrics[f"{phase}_rows_per_second"] = round(r["filled"] / r["seconds"], 1)
    later = results["shipped"]["later"]
    if later["migrations"]:
        report.rows.append(
            {
                "variant": f"later migrations: {', '.join(later['migrations'])}",
                "rows": rows,
                "seconds": later["seconds"],
                "rows/s": "",
                "transactions": later["transactions"],
                "longest txn ms": later["longest_ms"],
                "longest sampled ms": later["sampled_ms"],
            }
        )
        report.metrics["later_migrations"] = ", ".join(later["migrations"])
        report.metrics["later_longest_ms"] = later["longest_ms"]
    report.metrics["rows"] = rows
    report.metrics["issued_rows"] = issued
    report.metrics["rows_per_second"] = report.metrics["shipped_rows_per_second"]
    report.metrics["longest_transaction_ms"] = results["shipped"]["longest_ms"]
    report.metrics["single_update_seconds"] = results["single"]["seconds"]
    shipped, single = results["shipped"]["seconds"], results["single"]["seconds"]
    report.metrics["shipped_vs_single_ratio"] = round(shipped / single, 2)
    report.targets += [
        Target(
            "0002 longest transaction", results["shipped"]["longest_ms"], TARGET_LONGEST_MS, "ms"
        ),
        Target("0002 total / one UPDATE", shipped / single, TARGET_RATIO, "x"),
    ]
    report.notes.append(
        f"{rows:,} invoices, {issued:,} issued; durability off (fsync, synchronous_commit) as in "
        "every ephemeral cluster: commits are cheaper than on a production server"
    )
    return report


# -- the child: Django on one database --------------------------------------------------------


def _child(payload: dict) -> dict:
    from bench import _django

    _django.setup(payload["url"])
    phase = payload["phase"]
    if phase == "prepare":
        return _prepare(payload["rows"])
    if phase == "shipped":
        return _shipped()
    return _single()


def _prepare(rows: int) -> dict:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", "billing_app", "0001", verbosity=0)
    with connection.cursor() as cursor:
        # issued invoices every 37 s from 2024 on, in pk order as a real table grows;
        # every tenth a draft (no issued_at), a third of the others paid
        cursor.execute(
            f"""
            INSERT INTO {_TABLE}
                (number, account_id, currency, status, total, amount_paid, created_at, issued_at)
            SELECT 'INV-' || lpad(g::text, 7, '0'), 1 + g %% 5000, 'EUR',
                   CASE WHEN g %% 10 = 0 THEN 'draft' WHEN g %% 3 = 0 THEN 'paid' ELSE 'open' END,
                   100.00,
                   CASE WHEN g %% 10 <> 0 AND g %% 3 = 0 THEN 100.00 ELSE 0 END,
                   t.ts,
                   CASE WHEN g %% 10 = 0 THEN NULL ELSE t.ts + interval '5 hours' END
            FROM generate_series(1, %s) AS g,
                 LATERAL (SELECT timestamptz '2024-01-01 00:00:00+00'
                                 + g * interval '37 seconds' AS ts) AS t
            """,
            [rows],
        )
        cursor.execute(f"VACUUM ANALYZE {_TABLE}")
        cursor.execute(f"SELECT count(*) FROM {_TABLE} WHERE issued_at IS NOT NULL")
        issued = cursor.fetchone()[0]
    connection.close()
    return {"issued": issued}


class _Transactions:
    """Start and end of every transaction of Django's connection, seen from this process."""

    def __init__(self) -> None:
        from django.db import connection

        self.spans: list[float] = []
        self.statements = 0
        self._began: float | None = None
        connection.ensure_connection()
        set_autocommit, commit = connection._set_autocommit, connection._commit

        def _set_autocommit(autocommit: bool) -> None:
            if not autocommit:
                self._began = time.perf_counter()
            set_autocommit(autocommit)

        def _commit() -> None:
            commit()
            if self._began is not None:
                self.spans.append(time.perf_counter() - self._began)
                self._began = None

        # instance attributes shadow the methods Django calls for atomic() blocks
        connection._set_autocommit = _set_autocommit
        connection._commit = _commit
        connection.execute_wrappers.append(self._count)

    def _count(self, execute, sql, params, many, context):
        self.statements += 1
        return execute(sql, params, many, context)

    @property
    def longest_ms(self) -> float:
        return round(1000 * max(self.spans, default=0.0), 1)


class _Sampler(threading.Thread):
    """Polls pg_stat_activity for the age of the migrating backend's open transaction."""

    def __init__(self, url: str, backend_pid: int) -> None:
        super().__init__(daemon=True)
        self._url = url
        self._pid = backend_pid
        self._halt = threading.Event()
        self.longest = 0.0

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self._url, autocommit=True) as conn:
            while not self._halt.is_set():
                row = conn.execute(
                    "SELECT extract(epoch FROM clock_timestamp() - xact_start) "
                    "FROM pg_stat_activity WHERE pid = %s AND xact_start IS NOT NULL",
                    [self._pid],
                ).fetchone()
                if row is not None and row[0] is not None:
                    self.longest = max(self.longest, float(row[0]))
                time.sleep(_SAMPLE_SECONDS)

    def finish(self) -> float:
        self._halt.set()
        self.join()
        return round(1000 * self.longest, 1)


def _measured(action) -> dict:
    """Run ``action()`` with both transaction probes; seconds, transactions, longest."""
    from django.db import connection

    probe = _Transactions()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    sampler = _Sampler(_url(), pid)
    sampler.start()
    time.sleep(3 * _SAMPLE_SECONDS)  # the sampler is connected before the work starts
    started = time.perf_counter()
    try:
        action()
        seconds = time.perf_counter() - started
    finally:
        sampled = sampler.finish()
    return {
        "seconds": round(seconds, 3),
        "transactions": len(probe.spans),
        "longest_ms": probe.longest_ms,
        "sampled_ms": sampled,
        "statements": probe.statements,
    }


def _url() -> str:
    from django.db import connection

    s = connection.settings_dict
    return f"postgresql://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def _checksum() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(due_date), coalesce(sum(due_date - date '2000-01-01'), 0) FROM {_TABLE}"
        )
        filled, checksum = cursor.fetchone()
    return {"filled": filled, "checksum": int(checksum)}


def _shipped() -> dict:
    from django.core.management import call_command
    from django.db.migrations.loader import MigrationLoader

    result = _measured(lambda: call_command("migrate", "billing_app", "0002", verbosity=0))
    result.update(_checksum())
    loader = MigrationLoader(None, ignore_no_migrations=True)
    later = sorted(
        name for app, name in loader.disk_migrations if app == "billing_app" and name[:4] > "0002"
    )
    result["later"] = {"migrations": later}
    if later:
        result["later"].update(
            _measured(lambda: call_command("migrate", "billing_app", verbosity=0))
        )
    return result


def _add_column() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # what 0002's AddField runs (a nullable column without default: no table rewrite)
        cursor.execute(f"ALTER TABLE {_TABLE} ADD COLUMN due_date date NULL")


def _single() -> dict:
    from django.db import connection, transaction

    def work() -> None:
        _add_column()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_TABLE} SET due_date = (issued_at AT TIME ZONE 'UTC')::date + 30 "
                "WHERE due_date IS NULL AND issued_at IS NOT NULL"
            )

    result = _measured(work)
    result.update(_checksum())
    return result


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:], _child))
