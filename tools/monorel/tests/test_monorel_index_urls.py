"""--index NAME|URL: credentials in a URL are authentication and never output; a file listed
without a hash counts as identical only once its bytes are; names follow the running
embedded server's port.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from monorel import indexes, publishing
from monorel.building import BuiltPackage
from monorel.cli import main
from monorel.errors import PublishRefused
from monorel_gate_support import gate_indexes
from monorel_release_support import SharedDevpi, clear_credentials, index_files


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_credentials(monkeypatch)


def test_a_password_in_an_index_url_authenticates_the_upload_and_appears_in_no_output(
    shared_devpi: SharedDevpi,
    release_ws: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given a dev index whose user's password is given only inside the --index URL
    given = gate_indexes(shared_devpi, "url-creds")
    url = given.url(given.dev)
    wrong = url.replace(given.password, "wrong-" + given.password[::-1])

    # when the password is wrong: uv publish is refused, and neither password is printed
    assert main(["--root", str(release_ws), "publish", "people-app", "--index", wrong]) == 3
    failed = capsys.readouterr()
    assert "error[MR010]" in failed.err
    assert given.password not in failed.out + failed.err
    assert given.password[::-1] not in failed.out + failed.err
    assert index_files(given.dev, "people-app") == {}

    # when it is right
    code = main(["--root", str(release_ws), "publish", "--index", url])
    out = capsys.readouterr()

    # then both packages were uploaded with it, and only the clean URL was printed
    assert code == 0, out.err
    assert f"publishing to {given.dev.url}" in out.out
    assert given.password not in out.out + out.err
    assert len(index_files(given.dev, "ledger-app")) == 2
    assert given.password not in shared_devpi.server.log_file.read_text(errors="replace")

    # when argparse quotes the URL in a usage error / then it is redacted there too
    with pytest.raises(SystemExit):
        main(["--root", str(release_ws), "devpi", url])
    usage = capsys.readouterr()
    assert "invalid choice: 'http://url-creds:***@127.0.0.1:" in usage.err
    assert given.password not in usage.out + usage.err

    # when a bug crashes the command with the URL in its message
    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"boom while talking to {url}")

    monkeypatch.setattr(publishing, "require_dev_index", crash)  # before anything is built
    crashed = main(["--root", str(release_ws), "publish", "--index", url])
    trace = capsys.readouterr()

    # then its traceback is printed, redacted
    assert crashed == 1
    assert "Traceback (most recent call last):" in trace.err
    assert "RuntimeError: boom while talking to http://url-creds:***@127.0.0.1:" in trace.err
    assert given.password not in trace.out + trace.err


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


@pytest.fixture
def hashless_index(tmp_path: Path) -> Iterator[tuple[publishing.Index, Path]]:
    """A static PEP 503 index that lists its files without any sha256 (as some do)."""
    root = tmp_path / "index"
    root.mkdir()
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield publishing.Index(url=f"http://127.0.0.1:{server.server_port}/"), root
    finally:
        server.shutdown()
        server.server_close()


def _serve(root: Path, name: str, files: dict[str, bytes]) -> None:
    page = root / "+simple" / name / "index.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    links = "".join(f'<a href="../../files/{f}">{f}</a>\n' for f in files)
    page.write_text(f"<html><body>\n{links}</body></html>\n")
    for filename, data in files.items():
        (root / "files").mkdir(exist_ok=True)
        (root / "files" / filename).write_bytes(data)


def test_a_file_listed_without_a_hash_counts_as_identical_only_when_its_bytes_are(
    hashless_index: tuple[publishing.Index, Path], release_built: list[BuiltPackage]
) -> None:
    index, root = hashless_index
    people = release_built[0]
    ours = {a.filename: a.path.read_bytes() for a in people.artifacts}

    # given the index lists our very files, without hashes / when planned / then skipped
    _serve(root, "people-app", ours)
    plan = publishing.plan_publication(index, people)
    assert [(f.filename, f.action) for f in plan.files] == [
        (people.wheel.filename, "skip"),
        (people.sdist.filename, "skip"),
    ]

    # given it serves other bytes under the wheel's name / when planned / then refused
    other = {**ours, people.wheel.filename: b"not the wheel that was built"}
    _serve(root, "people-app", other)
    with pytest.raises(PublishRefused) as refused:
        publishing.plan_publication(index, people)
    served = hashlib.sha256(b"not the wheel that was built").hexdigest()
    assert refused.value.message == (
        f"people-app 1.0.0: {index.url} already has {people.wheel.filename} with sha256 "
        f"{served}; the local file has sha256 {people.wheel.sha256}"
    )


def test_named_indexes_resolve_to_the_running_embedded_server_on_its_port(
    shared_devpi: SharedDevpi,
) -> None:
    # given a workspace whose configuration names the default port, and a server on another
    ws = shared_devpi.ws
    configured = dataclasses.replace(
        ws,
        config=dataclasses.replace(
            ws.config,
            indexes={
                "stable": "http://127.0.0.1:3141/acme/stable/",
                "remote": "https://devpi.example/acme/stable/",
            },
        ),
    )

    # when / then: a loopback name follows the running server, a remote one stays
    assert indexes.resolve(configured, "stable").url == f"{shared_devpi.url}/acme/stable/"
    assert indexes.resolve(configured, "remote").url == "https://devpi.example/acme/stable/"
    # the embedded server's own indexes resolve by name where nothing is configured
    assert indexes.resolve(ws, "dev").url == f"{shared_devpi.url}/acme/dev/"
    assert indexes.kind(indexes.resolve(ws, "dev")) == "dev"
    assert indexes.kind(indexes.resolve(ws, "stable")) == "stable"
