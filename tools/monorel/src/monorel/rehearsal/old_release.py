"""What the host had at an old release point: its seed fixture and its contract tests.

An old deployment ran with the host as it was then: its data was shaped by the old
models (the seed of that time loads into the old schema; today's may not), and its web
workers were what the contract tests of that time describe. Both are read from git at
the release point; a release only the index knows has no point, so its contract tests
are unknown (and the leg says so).
"""

from __future__ import annotations

from pathlib import Path

from monorel.adapters import git
from monorel.rehearsal.legs import OldContracts
from monorel.release_points import ReleasePoint
from monorel.workspace import Member, Workspace


def seed(
    ws: Workspace, host: Member, version: str, point: ReleasePoint | None, dest: Path
) -> Path | None:
    """The host's seed fixture at the old release point, if it existed there (else None:
    the current one is used)."""
    if point is None or host.seed is None:
        return None
    text = git.show(ws.root, point.commit, host.seed.relative_to(ws.root).as_posix())
    if text is None:
        return None
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / host.seed.name  # the same name: loaddata picks the format by extension
    path.write_text(text, encoding="utf-8")
    return path


def contract_tests(
    ws: Workspace, host: Member, version: str, point: ReleasePoint | None, dest: Path
) -> OldContracts:
    """The host's contract tests at the old release point, exported with the host's test
    tree around them (their conftest files come along); or why they are unknown."""
    tests = host.contract_tests
    if tests is None:
        return OldContracts(None)  # none configured: nothing to run, nothing unknown
    if point is None:
        return OldContracts(
            None,
            missing=f"the host's contract tests at {version} are unknown: that release is on "
            "the index only, not in this repository's history",
        )
    if not tests.is_relative_to(host.path):
        return OldContracts(
            None, missing=f"the host's contract tests ({tests}) lie outside the host: unknown"
        )
    inside = tests.relative_to(host.path)
    top = f"{host.relpath(ws.root)}/{inside.parts[0]}"
    missing = (
        f"the host's contract tests ({inside.as_posix()}) did not exist at {version} "
        f"({point.commit[:12]}): old code on the new schema is unproven"
    )
    if git.tree_id(ws.root, point.commit, top) is None:  # neither a tree nor a file there
        return OldContracts(None, missing=missing)
    root = git.export_tree(ws.root, point.commit, top, dest).parent
    if not (root / inside).exists():
        return OldContracts(None, missing=missing)
    return OldContracts(root / inside, rootdir=root)
