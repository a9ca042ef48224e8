"""A real headless Chromium for tests that look at pages as a person would.

Debian's ``chromium`` (``.ci/run`` installs it when missing). Each call starts a fresh
browser with a new empty profile and no network services of its own (no sync, no
component updates, no QUIC), prints the DOM or writes a PNG, and exits; the profile
directory goes with it. Root needs ``--no-sandbox``.

``colours`` reads a screenshot with Pillow, so tests can ask what is on the picture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,900",
)
_TIMEOUT = 120


def chromium() -> str:
    """The browser's path. When it is missing the test is skipped on a developer's machine,
    saying how to install it, and fails under CI (``CI`` set), where a skip would pass the
    pages unseen."""
    # Debian's chromium; GitHub's Ubuntu runners have Google Chrome (the same flags)
    found = next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))),
        None,
    )
    if found is None:
        reason = "chromium is not installed: apt-get install chromium (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def _run(url: str, *extra: str, cwd: Path) -> str:
    with tempfile.TemporaryDirectory(prefix="monorel-chromium-") as profile:
        done = subprocess.run(
            [chromium(), *_FLAGS, f"--user-data-dir={profile}", *extra, url],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    if done.returncode != 0:
        raise AssertionError(
            f"chromium failed ({done.returncode}) on {url}:\n{done.stderr[-2000:]}"
        )
    return done.stdout


def dump_dom(url: str, tmp_path: Path) -> str:
    """The DOM after the page loaded and ran its scripts, serialized as HTML."""
    return _run(url, "--dump-dom", cwd=tmp_path)


def screenshot(url: str, path: Path) -> Path:
    """A PNG of the page as a 1280x900 window shows it."""
    _run(url, f"--screenshot={path}", cwd=path.parent)
    if not path.is_file():
        raise AssertionError(f"chromium wrote no screenshot of {url}")
    return path


def colours(path: Path) -> Counter[tuple[int, int, int]]:
    """How many pixels of the screenshot have each RGB colour."""
    with Image.open(path) as image:
        rgb = image.convert("RGB")
        return Counter({colour: count for count, colour in rgb.getcolors(rgb.width * rgb.height)})
