"""``monorel check --baseline FILE``: today's findings, recorded so that only new ones fail.

A baseline lets a codebase adopt the rules with the findings it already has. Each entry
is a finding's rule, path and message (with line numbers in the message blanked), and
how many such findings there were, so the baseline holds when lines move: a finding
matches an entry anywhere in its file. A new finding, or one more of a kind than the
baseline counted, still fails. Entries that no longer occur are reported as gone
(``--update-baseline`` drops them).

File format (JSON, sorted, stable under reruns)::

    {"schema": "monorel.baseline/1",
     "findings": [{"rule": "MR-IMPORT", "path": "...", "message": "...", "count": 1}]}
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from monorel.checks.findings import Finding
from monorel.errors import BaselineError

SCHEMA = "monorel.baseline/1"
_LINE_NUMBER = re.compile(r"(?<=\.py):\d+|(?<=\.toml):\d+|\bline \d+")

Key = tuple[str, str, str]  # rule, path, message without line numbers


@dataclass(frozen=True)
class Split:
    new: tuple[Finding, ...]  # not in the baseline: these fail
    known: tuple[Finding, ...]  # recorded in the baseline
    gone: int  # baseline entries no finding matched any more


def key(finding: Finding) -> Key:
    return (finding.rule, finding.path, _LINE_NUMBER.sub(":*", finding.message))


def load(path: Path) -> Counter[Key]:
    """The baseline's entries; ``BaselineError`` for a file that is not a monorel baseline."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("schema") != SCHEMA:
            raise ValueError(f"schema is {data.get('schema')!r}, not {SCHEMA!r}")
        return Counter(
            {(e["rule"], e["path"], e["message"]): int(e["count"]) for e in data["findings"]}
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BaselineError(
            f"{path} is not a monorel baseline: {exc}",
            fix=f"write it anew with `monorel check --baseline {path} --update-baseline`",
        ) from exc


def write(path: Path, findings: Iterable[Finding]) -> int:
    """Write the baseline of ``findings`` (atomically); return how many it records."""
    counts = Counter(key(f) for f in findings)
    entries = [
        {"rule": rule, "path": where, "message": message, "count": count}
        for (rule, where, message), count in sorted(counts.items())
    ]
    text = json.dumps({"schema": SCHEMA, "findings": entries}, indent=2) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return sum(counts.values())


def split(findings: Sequence[Finding], baseline: Counter[Key]) -> Split:
    left = Counter(baseline)
    new: list[Finding] = []
    known: list[Finding] = []
    for finding in findings:
        k = key(finding)
        if left[k] > 0:
            left[k] -= 1
            known.append(finding)
        else:
            new.append(finding)
    return Split(tuple(new), tuple(known), sum(left.values()))
