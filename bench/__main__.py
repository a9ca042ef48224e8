"""``python -m bench [NAME...] [--quick] [--json FILE]``: run benchmarks, print tables, write JSON.

Exit status: 0 when every chosen benchmark ran and its results were correct (missed
targets are reported, not failures), 1 when one failed, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from pathlib import Path

from bench._harness import BenchError, machine, render, use_bytecode_cache, write_json

BENCHMARKS = ("ship", "rehearse", "check", "backfill", "billing", "migrations")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of issue 7. Missed targets are reported, never asserted.",
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: a smoke run (CI), not a measurement"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    parser.add_argument(
        "--size",
        type=int,
        action="append",
        metavar="N",
        help="check: generated workspace sizes instead of the default ones (repeatable; "
        "--size 1000 is the opt-in 1,000-package run)",
    )
    args = parser.parse_args(argv)
    if args.size and "check" not in args.names:
        parser.error("--size applies to the check benchmark: name it (python -m bench check)")
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)} (choose from {BENCHMARKS})")
    names = list(dict.fromkeys(args.names)) or list(BENCHMARKS)

    exported = os.environ.get("PYTHONDONTWRITEBYTECODE")
    use_bytecode_cache()
    info = machine()
    info["PYTHONDONTWRITEBYTECODE_exported"] = exported or "no"
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    results: dict[str, dict] = {}
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"\n-- {name}: {module.SUMMARY}", flush=True)
        started = time.perf_counter()
        try:
            if name == "check" and args.size:
                report = module.run(quick=args.quick, sizes=args.size)
            else:
                report = module.run(quick=args.quick)
        except Exception as exc:  # noqa: BLE001 - reported, then the next one runs
            seconds = time.perf_counter() - started
            failed.append(name)
            detail = str(exc) if isinstance(exc, BenchError) else traceback.format_exc()
            print(f"== {name}: FAILED after {seconds:.1f}s\n{detail}", flush=True)
            results[name] = {"name": name, "quick": args.quick, "error": detail}
            continue
        report.seconds = time.perf_counter() - started
        if args.quick and report.targets:
            # small sizes say nothing about the targets: judging them would only mislead
            report.targets = []
            report.skipped.append("--quick: the targets (judged on full-size runs only)")
        print(render(report), flush=True)
        results[name] = report.to_json()
        if args.json:  # after each benchmark, so a later failure keeps earlier results
            write_json(args.json, results, quick=args.quick, info=info)
    if args.json:
        write_json(args.json, results, quick=args.quick, info=info)
        print(f"\nresults written to {args.json}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
