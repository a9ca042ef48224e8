"""Upgrade rehearsal for `monorel rehearse`: wheels, venvs, databases, legs, snapshots, report.

- ``wheels``: the old and current wheels, each built once (content-addressed cache)
- ``venvs``: uv venvs keyed by their content, shared by legs and runs
- ``databases``: a fresh database per leg (SQLite file, ephemeral or existing PostgreSQL)
- ``legs``: the steps of one upgrade leg
- ``snapshot`` / ``_probe``: seeded-row survival (``_probe`` runs inside the leg's venv)
- ``failure``: the one-line error of a failed step
- ``matrix``: parallel legs, the text matrix, JUnit XML
"""
