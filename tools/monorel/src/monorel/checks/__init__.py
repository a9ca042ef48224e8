"""The rules of ``monorel check``, one module each, in the order they run and report.

Each rule module exposes ``RULE`` (stable id), ``NAME`` (for ``--rule``), ``SUMMARY`` and
``check(ctx) -> list[Finding]``.
"""

from __future__ import annotations

from types import ModuleType

from monorel.checks import (
    django_refs,
    fragments,
    imports,
    metadata,
    migrations,
    missing_migrations,
    pins,
)

RULES: tuple[ModuleType, ...] = (
    imports,
    django_refs,
    migrations,
    pins,
    metadata,
    missing_migrations,
    fragments,
)
