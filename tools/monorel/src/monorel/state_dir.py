"""The state dir (``[tool.monorel] state-dir``, default ``.monorel/``): builds, devpi, caches.

It ignores itself (a ``.gitignore`` of ``*`` inside, like ``.pytest_cache``), so git
never sees it even where the repository's own .gitignore does not list it.
"""

from __future__ import annotations

from pathlib import Path


def ensure(path: Path) -> Path:
    """Create the state dir ``path`` (if needed) with its self-ignoring .gitignore."""
    path.mkdir(parents=True, exist_ok=True)
    ignore = path / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by monorel: everything here is local state\n*\n")
    return path
