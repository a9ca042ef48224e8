"""Name the error of a failed step in one line, from the output of the command that ran it.

A failed ``migrate`` prints chained tracebacks: the driver's error (e.g.
``psycopg.errors.DependentObjectsStillExist``) first, then Django's wrapper
(``django.db.utils.InternalError``). The driver's class says what went wrong, so the
line names the first exception of the chain and keeps its message.
"""

from __future__ import annotations

import re

_TRACEBACK = "Traceback (most recent call last):"
# "package.module.ClassName: message" or "ClassName: message" at the start of a line
_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")
_CHAIN_LINES = (
    "The above exception was the direct cause",
    "During handling of the above exception",
)
_MAX = 300  # characters of message kept in the one-line summary


def summarize(output: str) -> str:
    """``Class: message`` of the root exception in ``output``; else its last non-empty line."""
    exceptions = _exceptions(output)
    if exceptions:
        root_name, root_message = exceptions[0]
        final_name = exceptions[-1][0]
        short = root_name.rsplit(".", 1)[-1]
        text = f"{short}: {root_message}" if root_message else short
        # sqlite3.IntegrityError re-raised as django.db.utils.IntegrityError says nothing new
        if final_name.rsplit(".", 1)[-1] != short:
            text += f" (raised as {final_name})"
        return _clip(text)
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return _clip(lines[-1]) if lines else "failed with no output"


def _exceptions(output: str) -> list[tuple[str, str]]:
    """(dotted class, first message line) of each traceback in ``output``, in order."""
    found: list[tuple[str, str]] = []
    blocks = output.split(_TRACEBACK)[1:]
    for block in blocks:
        for line in block.splitlines():
            # frames and source lines are indented; the exception line is not
            if not line or line[0].isspace() or line.startswith(_CHAIN_LINES):
                continue
            match = _EXCEPTION_LINE.match(line)
            if match:
                found.append((match.group(1), (match.group(2) or "").strip()))
                break
    return found


def _clip(text: str) -> str:
    return text if len(text) <= _MAX else text[: _MAX - 3] + "..."
