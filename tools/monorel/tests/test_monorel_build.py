"""`monorel build`: uv build --no-sources per package, then the wheel is verified (real uv,
real twine); a wheel that does not match its pyproject, tag or package data is refused."""

from __future__ import annotations

import email.parser
import zipfile
from pathlib import Path

import pytest
from monorel import building
from monorel.building import BuiltPackage
from monorel.cli import main
from monorel.errors import ArtifactCheckFailed
from monorel.workspace import Workspace
from monorel_release_support import TEMPLATE, git_out, load, release_members
from monorel_workspaces import commit_all, write, write_workspace


def _wheel(built: BuiltPackage) -> tuple[set[str], email.message.Message]:
    with zipfile.ZipFile(built.wheel.path) as zf:
        names = set(zf.namelist())
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        return names, email.parser.Parser().parsestr(zf.read(meta).decode())


def test_build_writes_verified_distributions_with_their_package_data(
    release_ws: Path, release_built: list[BuiltPackage]
) -> None:
    # then (release_built ran `building.build` for every released package, in order)
    people, ledger = release_built
    state = release_ws / ".monorel" / "dist"
    assert [(b.name, b.version) for b in release_built] == [
        ("people-app", "1.0.0"),
        ("ledger-app", "1.0.0"),
    ]
    assert sorted(p.name for p in (state / "people-app").glob("people_app-*")) == [
        "people_app-1.0.0-py3-none-any.whl",
        "people_app-1.0.0.tar.gz",
    ]
    names, _ = _wheel(people)
    assert {"people_app/migrations/0001_initial.py", f"people_app/{TEMPLATE}"} <= names
    # --no-sources: the declared range, not a workspace path
    _, metadata = _wheel(ledger)
    assert metadata.get_all("Requires-Dist") == ["people-app<2,>=1.0"]
    # the state dir keeps itself out of git
    assert git_out(release_ws, "status", "--porcelain", "--untracked-files=all") == ""


def test_build_refuses_a_wheel_that_lacks_templates(tmp_path: Path) -> None:
    # given a hatch config that leaves the HTML templates out of the wheel
    root = write_workspace(tmp_path / "ws", release_members())
    pyproject = root / "packages/people-app/pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'packages = ["src/people_app"]\n',
            'packages = ["src/people_app"]\nexclude = ["*.html"]\n',
        )
    )
    ws = load(root)

    # when / then
    with pytest.raises(ArtifactCheckFailed) as refused:
        building.build(ws, ws.member("people-app"))
    assert refused.value.message == (
        "people-app 1.0.0: the built distributions are not releasable:\n"
        f"  - the wheel lacks people_app/{TEMPLATE}"
    )


def test_build_refuses_a_range_that_excludes_the_workspace_version(tmp_path: Path) -> None:
    # given ledger-app asks for people-app 2.x while the workspace has 1.0.0
    members = release_members()
    members[1].dependencies = ["people-app>=2.0,<3"]
    ws = load(write_workspace(tmp_path / "ws", members))

    # when / then
    with pytest.raises(ArtifactCheckFailed) as refused:
        building.build(ws, ws.member("ledger-app"))
    assert refused.value.message.endswith(
        "  - Requires-Dist people-app<3,>=2.0 excludes people-app 1.0.0, the version in this "
        "workspace"
    )


def test_build_refuses_when_the_release_tag_disagrees_with_the_version(tmp_path: Path) -> None:
    # given HEAD tagged people-app-v1.0.1 while pyproject says 1.0.0
    root = write_workspace(tmp_path / "ws", release_members())
    git_out(root, "tag", "people-app-v1.0.1")
    ws = load(root)

    # when / then
    with pytest.raises(ArtifactCheckFailed) as refused:
        building.build(ws, ws.member("people-app"))
    assert refused.value.message.endswith(
        "  - HEAD is tagged people-app-v1.0.1 but the version is 1.0.0"
    )


def test_build_of_an_unreleased_member_is_a_usage_error(
    release_ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when
    code = main(["--root", str(release_ws), "build", "shop"])

    # then
    assert code == 2
    assert capsys.readouterr().err == (
        "error[MR002]: not released by monorel: shop\n"
        "  fix: build one of the released packages: people-app, ledger-app\n"
    )


def test_a_release_is_built_from_its_release_point_when_the_package_changed_since(
    tmp_path: Path,
) -> None:
    # given people-app 1.0.0 tagged, then unreleased work on it (not yet versioned)
    root = write_workspace(tmp_path / "ws", release_members())
    git_out(root, "tag", "-a", "people-app-v1.0.0", "-m", "people-app 1.0.0")
    tagged = git_out(root, "rev-parse", "HEAD").strip()
    write(root / "packages/people-app/src/people_app/unreleased.py", "NEW = True\n")
    write(root / "packages/people-app/changelog.d/+new.feature.md", "New.\n")
    commit_all(root, "unreleased work")
    ws = load(root)

    # when the current versions are built for publishing
    people, people_source = building.build_release(ws, ws.member("people-app"))
    ledger, ledger_source = building.build_release(ws, ws.member("ledger-app"))

    # then people-app 1.0.0 is what the tag holds, without the unreleased module,
    # and the unchanged ledger-app comes from the working tree
    assert people_source == building.Source(
        tagged, "people-app-v1.0.0 (changed since; built from the release point)"
    )
    names, _ = _wheel(people)
    assert "people_app/api.py" in names and "people_app/unreleased.py" not in names
    assert people.wheel.path.parent == root / ".monorel/dist/people-app"
    assert ledger_source == building.Source(None, "working tree")


# --- [tool.monorel] wheel-checks: what consumers see -------------------------------------

ALL_WHEEL_CHECKS = (
    'org = "acme"\nwheel-checks = ["license-file", "python-classifiers", '
    '"django-classifiers", "project-urls", "long-description"]\n'
)
COMPLETE_PROJECT = """\
license = "MIT"
license-files = ["LICENSE"]
readme = "README.md"
classifiers = [
    "Framework :: Django :: 5.2",
    "Programming Language :: Python :: 3",
    "Programming Language :: Python :: 3.11",
    "Programming Language :: Python :: 3.12",
    "Programming Language :: Python :: 3.13",
]

[project.urls]
Source = "https://example.com/src/people-app"
Changelog = "https://example.com/src/people-app/CHANGELOG.md"
"""
COMPLETE_README = """\
# people-app

People, for [ledger-app](https://example.com/src/ledger-app); see [below](#api).

```python
INSTALLED_APPS = [..., "people_app"]  # [not](a-link)
```

## API
"""


def _people_app_with(tmp_path: Path, project: str, readme: str) -> Workspace:
    """release_members() with people-app requiring Django, its [project] extended by
    ``project``, a README.md and a LICENSE."""
    members = release_members()
    members[0].dependencies = ["Django>=5.2,<6"]
    members[0].files = {"README.md": readme, "LICENSE": "MIT License\n"}
    root = write_workspace(tmp_path / "ws", members, monorel_config=ALL_WHEEL_CHECKS, commit=None)
    pyproject = root / "packages/people-app/pyproject.toml"
    text = pyproject.read_text()
    # the [project] keys (and [project.urls]) go where [project] ends
    marker = "\n[tool.hatch.build.targets.wheel]"
    pyproject.write_text(text.replace(marker, "\n" + project + marker, 1))
    git_out(root, "init", "-q", "-b", "main")
    commit_all(root, "initial")
    return load(root)


def test_build_accepts_a_wheel_with_everything_consumers_need(tmp_path: Path) -> None:
    # given people-app with a licence file, classifiers, URLs and an index-ready readme
    ws = _people_app_with(tmp_path, COMPLETE_PROJECT, COMPLETE_README)

    # when
    built = building.build(ws, ws.member("people-app"))

    # then the licence ships and METADATA names it
    names, metadata = _wheel(built)
    assert "people_app-1.0.0.dist-info/licenses/LICENSE" in names
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert metadata.get_all("Project-URL") == [
        "Source, https://example.com/src/people-app",
        "Changelog, https://example.com/src/people-app/CHANGELOG.md",
    ]


def test_build_names_every_consumer_facing_gap(tmp_path: Path) -> None:
    # given people-app with no licence file, a hole in its Python claims, a Django claim its
    # requirement excludes, no changelog URL and a readme written for the repository
    project = """\
license = "MIT"
readme = "README.md"
classifiers = [
    "Framework :: Django :: 4.2",
    "Programming Language :: Python :: 3.11",
    "Programming Language :: Python :: 3.13",
]

[project.urls]
Source = "https://example.com/src/people-app"
"""
    readme = (
        "# people-app\n\nSee [ledger-app](../ledger-app) and ![logo](docs/logo.png).\n\n"
        "## Development\n\nRun `uv run pytest`.\n"
    )
    ws = _people_app_with(tmp_path, project, readme)
    # hatchling finds LICENSE on its own: leave the file out of this wheel
    (ws.root / "packages/people-app/LICENSE").unlink()

    # when / then every gap is named, and nothing is left in the dist dir as verified
    with pytest.raises(ArtifactCheckFailed) as refused:
        building.build(ws, ws.member("people-app"))
    assert refused.value.message == (
        "people-app 1.0.0: the built distributions are not releasable:\n"
        "  - no License-File in METADATA: add a LICENSE file and "
        '[project] license-files = ["LICENSE"]\n'
        "  - Requires-Python >=3.11 admits Python 3.12, which no classifier claims: "
        "claim and test it, or raise requires-python\n"
        "  - claims Django 4.2 but requires django<6,>=5.2\n"
        "  - no Project-URL for the changelog: add it to [project.urls] "
        '(Changelog = "https://...")\n'
        "  - the long description links ../ledger-app, docs/logo.png: relative links break "
        "on an index page; make them absolute URLs\n"
        "  - the long description has a section for developers of the repository "
        "('## Development'); consumers read it on the index: move it out of the readme"
    )


def test_unknown_wheel_checks_are_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a workspace naming a check monorel does not have
    root = write_workspace(
        tmp_path / "ws", release_members(), monorel_config='wheel-checks = ["licence"]\n'
    )

    # when / then nothing is built
    assert main(["--root", str(root), "build"]) == 2
    assert capsys.readouterr().err == (
        "error[MR084]: [tool.monorel] wheel-checks names unknown checks: licence\n"
        "  fix: use only: license-file, python-classifiers, django-classifiers, project-urls, "
        "long-description\n"
    )
    assert not (root / ".monorel" / "dist").exists()
