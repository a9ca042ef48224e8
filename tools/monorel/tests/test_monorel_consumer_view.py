"""What consumers see of a release: our real wheels on real devpi-servers.

- devpi-web, in a real headless Chromium: the index page, a package's versions, its
  description with the changelog and its files, and the search, with a screenshot check
  that fails on an error page.
- examples/consumer/README.md's recipes, run as written: pip with one index URL (our devpi
  index serving the public packages through a mirror base) and uv with an ``explicit``
  index. A stand-in for the public index holds Django and a higher-versioned fake
  ``accounts-app``; the recipes never install it, and the open set-ups they warn about do.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import time
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from monorel import publishing
from monorel.adapters import devpi, pip
from monorel.building import BuiltPackage
from monorel_browser import colours, dump_dom, screenshot
from monorel_consumer_support import (
    PRODUCTION_INDEX,
    PrivateDevpi,
    build_repo_wheels,
    fake_wheel,
    readme_block,
    readme_command,
    run,
    start_private_devpi,
    upload,
)
from monorel_release_support import ROOT, SharedDevpi

FAKE_VERSION = "1.99.0"  # inside billing-app's accounts-app>=1.0,<2, above any real release


@pytest.fixture(scope="module")
def repo_wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuiltPackage]:
    built = build_repo_wheels(tmp_path_factory.mktemp("repo-dist"))
    return {b.name: b for b in built}


@pytest.fixture(scope="module")
def published(shared_devpi: SharedDevpi, repo_wheels: dict[str, BuiltPackage]) -> publishing.Index:
    """accounts-app and billing-app of this repository on an index of the embedded devpi."""
    index = shared_devpi.new_index("consumers")
    publishing.publish(shared_devpi.ws, index, list(repo_wheels.values()))
    return index


def _text(dom: str) -> str:
    """The visible text of a page, whitespace collapsed."""
    dom = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", dom)))


def _content(dom: str) -> str:
    """The text of devpi-web's content area (below the search form and its help)."""
    return _text(dom.split('id="content"', 1)[-1].split(">", 1)[-1])


# --- devpi-web -------------------------------------------------------------------------


def test_the_index_page_names_every_released_version_and_its_files(
    published: publishing.Index, repo_wheels: dict[str, BuiltPackage], tmp_path: Path
) -> None:
    # when a person opens the index in a browser
    text = _content(dump_dom(published.url, tmp_path))

    # then each package is listed with its version and both files
    assert text.startswith(" acme/consumers index ")
    for package in repo_wheels.values():
        assert f" {package.name}-{package.version} " in text
        assert f" {package.wheel.filename} {package.sdist.filename} " in text
    assert " toxresult_upload Users: acme upload Users: acme " in text


def test_a_package_page_shows_its_versions_description_changelog_and_files(
    published: publishing.Index, repo_wheels: dict[str, BuiltPackage], tmp_path: Path
) -> None:
    billing = repo_wheels["billing-app"]

    # when a person opens billing-app, then its release
    versions = _content(dump_dom(f"{published.url}billing-app", tmp_path))
    release = _content(dump_dom(f"{published.url}billing-app/{billing.version}", tmp_path))

    # then the versions are listed, and the release shows metadata, files, readme, changelog
    assert f" Latest version on stage is: {billing.version} " in versions
    assert f" acme/consumers {billing.version} " in versions
    assert f" billing-app-{billing.version} metadata and description " in release
    assert " Programming Language :: Python :: 3.13 " in release
    assert f" {billing.wheel.filename} Size " in release
    assert " invoices with lines, payments taken through a pluggable payment gateway, " in release
    # the newest changelog section, as the package's CHANGELOG.md has it
    changelog = (ROOT / "packages" / "billing-app" / "CHANGELOG.md").read_text(encoding="utf-8")
    newest = re.search(r"^## (.+)\n\n### (\w+)", changelog, re.M)
    assert newest is not None
    assert f" Changelog {newest.group(1)} {newest.group(2)} " in release
    assert "changelog.d" not in release  # nothing for developers of the monorepo


def _wait_until_indexed(url: str, query: str) -> str:
    """devpi-web indexes uploads on a background thread: poll its search until ``query``
    finds something (a wait, not a timed assertion: it fails only after a minute)."""
    deadline = time.monotonic() + 60
    while True:
        request = urllib.request.Request(
            f"{url}/+search?query={query}", headers={"Accept": "text/html"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            page = response.read().decode()
        if "did not match anything" not in page or time.monotonic() > deadline:
            return page
        time.sleep(0.5)


def test_the_search_finds_packages_by_what_their_description_says(
    shared_devpi: SharedDevpi,
    published: publishing.Index,
    repo_wheels: dict[str, BuiltPackage],
    tmp_path: Path,
) -> None:
    # given the search index caught up with the uploads
    _wait_until_indexed(shared_devpi.url, "invoices")

    # when a person searches for a word of billing-app's description
    dom = dump_dom(f"{shared_devpi.url}/+search?query=invoices", tmp_path)
    results = _text(dom.split('class="searchresults"', 1)[-1].split(">", 1)[-1])

    # then billing-app on our index is found (its summary and description matched), and
    # accounts-app, whose description has no invoices, is not
    version = repo_wheels["billing-app"].version
    assert results.startswith(f" billing-app-{version} /acme/consumers/billing-app Description ")
    assert " Summary " in results
    assert "accounts-app" not in results


def _looks_like_a_devpi_web_listing(png: Path) -> None:
    """devpi-web's styled page with a table: its green status badge (the stylesheet loaded)
    and a table header row (#ccc). An error page (devpi-server's JSON message, devpi-web's
    'Not Found') has no table header; a page without devpi-web has no badge either."""
    counts = colours(png)
    badge, table_header = counts[(0x45, 0xBF, 0x17)], counts[(0xCC, 0xCC, 0xCC)]
    assert badge > 100, f"{png.name}: no devpi-web status badge ({badge} green pixels)"
    assert table_header > 5000, f"{png.name}: no table on the page ({table_header} grey pixels)"


def test_screenshots_of_a_package_page_show_it_and_of_an_error_page_do_not(
    published: publishing.Index, tmp_path: Path
) -> None:
    # when the browser takes a picture of billing-app's page and of a missing package's
    page = screenshot(f"{published.url}billing-app", tmp_path / "billing-app.png")
    error = screenshot(f"{published.url}no-such-package", tmp_path / "error.png")

    # then the package page is devpi-web's listing, and the check refuses the error page
    _looks_like_a_devpi_web_listing(page)
    with pytest.raises(AssertionError, match="no table on the page"):
        _looks_like_a_devpi_web_listing(error)


# --- the install recipes, and dependency confusion ------------------------------------


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a stranger's shell: nothing of ours, no pip or uv configuration."""
    leaky = ("PIP_", "UV_", "VIRTUAL_ENV", "PYTHONPATH", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(leaky)}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["UV_PYTHON"] = sys.executable
    if "UV_CACHE_DIR" in os.environ:
        env["UV_CACHE_DIR"] = os.environ["UV_CACHE_DIR"]
    env["HOME"] = str(tmp_path)  # no ~/.config/pip or uv of the machine's user
    env["XDG_CONFIG_HOME"] = str(tmp_path / ".config")
    return env


@pytest.fixture(scope="module")
def public(
    shared_devpi: SharedDevpi, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[publishing.Index, Path]]:
    """The stand-in for PyPI: Django's wheels and a fake accounts-app, on the embedded devpi;
    and a pip venv (the one that downloaded the Django wheels)."""
    home = tmp_path_factory.mktemp("public")
    venv = home / "venv"
    from monorel.adapters import python

    python.create_venv(venv)
    # tzdata: Django needs it on Windows, and uv locks for every platform
    wheels = pip.download(venv, ["Django>=5.2,<6", "tzdata"], home / "wheels")
    wheels.append(fake_wheel(home / "fake", "accounts-app", FAKE_VERSION))
    index = shared_devpi.new_index("public")
    upload(index, wheels, shared_devpi.auth)
    yield index, venv


@pytest.fixture(scope="module")
def private(
    public: tuple[publishing.Index, Path],
    repo_wheels: dict[str, BuiltPackage],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[PrivateDevpi]:
    """A devpi set up like production, our wheels on acme/stable, PyPI through root/pypi."""
    index, _ = public
    server = start_private_devpi(tmp_path_factory.mktemp("private"), mirror_of=index.simple_url)
    try:
        upload(
            server.stable, [a.path for b in repo_wheels.values() for a in b.artifacts], server.auth
        )
        yield server
    finally:
        server.stop()


def _newest(index: publishing.Index, name: str) -> str:
    versions = devpi.released_versions(index.url, name)
    assert versions, f"{index.url} has no {name}"
    return max(versions, key=lambda v: tuple(int(p) for p in v.split(".")))


def _installed(report: dict) -> dict[str, tuple[str, str]]:
    """name -> (version, URL it came from), from pip's install report."""
    return {
        item["metadata"]["name"].lower(): (
            item["metadata"]["version"],
            urllib.parse.unquote(item["download_info"]["url"]),
        )
        for item in report["install"]
    }


def test_pip_with_our_one_index_url_never_installs_the_public_accounts_app(
    private: PrivateDevpi, public: tuple[publishing.Index, Path], tmp_path: Path
) -> None:
    # given the README's pip recipe, pointed at our production-like devpi; the public
    # stand-in behind its mirror offers accounts-app 1.99.0
    _, venv = public
    argv = readme_command(".venv/bin/pip install --index-url")
    argv = [str(venv / "bin" / "python"), "-m", "pip", *argv[1:]]
    argv[argv.index(PRODUCTION_INDEX)] = private.stable.simple_url
    report = tmp_path / "report.json"

    # when it runs, and the installed packages are imported
    # --no-compile: byte-compiling Django is slow and not what is under test
    run([*argv, "--no-compile", "--report", str(report)], cwd=tmp_path, env=_clean_env(tmp_path))
    imported = run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import accounts_app, billing_app; print(hasattr(accounts_app, 'IMPOSTOR'))",
        ],
        cwd=tmp_path,
        env=_clean_env(tmp_path),
    )

    # then our packages, at the newest versions the index has, come from acme/stable, and
    # Django from the public index through the mirror
    installed = _installed(json.loads(report.read_text()))
    for name in ("accounts-app", "billing-app"):
        version, url = installed[name]
        assert version == _newest(private.stable, name)
        assert url.startswith(f"{private.url}/acme/stable/+f/")
    assert installed["django"][1].startswith(f"{private.url}/root/pypi/+f/")
    assert imported == "False\n"


def test_pip_with_an_extra_index_url_installs_the_fake(
    private: PrivateDevpi, public: tuple[publishing.Index, Path], tmp_path: Path
) -> None:
    # given the open set-up the README warns about: our index plus the public one
    index, venv = public
    report = tmp_path / "report.json"

    # when billing-app is installed
    run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--index-url",
            private.stable.simple_url,
            "--extra-index-url",
            index.simple_url,
            "--report",
            str(report),
            "billing-app",
        ],
        cwd=tmp_path,
        env=_clean_env(tmp_path),
    )

    # then the public fake wins: this is the attack the recipe closes
    assert _installed(json.loads(report.read_text()))["accounts-app"][0] == FAKE_VERSION


def _uv_project(tmp_path: Path, acme_index: str, public_index: str, *, drop: str = "") -> Path:
    """The README's uv pyproject, its acme URL pointed at ``acme_index``, PyPI played by
    ``public_index`` (uv's default index), and the lines starting with ``drop`` removed."""
    text = readme_block("# pyproject.toml of a uv project").replace(PRODUCTION_INDEX, acme_index)
    if drop:
        text = "".join(line for line in text.splitlines(True) if not line.startswith(drop))
    text += f'\n[[tool.uv.index]]\nname = "public"\nurl = "{public_index}"\ndefault = true\n'
    project = tmp_path / "my-site"
    project.mkdir()
    (project / "pyproject.toml").write_text(text)
    return project


def _locked(project: Path) -> dict[str, tuple[str, str]]:
    """name -> (version, index URL) of every package in the project's uv.lock."""
    lock = tomllib.loads((project / "uv.lock").read_text())
    return {
        p["name"]: (p["version"], p["source"].get("registry", ""))
        for p in lock["package"]
        if "registry" in p["source"]
    }


def test_the_uv_recipe_takes_our_packages_only_from_our_index(
    published: publishing.Index, public: tuple[publishing.Index, Path], tmp_path: Path
) -> None:
    # given the README's uv project against the embedded devpi; the public stand-in is
    # uv's default index and offers accounts-app 1.99.0
    index, _ = public
    project = _uv_project(tmp_path, published.simple_url, index.simple_url)
    env = _clean_env(tmp_path)

    # when it is locked and synced as the README says, and imports what it installed
    run(["uv", "lock"], cwd=project, env=env)
    run(["uv", "sync"], cwd=project, env=env)
    imported = run(
        [
            "uv",
            "run",
            "python",
            "-c",
            "import accounts_app, billing_app; print(hasattr(accounts_app, 'IMPOSTOR'))",
        ],
        cwd=project,
        env=env,
    )

    # then both of ours are the newest on our index and came from it; Django from "PyPI"
    locked = _locked(project)
    for name in ("accounts-app", "billing-app"):
        assert locked[name] == (_newest(published, name), published.simple_url)
    assert locked["django"][1] == index.simple_url
    assert imported == "False\n"


def test_uv_without_a_source_for_the_transitive_package_takes_the_fake(
    published: publishing.Index, public: tuple[publishing.Index, Path], tmp_path: Path
) -> None:
    # given the uv recipe without its accounts-app source line
    index, _ = public
    project = _uv_project(tmp_path, published.simple_url, index.simple_url, drop="accounts-app = ")

    # when it is locked
    run(["uv", "lock"], cwd=project, env=_clean_env(tmp_path))

    # then uv asked the default index for accounts-app and took the fake
    assert _locked(project)["accounts-app"] == (FAKE_VERSION, index.simple_url)
