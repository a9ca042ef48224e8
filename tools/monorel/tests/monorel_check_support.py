"""Running ``monorel check`` in-process on a throwaway workspace and reading its JSON."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from monorel.cli import main


@dataclass(frozen=True)
class CheckRun:
    code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict:
        return json.loads(self.stdout)

    @property
    def findings(self) -> list[dict]:
        return self.report["findings"]


def run_check(root: Path, *args: str, json_output: bool = True) -> CheckRun:
    """``monorel --root ROOT check ARGS [--format json]`` with stdout and stderr captured."""
    return CheckRun(*run_cli(root, "check", *args, *(["--format", "json"] if json_output else [])))


def run_cli(root: Path, *args: str) -> tuple[int, str, str]:
    """``monorel --root ROOT ARGS`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--root", str(root), *args])
    return code, out.getvalue(), err.getvalue()


def copy_workspace(source: Path, target: Path) -> Path:
    """A private copy of a pristine workspace, its git history included."""
    shutil.copytree(source, target, symlinks=True)
    return target


def finding(rule: str, path: str, line: int | None, message: str, fix: str) -> dict:
    return {"rule": rule, "path": path, "line": line, "message": message, "fix": fix}
