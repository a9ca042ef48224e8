"""twine: the only module that runs twine (``twine check``: what an index would reject)."""

from __future__ import annotations

import sys
from pathlib import Path

from monorel.adapters._process import run


def check(files: list[Path]) -> None:
    """``twine check`` the distributions; raises ``ToolError`` with twine's findings."""
    run(
        [sys.executable, "-m", "twine", "check", *files],
        fix="fix the package metadata (readme, classifiers) twine complains about",
        timeout=300,
    )
