"""Python source files as Python reads them: PEP 263 decoding, for every reader in monorel.

A ``.py`` file is bytes; the interpreter decodes it as PEP 263 says (a UTF-8 byte-order
mark, else a ``# -*- coding: NAME -*-`` cookie on line 1 or 2, else UTF-8). Reading it
with ``read_text(encoding="utf-8")`` instead crashes on a latin-1 file with a cookie and
leaves a BOM in the text (``ast`` then rejects it). Every module of monorel that reads
Python source (``checks``, the migration reader, ``semver``) goes through ``read`` and
``parse`` here, so all of them see the text the interpreter sees.

griffe (public API comparison) reads files itself as ``utf-8-sig``: BOMs are fine there,
coding cookies are not; ``monorel.semver.api_diff`` refuses a public module that
griffe would misread instead of reporting a wrong comparison.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

__all__ = ["SourceDecodeError", "decode", "encoding_of", "parse", "parse_text", "read"]


class SourceDecodeError(SyntaxError):
    """The bytes do not decode under the file's declared (or default) encoding.

    A ``SyntaxError``, as the interpreter raises one for such a file: callers that
    already handle unparsable modules handle undecodable ones the same way.
    """


def encoding_of(data: bytes) -> str:
    """The encoding PEP 263 gives ``data`` (``utf-8-sig`` for a BOM, a cookie's, or utf-8)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        # an unknown codec in the cookie, a BOM with another cookie, or undecodable bytes
        # in the first two lines of a file that declares nothing
        message = str(exc.msg or exc)
        if "invalid or missing" in message:
            message = "does not decode as UTF-8 and declares no encoding (PEP 263)"
        raise SourceDecodeError(message) from exc
    return encoding


def decode(data: bytes, filename: str = "<source>") -> str:
    """``data`` decoded as the interpreter would decode the module."""
    encoding = encoding_of(data)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        error = SourceDecodeError(
            f"does not decode as {encoding} at byte {exc.start}"
            + ("" if encoding != "utf-8" else " (declare its encoding with a coding cookie)")
        )
        error.filename = filename
        error.lineno = data[: exc.start].count(b"\n") + 1
        raise error from exc


def read(path: Path) -> str:
    """The text of the Python file at ``path`` (``SourceDecodeError`` where it does not decode)."""
    return decode(path.read_bytes(), str(path))


def parse(path: Path, filename: str | None = None) -> ast.Module:
    """The module's syntax tree; ``SyntaxError`` (or ``SourceDecodeError``) where it has none."""
    return parse_text(read(path), filename or str(path))


def parse_text(text: str, filename: str) -> ast.Module:
    """``ast.parse`` of already decoded text (no cookie applies any more)."""
    return ast.parse(text, filename=filename)
