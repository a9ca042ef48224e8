"""billing: create + issue + pay through billing's public services on PostgreSQL.

One operation is ``InvoiceService().create`` (two lines), ``.issue`` and ``apply_payment``
of the full amount (the invoice ends paid): three transactions, each with row locks.
Workers are threads, each with its own database connection (Django's are per thread);
1 and 8 of them, on one ephemeral cluster; then 8 forked processes, which the GIL does
not serialize. The gateway answers at once
(``bench._django.InstantGateway``): the benchmark measures billing and the database.

Then a contended phase: 8 workers race to pay the same open invoices in full, each
with its own idempotency key; exactly one payment per invoice may win.

Afterwards, by query: no invoice has ``amount_paid > total``, every invoice's payments
sum to its ``amount_paid``, every operation's invoice is paid, and the contended
invoices have exactly one payment each. Any violation fails the benchmark.
"""

from __future__ import annotations

import sys
import threading
import time

from bench._harness import BenchError, Report, child_json, child_main

NAME = "billing"
SUMMARY = "create+issue+pay ops/s at 1 and 8 workers on PostgreSQL, zero overpayments"
WORKERS = (1, 8)
OPS = {1: 400, 8: 1600}  # per run, split evenly between the workers
QUICK_OPS = {1: 20, 8: 80}
CONTENDED_INVOICES = 200
QUICK_CONTENDED_INVOICES = 20
CONTENDERS = 8


def run(quick: bool) -> Report:
    from monorel.postgres import EphemeralPostgres

    ops = QUICK_OPS if quick else OPS
    contended = QUICK_CONTENDED_INVOICES if quick else CONTENDED_INVOICES
    report = Report(
        NAME,
        quick,
        columns=[
            "phase",
            "workers",
            "operations",
            "seconds",
            "ops/s",
            "p50 ms",
            "p95 ms",
            "errors",
        ],
    )
    with EphemeralPostgres() as cluster:
        url = cluster.create_database("bench_billing")
        result = child_json(
            "bench.billing",
            {"url": url, "ops": {str(k): v for k, v in ops.items()}, "contended": contended},
        )
    for phase in result["phases"]:
        report.rows.append(
            {
                "phase": phase["phase"],
                "workers": phase["workers"],
                "operations": phase["operations"],
                "seconds": phase["seconds"],
                "ops/s": phase["operations"] / phase["seconds"],
                "p50 ms": phase["p50_ms"],
                "p95 ms": phase["p95_ms"],
                "errors": phase["errors"],
            }
        )
        kind = {"contended pay": "contended", "create+issue+pay": "ops"}.get(
            phase["phase"], "processes"
        )
        key = f"{kind}_{phase['workers']}"
        report.metrics[f"{key}_ops_per_second"] = round(phase["operations"] / phase["seconds"], 1)
        report.metrics[f"{key}_p95_ms"] = phase["p95_ms"]
    for workers in WORKERS:
        report.metrics[f"ops_per_second_{workers}"] = report.metrics[
            f"ops_{workers}_ops_per_second"
        ]
    report.metrics.update(result["invariants"])
    failed = [p for p in result["phases"] if p["errors"]]
    if failed:
        raise BenchError(
            "operations failed: "
            + "; ".join(f"{p['phase']} x{p['workers']}: {p['first_errors']}" for p in failed)
        )
    bad = {k: v for k, v in result["invariants"].items() if k != "contended_refusals" and v}
    if bad:
        raise BenchError(f"billing invariants violated: {bad}")
    report.notes.append(
        "an operation is 3 transactions (create with 2 lines, issue, pay in full); ops/s counts "
        "operations, not transactions"
    )
    report.notes.append(
        f"contended: {CONTENDERS} workers each try to pay every one of {contended} open invoices "
        "in full; refusals (already paid) are expected, and counted as attempts in ops/s"
    )
    report.notes.append(
        "durability off on the ephemeral cluster (fsync, synchronous_commit): a production "
        "server pays a WAL flush per commit"
    )
    return report


# -- the child ----------------------------------------------------------------------------


def _child(payload: dict) -> dict:
    from bench import _django

    _django.setup(payload["url"])
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts_app.api import open_account

    accounts = [
        open_account(name=f"Bench {n}", email=f"bench{n}@example.com").id for n in range(20)
    ]
    phases = []
    for workers, operations in sorted((int(k), v) for k, v in payload["ops"].items()):
        phases.append(_phase("create+issue+pay", workers, operations, accounts))
    top = max(int(k) for k in payload["ops"])
    phases.append(_processes(top, payload["ops"][str(top)], accounts))
    phases.append(_contended(payload["contended"], accounts))
    return {"phases": phases, "invariants": _invariants()}


def _operation(account_id: int, key: str) -> None:
    from decimal import Decimal

    from billing_app.api import InvoiceLineData, InvoiceService, apply_payment

    service = InvoiceService()
    invoice = service.create(
        account_id=account_id,
        currency="EUR",
        lines=[
            InvoiceLineData(description="Subscription", quantity=1, unit_price=Decimal("20.00")),
            InvoiceLineData(description="Seats", quantity=3, unit_price=Decimal("5.25")),
        ],
    )
    service.issue(invoice.id)
    apply_payment(invoice.id, Decimal("35.75"), key)


def _phase(label: str, workers: int, operations: int, accounts: list[int]) -> dict:
    per_worker = [
        operations // workers + (1 if n < operations % workers else 0) for n in range(workers)
    ]

    def work(n: int, latencies: list[float], errors: list[str]) -> None:
        for i in range(per_worker[n]):
            started = time.perf_counter()
            try:
                _operation(accounts[(n + i) % len(accounts)], f"{label}-{workers}-{n}-{i}")
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(f"{type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - started)

    return _threads(label, workers, work, operations)


def _processes(workers: int, operations: int, accounts: list[int]) -> dict:
    """The same operations from forked processes: Python's GIL no longer caps the client."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # a forked child must open its own connection
    per_worker = [
        operations // workers + (1 if n < operations % workers else 0) for n in range(workers)
    ]
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with context.Pool(workers) as pool:
        results = pool.starmap(
            _process_worker, [(n, per_worker[n], accounts) for n in range(workers)]
        )
    seconds = time.perf_counter() - started
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = [e for _, errs in results for e in errs]
    return {
        "phase": "create+issue+pay, processes",
        "workers": workers,
        "operations": operations,
        "seconds": round(seconds, 3),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 2) if latencies else 0.0,
        "p95_ms": round(1000 * latencies[int(len(latencies) * 0.95)], 2) if latencies else 0.0,
        "errors": len(errors),
        "first_errors": errors[:5],
    }


def _process_worker(n: int, count: int, accounts: list[int]) -> tuple[list[float], list[str]]:
    from django.db import connections

    latencies: list[float] = []
    errors: list[str] = []
    try:
        for i in range(count):
            started = time.perf_counter()
            try:
                _operation(accounts[(n + i) % len(accounts)], f"processes-{n}-{i}")
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(f"{type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - started)
    finally:
        connections.close_all()
    return latencies, errors


def _contended(invoices: int, accounts: list[int]) -> dict:
    from decimal import Decimal

    from billing_app.api import InvoiceLineData, InvoiceService, apply_payment

    service = InvoiceService()
    ids = []
    for n in range(invoices):
        ref = service.create(
            account_id=accounts[n % len(accounts)],
            currency="EUR",
            lines=[InvoiceLineData(description="Race", quantity=1, unit_price=Decimal("10.00"))],
        )
        ids.append(service.issue(ref.id).id)
    _CONTENDED.extend(ids)
    barrier = threading.Barrier(CONTENDERS)

    def work(n: int, latencies: list[float], errors: list[str]) -> None:
        from billing_app.api import InvalidInvoiceTransition, Overpayment

        barrier.wait()
        for invoice_id in ids:
            started = time.perf_counter()
            try:
                apply_payment(invoice_id, Decimal("10.00"), f"race-{invoice_id}-{n}")
            except (InvalidInvoiceTransition, Overpayment):
                _REFUSED.append(invoice_id)  # already paid by another worker: expected
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(f"{type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - started)

    return _threads("contended pay", CONTENDERS, work, invoices * CONTENDERS)


_CONTENDED: list[int] = []
_REFUSED: list[int] = []


def _threads(label: str, workers: int, work, operations: int) -> dict:
    from django.db import connections

    latencies: list[float] = []
    errors: list[str] = []

    def runner(n: int) -> None:
        try:
            work(n, latencies, errors)
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=runner, args=(n,)) for n in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "phase": label,
        "workers": workers,
        "operations": operations,
        "seconds": round(seconds, 3),
        "p50_ms": round(1000 * ordered[len(ordered) // 2], 2) if ordered else 0.0,
        "p95_ms": round(1000 * ordered[int(len(ordered) * 0.95)], 2) if ordered else 0.0,
        "errors": len(errors),
        "first_errors": errors[:5],
    }


def _invariants() -> dict:
    from django.db import connection

    def scalar(sql: str, params=()) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.fetchone()[0])

    return {
        "overpaid_invoices": scalar(
            "SELECT count(*) FROM billing_app_invoice WHERE amount_paid > total"
        ),
        "payments_not_matching_amount_paid": scalar(
            """
            SELECT count(*) FROM billing_app_invoice i
            WHERE i.amount_paid <> (SELECT coalesce(sum(p.amount), 0)
                                    FROM billing_app_payment p WHERE p.invoice_id = i.id)
            """
        ),
        "unpaid_after_full_payment": scalar(
            "SELECT count(*) FROM billing_app_invoice WHERE status <> 'paid'"
        ),
        "contended_invoices_without_exactly_one_payment": scalar(
            """
            SELECT count(*) FROM billing_app_invoice i
            WHERE i.id = ANY(%s)
              AND (SELECT count(*) FROM billing_app_payment p WHERE p.invoice_id = i.id) <> 1
            """,
            [_CONTENDED],
        ),
        "contended_refusals": len(_REFUSED),
    }


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:], _child))
