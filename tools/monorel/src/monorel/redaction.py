"""Secrets never printed: every password monorel learns is registered here, and every
message, traceback and log line it writes goes through ``redact`` first.

Two layers, because either alone misses something:

- ``register``: a password from an ``--index`` URL, the environment or the embedded
  devpi's state dir is replaced wherever it appears (also inside a tool's output);
- the ``user:password@`` part of any URL is masked, so a URL nobody registered (a
  tool printing the URL it was given) is still safe.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
# the shortest secret replaced as a plain string: shorter ones ("a", "1") would mangle text
_MIN_LENGTH = 4
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/@\s:]*):[^/@\s]*@")

_lock = threading.Lock()
_secrets: set[str] = set()


def register(secret: str | None) -> None:
    """Remember ``secret`` (and its URL-quoted spelling) so ``redact`` hides it."""
    if not secret or len(secret) < _MIN_LENGTH:
        return
    with _lock:
        _secrets.add(secret)
        unquoted = unquote(secret)
        if unquoted != secret and len(unquoted) >= _MIN_LENGTH:
            _secrets.add(unquoted)


def redact(text: str) -> str:
    """``text`` with every registered secret and every URL password replaced by ``***``."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """``(url without user:password@, user, password)``; the password is registered."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None, None
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    register(password)
    register(parts.password)
    return (
        urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)),
        user,
        password,
    )


def scan_argv(argv: list[str]) -> None:
    """Register the password of every URL on a command line before anything parses it."""
    for arg in argv:
        for match in re.finditer(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s]+", arg):
            split_userinfo(match.group(0))
