"""Rehearsal venvs and wheels: a shared base venv under each leg's wheels, a shared build venv.

Real uv, real hatchling builds and real venvs; third-party packages come from uv's cache
(``iniconfig``, ``packaging`` and ``hatchling`` are there: pytest and the workspace use them).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from monorel.adapters import uv
from monorel.errors import ToolError
from monorel.rehearsal import venvs, wheels

_PYTHON = sys.executable
_BASE_REQUIREMENTS = ("packaging",)  # the probe's one import; pytest brings it in rehearsals


def _project(root: Path, name: str, version: str, requires: list[str]) -> Path:
    """A hatchling project ``name`` with one module that says its version."""
    module = name.replace("-", "_")
    (root / "src" / module).mkdir(parents=True)
    (root / "src" / module / "__init__.py").write_text(f"VERSION = {version!r}\n")
    deps = ", ".join(f'"{r}"' for r in requires)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "{name}"
            version = "{version}"
            dependencies = [{deps}]

            [tool.hatch.build.targets.wheel]
            packages = ["src/{module}"]
            """
        )
    )
    return root


def _wheel(tmp_path: Path, cache: Path, name: str, version: str, requires: list[str]) -> Path:
    source = _project(tmp_path / f"src-{name}-{version}", name, version, requires)
    return wheels._build(source, tmp_path / f"out-{name}-{version}", cache, offline=True)


def _spec(*wheel_files: Path) -> venvs.VenvSpec:
    return venvs.VenvSpec(
        python=_PYTHON, wheels=wheel_files, requirements=_BASE_REQUIREMENTS, offline=True
    )


def _python_says(python: Path, code: str) -> str:
    return subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_legs_share_one_base_venv_of_third_party_packages(tmp_path: Path) -> None:
    # given two "releases" of people-app, each needing ledger-app (ours) and iniconfig
    cache = tmp_path / "cache"
    ledger = _wheel(tmp_path, cache, "ledger-app", "1.0.0", ["iniconfig"])
    old = _wheel(tmp_path, cache, "people-app", "1.0.0", ["ledger-app>=1,<2", "iniconfig"])
    new = _wheel(tmp_path, cache, "people-app", "1.1.0", ["ledger-app>=1,<2", "iniconfig"])
    # when a venv is ensured for each
    old_python = venvs.ensure(_spec(ledger, old), cache)
    new_python = venvs.ensure(_spec(ledger, new), cache)
    # then each imports its own people-app, and iniconfig from the one shared base venv
    code = "import people_app, iniconfig; print(people_app.VERSION, iniconfig.__file__)"
    old_says, new_says = _python_says(old_python, code), _python_says(new_python, code)
    bases = sorted(p.name for p in (cache / "venvs").glob("base-*") if p.is_dir())
    assert len(bases) == 1
    assert old_says.split()[0] == "1.0.0"
    assert new_says.split()[0] == "1.1.0"
    assert old_says.split()[1] == new_says.split()[1]
    assert f"/venvs/{bases[0]}/" in old_says.split()[1]
    # and the legs' own site-packages hold only our wheels and the line to the base
    own = sorted(p.name for p in old_python.parents[1].glob("lib/python*/site-packages/*"))
    assert own == [
        "_monorel_base.pth",
        "ledger_app",
        "ledger_app-1.0.0.dist-info",
        "people_app",
        "people_app-1.0.0.dist-info",
    ]
    # and asking again reuses the venv
    assert venvs.ensure(_spec(ledger, old), cache) == old_python


def test_unmet_requirements_get_a_whole_venv_and_uvs_resolution_error(tmp_path: Path) -> None:
    # given people-app 2.0.0 that needs ledger-app 2, offered with ledger-app 1.0.0
    cache = tmp_path / "cache"
    ledger = _wheel(tmp_path, cache, "ledger-app", "1.0.0", [])
    people = _wheel(tmp_path, cache, "people-app", "2.0.0", ["ledger-app>=2"])
    spec = _spec(ledger, people)
    # when
    with pytest.raises(ToolError) as caught:
        venvs.ensure(spec, cache)
    # then the error is uv's resolution of the whole install, and no venv is marked done
    assert "ledger-app" in str(caught.value)
    assert "uv" in str(caught.value)
    assert not (cache / "venvs" / spec.key() / ".monorel-complete").exists()


def test_a_satisfied_probe_is_silent_and_an_unmet_one_names_the_requirement(
    tmp_path: Path,
) -> None:
    # given a layered venv whose base lacks what a wheel's metadata asks for
    cache = tmp_path / "cache"
    ledger = _wheel(tmp_path, cache, "ledger-app", "1.0.0", ["iniconfig>=999"])
    target = cache / "venvs" / "by-hand"
    python = uv.create_venv(target, python=_PYTHON)
    uv.pip_install(target, ["packaging", str(ledger)], no_deps=True, offline=True)
    # when the probe runs in it
    probe = subprocess.run(
        [python, venvs._PROBE, "ledger-app"], capture_output=True, text=True, check=False
    )
    # then
    assert (probe.returncode, probe.stdout.strip()) == (
        1,
        "ledger-app requires iniconfig>=999: not installed",
    )


def test_builds_share_a_build_venv_and_make_the_isolated_builds_bytes(tmp_path: Path) -> None:
    # given two projects with the same build requirements
    cache = tmp_path / "cache"
    first = _project(tmp_path / "first", "first-app", "1.0.0", [])
    second = _project(tmp_path / "second", "second-app", "1.0.0", [])
    # when both are built for a rehearsal, and the first once more the isolated way
    shared = wheels._build(first, tmp_path / "out-1", cache, offline=True)
    wheels._build(second, tmp_path / "out-2", cache, offline=True)
    isolated = uv.build_wheel(first, tmp_path / "out-isolated", offline=True)
    # then one build venv served both, and the wheel is byte for byte the isolated one
    built_with = [p for p in (cache / "venvs").iterdir() if p.is_dir()]
    assert len(built_with) == 1
    assert (built_with[0] / ".monorel-complete").is_file()
    assert _sha256(shared) == _sha256(isolated)


def test_a_project_the_build_venv_cannot_build_is_built_isolated(tmp_path: Path) -> None:
    # given a project whose backend is not one its declared requirements install
    cache = tmp_path / "cache"
    source = _project(tmp_path / "odd", "odd-app", "1.0.0", [])
    text = (source / "pyproject.toml").read_text()
    (source / "pyproject.toml").write_text(
        text.replace('requires = ["hatchling"]', 'requires = ["iniconfig"]')
    )
    # when / then the shared build fails, the isolated one is tried and its error reported
    with pytest.raises(ToolError) as caught:
        wheels._build(source, tmp_path / "out", cache, offline=True)
    command = str(caught.value).splitlines()[0]
    assert command.startswith("`") and " build --quiet --wheel --no-sources --offline " in command
    assert "--no-build-isolation" not in command
    assert "hatchling" in str(caught.value)


def test_a_backend_with_dynamic_build_requirements_falls_back_to_an_isolated_build(
    tmp_path: Path,
) -> None:
    # given an in-tree backend that asks for hatchling only through the PEP 517 hook, which
    # a build without isolation never installs
    cache = tmp_path / "cache"
    source = _project(tmp_path / "dynamic", "dynamic-app", "1.0.0", [])
    text = (source / "pyproject.toml").read_text()
    (source / "pyproject.toml").write_text(
        text.replace('requires = ["hatchling"]', "requires = []")
        .replace('build-backend = "hatchling.build"', 'build-backend = "dynamic_backend"')
        .replace("[project]", 'backend-path = ["."]\n\n[project]')
    )
    (source / "dynamic_backend.py").write_text(
        "def get_requires_for_build_wheel(config_settings=None):\n"
        "    return ['hatchling']\n\n\n"
        "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
        "    from hatchling.build import build_wheel\n\n"
        "    return build_wheel(wheel_directory, config_settings, metadata_directory)\n"
    )
    # when
    wheel = wheels._build(source, tmp_path / "out", cache, offline=True)
    # then the isolated build made it: the shared build venv has no hatchling to build with
    assert wheel.name == "dynamic_app-1.0.0-py2.py3-none-any.whl"
    assert len([p for p in (cache / "venvs").iterdir() if p.is_dir()]) == 1
    assert list(cache.glob("venvs/*/lib/python*/site-packages/hatchling")) == []
