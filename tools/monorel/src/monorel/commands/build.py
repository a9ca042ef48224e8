"""`monorel build` (not yet implemented)."""

from __future__ import annotations

import argparse

from monorel.errors import UsageError
from monorel.workspace import Workspace

HELP = "build (not yet implemented)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, ws: Workspace) -> int:
    raise UsageError("monorel build is not implemented yet")
