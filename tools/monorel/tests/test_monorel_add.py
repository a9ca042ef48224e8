"""`monorel add`: a valid fragment, scripted or asked for on a terminal (driven through a
pseudo-terminal, as a person would type)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from monorel import fragments, workspace
from monorel_check_support import run_cli

PEOPLE = "packages/people-app"


def test_scripted_add_writes_a_fragment_check_and_plan_accept(ws: Path) -> None:
    # when a fragment is added with every argument, twice with the same text, and with --issue
    first = run_cli(ws, "add", "people-app", "feature", "People", "have", "nicknames.")
    second = run_cli(ws, "add", "people-app", "feature", "People have nicknames.")
    issue = run_cli(ws, "add", "ledger-app", "bugfix", "Amounts round half up.", "--issue", "42")

    # then each is a valid fragment, named from its text (a counter where taken)
    assert first == (
        0,
        f"wrote {PEOPLE}/changelog.d/+people-have-nicknames.feature.md (feature: minor -> 1.1.0)\n",
        "",
    )
    assert second[1] == (
        f"wrote {PEOPLE}/changelog.d/+people-have-nicknames.feature.1.md "
        "(feature: minor -> 1.1.0)\n"
    )
    assert issue[1] == (
        "wrote packages/ledger-app/changelog.d/42.bugfix.md (bugfix: patch -> 1.0.1)\n"
    )
    member = workspace.load(ws).member("people-app")
    found = fragments.scan(member)
    assert found.invalid == ()
    assert [(f.path.name, f.type, f.text) for f in found.fragments] == [
        ("+people-have-nicknames.feature.1.md", "feature", "People have nicknames.\n"),
        ("+people-have-nicknames.feature.md", "feature", "People have nicknames.\n"),
    ]


def test_an_unknown_type_is_refused_and_nothing_is_written(ws: Path) -> None:
    # when the type is not one the package knows
    code, out, err = run_cli(ws, "add", "people-app", "feat", "Nicknames.")

    # then exit 2 lists the types, and the fragment directory is as it was
    assert (code, out) == (2, "")
    assert err == (
        "error[MR002]: people-app has no fragment type 'feat'\n"
        "  fix: use one of: breaking, feature, bugfix, migration, doc, misc, skip\n"
    )
    assert sorted(p.name for p in (ws / PEOPLE / "changelog.d").iterdir()) == [".gitkeep"]


def test_without_a_terminal_missing_arguments_are_a_usage_error(ws: Path) -> None:
    # given no terminal (stdin is not a tty under pytest) / when the text is missing
    code, _, err = run_cli(ws, "add", "people-app", "feature")
    assert code == 2
    assert err.startswith("error[MR002]: monorel add needs the fragment TEXT\n")


def test_interactive_add_picks_changed_packages_first_then_the_type_and_text(ws: Path) -> None:
    # given people-app changed since its release (ledger-app and shop did not)
    (ws / PEOPLE / "src/people_app/extra.py").write_text("X = 1\n")

    # when `monorel add` runs on a terminal and a person answers: a wrong number, the
    # changed package, a type by name, an empty text, then the text
    session = _Terminal([sys.executable, "-m", "monorel", "--root", str(ws), "add"])
    session.expect("package [1-3 or name]: ")
    session.send("9")
    session.expect("not one of the packages above")
    session.expect("package [1-3 or name]: ")
    session.send("1")
    session.expect("type [1-7 or name]: ")
    session.send("feature")
    session.expect("what changed (one line, as users read it): ")
    session.send("")
    session.expect("what changed (one line, as users read it): ")
    session.send("People have nicknames.")
    code = session.wait()

    # then the picker showed people-app first, marked changed, with each type's bump, and
    # the fragment was written
    assert code == 0, session.output
    assert "  1) people-app 1.0.0  (changed)\n" in session.output
    assert "  2) ledger-app 1.0.0\n" in session.output
    assert "  2) feature: minor -> 1.1.0\n" in session.output
    assert "  7) skip: releases nothing\n" in session.output
    assert session.output.endswith(
        f"wrote {PEOPLE}/changelog.d/+people-have-nicknames.feature.md (feature: minor -> 1.1.0)\n"
    )
    assert (ws / PEOPLE / "changelog.d/+people-have-nicknames.feature.md").read_text() == (
        "People have nicknames.\n"
    )


class _Terminal:
    """A child process on a pseudo-terminal: read until a prompt appears, type a line."""

    def __init__(self, argv: list[str]) -> None:
        self._master, slave = pty.openpty()
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        self._proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
        )
        os.close(slave)
        self.output = ""
        self._seen = 0

    def expect(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output[self._seen :]:
            left = deadline - time.monotonic()
            assert left > 0, f"never saw {text!r} in:\n{self.output}"
            ready, _, _ = select.select([self._master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self._master, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                assert chunk, f"the program ended before {text!r}:\n{self.output}"
                self.output += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        self._seen = self.output.index(text, self._seen) + len(text)

    def send(self, line: str) -> None:
        os.write(self._master, line.encode() + b"\n")

    def wait(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while self._proc.poll() is None or select.select([self._master], [], [], 0)[0]:
            if time.monotonic() > deadline:
                self._proc.kill()
                break
            ready, _, _ = select.select([self._master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self._master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                self.output += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        os.close(self._master)
        return self._proc.wait()
