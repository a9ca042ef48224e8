"""Smoke of the benchmarks (bench/, issue 7): each `python -m bench NAME --quick` runs and reports.

Speed is not asserted here (it lives in bench/RESULTS.md); these tests only prove that every
benchmark still runs against the current code, exits 0 and writes the JSON it documents.
Each runs in its own process from the repo root, as `uv run python -m bench` does.
Needs what the benchmarks need: uv, git history with release tags, initdb/pg_ctl on PATH,
and PyPI for the ship consumer's third-party wheels (or this checkout's wheelhouse).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# every benchmark's metrics that the README and RESULTS.md rely on
EXPECTED_METRICS = {
    "ship": {
        "first_ever_seconds",
        "first_ever_published",
        "first_ever_contract_tests",
        "first_ever_proofs",
    },
    "rehearse": {
        "to_version",
        "monorel_sqlite_one_leg_cold_seconds",
        "naive_sqlite_1_legs_seconds",
        "quick_leg_speedup_cold",
    },
    "check": {
        "monorel_check_repo_cli_seconds",
        "monorel_check_10_seconds",
        "lint_imports_10_seconds",
    },
    "backfill": {
        "rows",
        "rows_per_second",
        "longest_transaction_ms",
        "single_update_seconds",
        "shipped_vs_single_ratio",
    },
    "migrations": {
        "migrations",
        "migrations_per_second",
        "unclassified",
        "semver_billing_app_seconds",
    },
    "billing": {
        "ops_per_second_1",
        "ops_per_second_8",
        "overpaid_invoices",
        "contended_invoices_without_exactly_one_payment",
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED_METRICS))
def test_monorel_bench_quick_runs_and_writes_its_json(name: str, tmp_path: Path) -> None:
    # given the benchmark harness of this checkout
    out = tmp_path / f"{name}.json"
    # nothing of this pytest session's Django or database set-up may leak into the benchmark
    leaky = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "TEST_DATABASE_URL", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if k not in leaky}

    # when one benchmark runs in quick mode, in its own process from the repo root
    proc = subprocess.run(
        [sys.executable, "-m", "bench", name, "--quick", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    # then it succeeded and wrote its results
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    document = json.loads(out.read_text())
    assert document["quick"] is True
    assert {"cpu", "cores", "python", "postgresql", "devpi-server"} <= set(document["machine"])
    assert list(document["benchmarks"]) == [name]
    result = document["benchmarks"][name]
    assert "error" not in result
    assert {"name", "quick", "seconds", "columns", "rows", "metrics", "targets", "skipped"} <= set(
        result
    )
    assert result["rows"], "a benchmark reports at least one table row"
    assert EXPECTED_METRICS[name] <= set(result["metrics"]), sorted(result["metrics"])
    for target in result["targets"]:
        assert set(target) == {"name", "value", "limit", "unit", "better", "met"}
    # and what quick mode leaves out is said, not silently dropped
    if name in ("ship", "rehearse", "check", "migrations"):
        assert result["skipped"], "quick mode must name what it skipped"
