"""GitHub Actions workflow commands (``::error file=...,line=...::message``): annotations on
a pull request's lines, for ``check``, ``plan`` and ``semver --format github``.

Escaping as the runner expects it: ``%``, CR and LF in the message; also ``:`` and ``,``
in the properties.
"""

from __future__ import annotations

from typing import Literal

Level = Literal["error", "warning", "notice"]


def annotation(
    level: Level,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    title: str | None = None,
) -> str:
    properties = [
        f"{key}={_property(value)}"
        for key, value in (("file", file), ("line", line), ("title", title))
        if value is not None and value != ""
    ]
    head = f"::{level}" + (" " + ",".join(properties) if properties else "")
    return f"{head}::{_data(message)}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: object) -> str:
    return _data(str(value)).replace(":", "%3A").replace(",", "%2C")
