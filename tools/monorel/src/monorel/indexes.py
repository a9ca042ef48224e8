"""Package indexes as monorel addresses them: ``--index NAME|URL`` resolved once.

- A URL may carry ``user:password@``: the credentials are taken out of the URL (and
  registered with ``monorel.redaction``, so no message shows them) and sent as HTTP basic
  authentication; the URL that is printed, logged or handed to a tool is the clean one.
- A name comes from ``[tool.monorel.indexes]``. A name whose URL is on this machine's
  loopback resolves to the embedded devpi-server when one runs, on the port it runs on
  (``monorel ship --local --port 3142`` and then ``--index stable`` mean the same server).
  The embedded server's own indexes (``dev``, ``stable``) resolve by name even where the
  configuration lists none.
- What kind of index it is comes from devpi itself: a volatile index is a dev index (files
  may change, pre-releases welcome); a non-volatile one is a stable index (a released file
  never changes). Only devpi says which: any other index is of unknown kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from monorel import embedded_devpi, redaction
from monorel.adapters import devpi
from monorel.errors import UsageError
from monorel.workspace import Workspace

Kind = Literal["dev", "stable", "unknown"]
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Index:
    url: str  # upload URL without credentials, ends with "/", e.g. http://h:3141/acme/stable/
    name: str | None = None  # the [tool.monorel.indexes] name it was given by
    auth: devpi.BasicAuth | None = field(default=None, repr=False, compare=False)

    @property
    def simple_url(self) -> str:
        return self.url + "+simple/"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.url})" if self.name else self.url

    @property
    def server(self) -> str:
        """The server's root URL: the index URL without its ``user/index`` path."""
        parts = urlsplit(self.url)
        prefix = "/".join(parts.path.rstrip("/").split("/")[:-2])
        return urlunsplit((parts.scheme, parts.netloc, prefix, "", ""))

    @property
    def path_name(self) -> str:
        """``user/index`` as devpi names the index (the last two segments of its path)."""
        return "/".join(urlsplit(self.url).path.rstrip("/").split("/")[-2:])


def resolve(ws: Workspace, name_or_url: str) -> Index:
    """An index URL (credentials taken out), or a name (see the module docstring)."""
    if "://" in name_or_url:
        return _from_url(name_or_url, name=None)
    server = embedded_devpi.for_workspace(ws)
    if name_or_url in ws.config.indexes:
        index = _from_url(ws.config.indexes[name_or_url], name=name_or_url)
        if urlsplit(index.url).hostname in _LOOPBACK:
            running = embedded_devpi.running_url(server)
            if running is not None:
                index = Index(_on_server(index.url, running), name_or_url, index.auth)
        return index
    running = embedded_devpi.running_url(server) if name_or_url in embedded_devpi.INDEXES else None
    if running is not None:
        return Index(f"{running}/{ws.config.org}/{name_or_url}/", name_or_url)
    known = ", ".join(sorted(ws.config.indexes))
    raise UsageError(
        f"unknown index {name_or_url!r}",
        fix="pass a URL or one of the names in [tool.monorel.indexes]: "
        + (known or "(none configured)")
        + "; while `monorel devpi up` runs, dev and stable name its indexes",
    )


def kind(index: Index) -> Kind:
    """``dev`` for a volatile devpi index, ``stable`` for a non-volatile one, else unknown."""
    info = devpi.index_info(index.url, auth=index.auth)
    if info is None or "volatile" not in info:
        return "unknown"
    return "dev" if info["volatile"] else "stable"


def same_server(a: Index, b: Index) -> bool:
    return a.server.rstrip("/") == b.server.rstrip("/")


def _from_url(raw: str, *, name: str | None) -> Index:
    clean, user, password = redaction.split_userinfo(raw.strip())
    auth = devpi.BasicAuth(user, password) if user and password else None
    return Index(url=clean.rstrip("/") + "/", name=name, auth=auth)


def _on_server(url: str, server_url: str) -> str:
    """``url`` with the scheme and host:port of ``server_url``."""
    parts, server = urlsplit(url), urlsplit(server_url)
    return urlunsplit((server.scheme, server.netloc, parts.path, parts.query, ""))
