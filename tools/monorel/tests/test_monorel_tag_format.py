"""A configured tag format (``{dist}@{version}``) through `monorel version`, the release points
that read the tags back, and release.yml's tag resolver (`monorel tag`, release_tag.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from monorel import planning, workspace
from monorel.tags import TagFormat, parse_format
from monorel_check_support import run_cli
from monorel_release_support import ROOT, git_out
from monorel_workspaces import commit_all, sample_members, write, write_workspace

RESOLVER = ROOT / ".github" / "scripts" / "release_tag.py"


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample workspace with tag-format "{dist}@{version}", people-app released to 1.1.0
    by `monorel version --yes` (once for the module: the tests only read it)."""
    root = write_workspace(
        tmp_path_factory.mktemp("tag-format") / "ws",
        sample_members(),
        monorel_config='org = "acme"\ntag-format = "{dist}@{version}"\n',
    )
    write(root / "packages/people-app/changelog.d/+nick.feature.md", "People have nicknames.\n")
    commit_all(root, "a feature")
    code, _, err = run_cli(root, "version", "--yes")
    assert code == 0, err
    return root


def test_version_tags_with_the_configured_format_and_reads_the_tags_back(released: Path) -> None:
    # then the tag is people-app@1.1.0, annotated, on the release commit
    assert git_out(released, "tag", "--points-at", "HEAD").split() == ["people-app@1.1.0"]
    # and the release points come from it: nothing is left to release
    ws = workspace.load(released)
    point = ws.release_index.last_release(ws.member("people-app"))
    assert point is not None and (point.version, point.source) == ("1.1.0", "tag")
    assert planning.compute(ws).releases == ()


def test_the_tag_resolver_reads_the_configured_format(released: Path) -> None:
    # when release.yml's resolver (monorel tag, and the script it calls) reads the tag
    code, out, _ = run_cli(released, "tag", "resolve", "people-app@1.1.0")
    script = subprocess.run(
        [sys.executable, str(RESOLVER), "resolve", "people-app@1.1.0"],
        cwd=released,
        capture_output=True,
        text=True,
        check=False,
    )

    # then both resolve it, and the workflow filter follows the format
    expected = "package=people-app\nversion=1.1.0\nprerelease=false\n"
    assert (code, out) == (0, expected)
    assert (script.returncode, script.stdout) == (0, expected)
    assert run_cli(released, "tag", "glob") == (0, "*@*\n", "")
    code, notes, _ = run_cli(released, "tag", "notes", "people-app@1.1.0")
    assert (code, notes) == (0, "## Feature\n\n- People have nicknames.\n")


def test_a_tag_in_another_format_is_refused(released: Path) -> None:
    # when the default format's tag is pushed to a workspace that uses another
    code, out, err = run_cli(released, "tag", "resolve", "people-app-v1.1.0")

    # then it is refused (exit 1) and prints nothing the later steps could use
    assert (code, out) == (1, "")
    assert err == (
        "error[MR089]: tag 'people-app-v1.1.0' is not of the form <dist-name>@<version>\n"
        "  fix: push the tags `monorel version --yes` makes (<dist-name>@<version>, "
        "[tool.monorel] tag-format)\n"
    )


@pytest.mark.parametrize(
    ("template", "tag", "dists", "expected"),
    [
        ("{dist}-v{version}", "foo-viewer-v1.0.0", ["foo", "foo-viewer"], ("foo-viewer", "1.0.0")),
        ("{dist}@{version}", "billing-app@2.0.0rc1", ["billing-app"], ("billing-app", "2.0.0rc1")),
        ("release/{dist}/{version}", "release/host/0.1.0", ["host"], ("host", "0.1.0")),
        ("{dist}@{version}", "billing-app@next", ["billing-app"], None),
    ],
)
def test_tag_formats_parse_their_own_tags(
    template: str, tag: str, dists: list[str], expected: tuple[str, str] | None
) -> None:
    fmt = parse_format(template)
    assert isinstance(fmt, TagFormat)
    assert fmt.parse(tag, dists) == expected
    if expected is not None:
        assert fmt.tag(*expected) == tag


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("v{version}", "{dist} must appear exactly once"),
        ("{dist}-{name}-{version}", "unknown placeholder(s) {name}"),
        ("{dist} {version}", "'billing-app 1.2.0' is not a valid git tag name"),
    ],
)
def test_a_tag_format_git_cannot_use_is_refused(template: str, problem: str) -> None:
    assert parse_format(template) == problem
