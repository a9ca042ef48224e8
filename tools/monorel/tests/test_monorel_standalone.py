"""monorel from its own wheel, in its own environment, against another team's workspace.

The wheel is built from this checkout, published to a fresh index of the session's devpi
and installed the way the README tells other teams to (``uv tool install monorel --index
...``), into a tool directory of its own: no Django there. The target workspace has its
own ``.venv`` with Django, where the makemigrations check must run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from monorel.adapters import uv
from monorel_release_support import ROOT, SharedDevpi
from monorel_workspaces import models_source, sample_members, write, write_workspace

# what a developer's shell may carry that would point the tool back at this workspace
_LEAKY = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "DJANGO_SETTINGS_MODULE", "PYTHONPATH", "UV")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY}
    return {**env, **extra}


@pytest.fixture(scope="session")
def standalone(tmp_path_factory: pytest.TempPathFactory, shared_devpi: SharedDevpi) -> Path:
    """``monorel`` installed with ``uv tool install monorel --index <devpi>``: its path."""
    tmp = tmp_path_factory.mktemp("standalone")
    dist = tmp / "dist"
    subprocess.run(
        [uv.executable(), "build", "--wheel", "--package", "monorel", "--out-dir", str(dist)],
        cwd=ROOT,
        env=_env(),
        check=True,
        capture_output=True,
    )
    index = shared_devpi.new_index("tools")
    credentials = shared_devpi.credentials()
    uv.publish(
        sorted(dist.glob("*.whl")),
        publish_url=index.url,
        check_url=index.simple_url,
        credentials=credentials.env,
    )
    tools = _env(UV_TOOL_DIR=str(tmp / "tools"), UV_TOOL_BIN_DIR=str(tmp / "bin"))
    subprocess.run(
        [uv.executable(), "tool", "install", "monorel", "--index", index.simple_url],
        env=tools,
        check=True,
        capture_output=True,
    )
    return tmp / "bin" / "monorel"


@pytest.fixture(scope="session")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample workspace with a model change that lacks its migration, and its own .venv
    with Django (``uv venv`` + ``uv pip install``)."""
    members = sample_members()
    root = write_workspace(tmp_path_factory.mktemp("target") / "ws", members)
    people = root / members[0].package_path / "models.py"
    write(people, models_source({"Person": {"name": "models.CharField(max_length=80)"}}))
    subprocess.run([uv.executable(), "venv", "-q", str(root / ".venv")], env=_env(), check=True)
    subprocess.run(
        [uv.executable(), "pip", "install", "-q", "--python", str(root / ".venv/bin/python")]
        + ["django>=5.2,<6"],
        env=_env(),
        check=True,
        capture_output=True,
    )
    return root


def _monorel(tool: Path, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tool), "--root", str(root), *args],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_tool_s_own_environment_has_no_django(standalone: Path) -> None:
    # given monorel installed as a uv tool / when its interpreter looks for Django
    python = standalone.resolve().parent / "python"
    found = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('django'))"],
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    # then there is none: whatever runs Django must run elsewhere
    assert found.stdout == "None\n"


def test_standalone_monorel_runs_django_in_the_target_workspace_s_environment(
    standalone: Path, target: Path
) -> None:
    # given the target's .venv with Django, and a model change without its migration
    # when the standalone monorel checks it
    done = _monorel(standalone, target, "check", "--skip", "fragments", "--format", "json")

    # then every rule ran, makemigrations in the target's environment, and found exactly that
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert [(f["rule"], f["path"]) for f in report["findings"]] == [
        ("MR-MAKEMIGRATIONS", "packages/people-app/src/people_app/migrations")
    ]
    assert report["findings"][0]["message"].startswith(
        "models of app 'people_app' changed without a migration under people_app_test_settings:"
    )


def test_a_workspace_without_an_environment_says_so_with_the_fix(
    standalone: Path, target: Path, tmp_path: Path
) -> None:
    # given the same workspace without its .venv
    bare = tmp_path / "ws"
    shutil.copytree(target, bare, ignore=shutil.ignore_patterns(".venv"), symlinks=True)

    # when the standalone monorel runs the makemigrations rule
    done = _monorel(standalone, bare, "check", "--rule", "makemigrations")

    # then it stops: the environment is missing, and uv sync makes it
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"error[MR080]: the workspace {bare} has no environment ")
    assert f"  fix: run `uv sync --all-packages` in {bare}" in done.stderr


def test_an_environment_without_django_says_so_with_the_fix(
    standalone: Path, target: Path, tmp_path: Path
) -> None:
    # given the workspace with an empty .venv
    bare = tmp_path / "ws"
    shutil.copytree(target, bare, ignore=shutil.ignore_patterns(".venv"), symlinks=True)
    subprocess.run([uv.executable(), "venv", "-q", str(bare / ".venv")], env=_env(), check=True)

    # when the standalone monorel runs the makemigrations rule
    done = _monorel(standalone, bare, "check", "--rule", "makemigrations")

    # then it names the environment and the fix
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"error[MR081]: the workspace environment {bare / '.venv'} has no Django, so monorel "
        "cannot run Django's checks there\n"
        f"  fix: run `uv sync --all-packages` in {bare} (Django must be a dependency of the "
        "members that need it)\n"
    )
