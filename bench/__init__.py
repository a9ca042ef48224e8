"""Benchmarks of the release pipeline and the billing package: ``python -m bench --help``."""
