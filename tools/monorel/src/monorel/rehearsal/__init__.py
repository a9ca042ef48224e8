"""Upgrade rehearsal for `monorel rehearse`: wheels, venvs, databases, legs, proofs, report.

- ``wheels``: the old and current wheels, each built once (content-addressed cache)
- ``venvs``: uv venvs keyed by their content, shared by legs and runs
- ``databases``: a fresh database per leg (SQLite file, ephemeral or existing PostgreSQL)
- ``legs``: the steps of one upgrade leg; ``worker``: the process that runs a side's steps
- the proofs about a leg's upgraded database:
  ``schema`` / ``_schema`` (equal to a fresh install's), ``snapshot`` / ``_probe`` /
  ``_fill`` (data survival over the seed and generated rows), ``declarations`` (what
  the fragments allow to change), ``_leg_database`` (contract tests on that database)
- ``failure``: the one-line error of a failed step
- ``matrix``: parallel legs, the text matrix, JUnit XML

Modules whose name starts with ``_`` run INSIDE a
rehearsal venv with only Django and pytest: they import nothing from monorel.
"""
