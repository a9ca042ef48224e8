"""Members laid out as other teams lay them out: each backend's configuration is read, and
what cannot be read, or does not exist, is an error naming the member (exit 2), never a
silent "none"."""

from __future__ import annotations

from pathlib import Path

import pytest
from monorel import workspace
from monorel_check_support import copy_workspace, run_check, run_cli
from monorel_layouts import HATCH, LAYOUTS, SETUPTOOLS, LayoutSpec, add_member, layout_workspace
from monorel_workspaces import commit_all, git, write


@pytest.fixture(scope="session")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every layout of ``LAYOUTS`` in one workspace (the setup.py member is built once)."""
    return layout_workspace(tmp_path_factory.mktemp("layouts") / "ws", list(LAYOUTS.values()))


@pytest.mark.parametrize(
    ("name", "packages", "public"),
    [
        ("st-src", [("st_src", "src/st_src")], ["st_src.api"]),
        ("st-flat", [("legacy_core", "lib/legacy_core")], ["legacy_core.api"]),
        (
            "st-many",
            [("many_cli", "many_cli.py"), ("many_one", "many_one"), ("many_two", "many_two")],
            ["many_cli", "many_one.api", "many_two.api"],
        ),
        ("flit-flat", [("flitty", "flitty")], ["flitty.api"]),
        ("flit-src", [("flit_src", "src/flit_src")], ["flit_src.api"]),
        ("pdm-src", [("pdm_src", "src/pdm_src")], ["pdm_src.api"]),
        ("pdm-flat", [("pdm_pkg", "pdm_pkg")], ["pdm_pkg.api"]),
        ("hatch-oi", [("hatch_oi", "code/hatch_oi")], ["hatch_oi.api"]),
        ("st-setup-py", [("oddly_named", "oddly_named")], ["oddly_named.api"]),
    ],
)
def test_each_backend_s_configuration_names_the_import_packages(
    layouts: Path, name: str, packages: list[tuple[str, str]], public: list[str]
) -> None:
    # given a member laid out its backend's way / when the workspace is read
    member = workspace.load(layouts).member(name)

    # then its import packages (several where there are several) and public modules are found
    found = [(p.name, p.path.relative_to(member.path).as_posix()) for p in member.import_packages]
    assert found == packages
    assert (member.import_name, member.package_dir) == (
        packages[0][0],
        member.path / packages[0][1],
    )
    assert list(member.public_modules) == public
    assert member.missing_public_modules == ()


def test_the_wheel_fallback_leaves_the_tree_untouched(layouts: Path) -> None:
    # given the setup.py member was read from a wheel built from it (the session fixture)
    # when git looks at the tree / then nothing was built next to the sources
    status = git(layouts, "status", "--porcelain", "--untracked-files=all", "--ignored")
    assert [line for line in status.splitlines() if not line.startswith("!! .monorel/")] == []


def test_an_import_into_a_setuptools_member_is_held_to_its_boundary(tmp_path: Path) -> None:
    # given a flat-layout setuptools library and a member that imports its internals
    # without declaring it
    user = LayoutSpec(
        "user-app",
        HATCH,
        {
            "src/user_app/__init__.py": "from legacy_core.sub import x\n",
            "src/user_app/apps.py": "",
            "src/user_app/api.py": "",
        },
    )
    base = LAYOUTS["setuptools-flat"]
    files = {**base.files, "lib/legacy_core/sub.py": "x = 1\n", "lib/legacy_core/apps.py": ""}
    flat = LayoutSpec(base.name, base.pyproject, files)
    root = layout_workspace(tmp_path / "ws", [flat, user])

    # when the imports rule runs
    run = run_check(root, "--rule", "imports")

    # then the import is a finding, with where it is
    assert run.code == 1
    assert [(f["path"], f["line"]) for f in run.findings] == [
        ("packages/user-app/src/user_app/__init__.py", 1)
    ]
    assert run.findings[0]["message"] == (
        "user_app imports legacy_core.sub, but user-app does not declare st-flat in "
        "[project].dependencies"
    )


def test_semver_sees_a_breaking_change_of_a_src_layout_setuptools_member(tmp_path: Path) -> None:
    # given st-src released at 1.0.0 (tagged), then hello() removed from its api
    root = layout_workspace(tmp_path / "ws", [LAYOUTS["setuptools-src"]])
    git(root, "tag", "st-src-v1.0.0")
    write(root / "packages/st-src/src/st_src/api.py", "__all__ = []\n")
    commit_all(root, "remove hello")

    # when the verdict is asked for
    code, out, _ = run_cli(root, "semver", "st-src")

    # then it is a major with the evidence, not "none"
    assert code == 0
    assert out.splitlines()[1:3] == [
        "  major  api.py removes hello  [packages/st-src/src/st_src/api.py]",
        "         needs a `breaking` fragment",
    ]
    assert out.startswith("st-src: major required since st-src-v1.0.0 (")


def test_semver_judges_every_import_package_of_a_member(tmp_path: Path) -> None:
    # given st-many (packages many_one, many_two and the module many_cli) released at 1.0.0,
    # then hello() removed from the api of its second package and the module edited
    root = layout_workspace(tmp_path / "ws", [LAYOUTS["setuptools-many"]])
    git(root, "tag", "st-many-v1.0.0")
    write(root / "packages/st-many/many_two/api.py", "__all__ = []\n")
    write(root / "packages/st-many/many_cli.py", "VERBOSE = False\n")
    commit_all(root, "remove hello from many_two")

    # when the verdict is asked for
    code, out, _ = run_cli(root, "semver", "st-many")

    # then the second package's breakage and the module's new name are seen, not "none"
    assert code == 0, out
    assert out.startswith("st-many: major required since st-many-v1.0.0 (")
    assert "  major  api.py removes hello  [packages/st-many/many_two/api.py]" in out
    assert "  minor  many_cli.py adds VERBOSE  [packages/st-many/many_cli.py:1]" in out


@pytest.mark.parametrize(
    ("spec", "code", "message", "fix"),
    [
        (
            LayoutSpec(
                "legacy", SETUPTOOLS, {"setup.py": "", "legacy/__init__.py": ""}, project=False
            ),
            "MR087",
            "packages/legacy/pyproject.toml has no [project] table: monorel (and uv, for a "
            "workspace member) reads the name, version and dependencies from it, not from "
            "setup.py or setup.cfg",
            "move the metadata into [project] (PEP 621: setuptools reads it from there), or "
            "leave the member out of [tool.uv.workspace] (exclude = [...])",
        ),
        (
            LayoutSpec(
                "bad-version", HATCH, {"src/bad_version/__init__.py": ""}, version="one-point-three"
            ),
            "MR088",
            'packages/bad-version/pyproject.toml: [project] version = "one-point-three" is not '
            "a valid version (PEP 440)",
            'set it to a version such as "1.3.0" (monorel bumps it from there)',
        ),
        (
            LayoutSpec(
                "gone-app",
                HATCH + '\n[tool.hatch.build.targets.wheel]\npackages = ["src/gone_app"]\n',
                {"src/other/__init__.py": ""},
            ),
            "MR082",
            "gone-app: hatchling packages names src/gone_app, which does not exist",
            "create src/gone_app, or correct hatchling packages in gone-app's configuration",
        ),
    ],
    ids=["no-project", "invalid-version", "package-missing"],
)
def test_a_member_monorel_cannot_read_is_exit_2_naming_it(
    tmp_path: Path, spec: LayoutSpec, code: str, message: str, fix: str
) -> None:
    # given a workspace with such a member
    root = layout_workspace(tmp_path / "ws", [LAYOUTS["setuptools-src"], spec])

    # when any command runs
    exit_code, out, err = run_cli(root, "check", "--rule", "imports")

    # then it stops with the member named and a fix, having checked nothing
    assert (exit_code, out) == (2, "")
    assert err == f"error[{code}]: {message}\n  fix: {fix}\n"


def test_a_dynamic_version_is_refused_with_a_fix_that_makes_sense(tmp_path: Path) -> None:
    # given a member whose version a backend computes
    spec = LayoutSpec("dyn-app", HATCH, {"src/dyn_app/__init__.py": ""}, project=False)
    spec.pyproject = '[project]\nname = "dyn-app"\ndynamic = ["version"]\n\n' + HATCH
    root = layout_workspace(tmp_path / "ws", [spec])

    # when monorel reads it / then it says why it cannot and what to do
    code, _, err = run_cli(root, "plan")
    assert code == 2
    assert err == (
        "error[MR087]: packages/dyn-app/pyproject.toml: [project] version is computed "
        '(dynamic = ["version"]): monorel reads the version there and writes the next one '
        "there on release\n"
        '  fix: set a static version = "X.Y.Z" in [project] and remove "version" from dynamic\n'
    )


def test_a_missing_public_module_is_exit_2_naming_the_member(tmp_path: Path) -> None:
    # given a released library without the default api module, a library whose configured
    # public module does not exist, and a tool with neither (nothing depends on a tool's api)
    lib = LayoutSpec("no-api", HATCH, {"src/no_api/__init__.py": "", "src/no_api/apps.py": ""})
    facade = LayoutSpec(
        "facade-app",
        HATCH,
        {
            "src/facade_app/__init__.py": "",
            "src/facade_app/apps.py": "",
            "src/facade_app/api.py": "",
        },
    )
    tool = LayoutSpec("a-tool", HATCH, {"src/a_tool/__init__.py": ""})
    root = layout_workspace(
        tmp_path / "ws",
        [lib, facade, tool],
        monorel_config='org = "acme"\n\n[tool.monorel.packages.facade-app]\n'
        'public-modules = ["facade"]\n',
    )

    # when checked
    code, out, err = run_cli(root, "check", "--rule", "imports")

    # then it refuses before any rule ran, naming both members and the files it looked for
    assert (code, out) == (2, "")
    assert err == (
        "error[MR083]: configured public modules do not exist:\n"
        "  facade-app: facade_app.facade (no src/facade_app/facade.py)\n"
        "  no-api: no_api.api (no src/no_api/api.py)\n"
        "  fix: create the module other members may import, or set "
        "[tool.monorel.packages.<name>] public-modules (for facade-app, no-api) to the modules "
        "that are public (public-modules = [] for none)\n"
    )


@pytest.mark.parametrize(
    ("config", "message", "fix"),
    [
        (
            'public-modules = "api"\n',
            '[tool.monorel] public-modules = "api" is a string: expected a list of module names',
            'write it as public-modules = ["api"]',
        ),
        (
            'host-pins = "sometimes"\n',
            '[tool.monorel] host-pins = "sometimes" is not one of "current", "released": '
            'expected "current" or "released"',
            'write it as host-pins = "current"',
        ),
        (
            'tag-format = "{dist}"\n',
            '[tool.monorel] tag-format = "{dist}": {version} must appear exactly once',
            'use {dist} and {version} once each, e.g. tag-format = "{dist}-v{version}" or '
            '"{dist}@{version}"',
        ),
        (
            '\n[tool.monorel.packages.st-src]\nrelease = "yes"\n',
            '[tool.monorel.packages.st-src] release = "yes" is a string: expected true or false',
            "write it as release = true",
        ),
        (
            '\n[tool.monorel.packages.st-src]\npublic-modules = ["api", 3]\n',
            '[tool.monorel.packages.st-src] public-modules = ["api", 3] is a list holding 3: '
            "expected a list of module names",
            'write it as public-modules = ["api"]',
        ),
    ],
    ids=["public-modules-string", "host-pins", "tag-format", "release-string", "list-item"],
)
def test_configuration_is_validated_by_type(
    tmp_path: Path, config: str, message: str, fix: str
) -> None:
    # given a [tool.monorel] value of the wrong type or value
    root = layout_workspace(
        tmp_path / "ws", [LAYOUTS["setuptools-src"]], monorel_config='org = "acme"\n' + config
    )

    # when any command runs / then exit 2 names the key and what it expects, nothing else ran
    assert run_cli(root, "check") == (2, "", f"error[MR084]: {message}\n  fix: {fix}\n")


def test_import_packages_names_what_no_backend_configuration_says(tmp_path: Path) -> None:
    # given a member without a build backend whose package is not where conventions look
    spec = LayoutSpec("odd-app", "", {"weird/place/odd_core/__init__.py": ""})
    root = layout_workspace(tmp_path / "ws", [spec])
    code, _, err = run_cli(root, "check", "--rule", "imports")
    assert code == 2 and err.startswith("error[MR082]: odd-app: cannot find its import packages")

    # when it is named in [tool.monorel.packages]
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + '\n[tool.monorel.packages.odd-app]\nimport-packages = ["weird/place/odd_core"]\n'
    )

    # then it is read from there
    member = workspace.load(root).member("odd-app")
    assert (member.import_name, member.package_dir) == (
        "odd_core",
        member.path / "weird/place/odd_core",
    )


def test_a_pyproject_without_build_system_is_read_by_its_tool_table(tmp_path: Path) -> None:
    # given hatch's table but no [build-system] (uv builds it with its default), and a copy
    spec = LayoutSpec(
        "quiet-app",
        '[tool.hatch.build.targets.wheel]\npackages = ["src/quiet"]\n',
        {"src/quiet/__init__.py": ""},
    )
    root = copy_workspace(layout_workspace(tmp_path / "a", [spec]), tmp_path / "b")
    add_member(root, LayoutSpec("flat-app", "", {"flat_app/__init__.py": ""}))

    # when read / then hatch's packages, and for the other the flat-layout convention
    ws = workspace.load(root)
    assert ws.member("quiet-app").import_name == "quiet"
    assert ws.member("flat-app").package_dir == root / "packages/flat-app/flat_app"
