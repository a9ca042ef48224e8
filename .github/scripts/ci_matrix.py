"""Matrices for the GitHub workflows, read from the monorel workspace model.

    uv run python .github/scripts/ci_matrix.py tests [--only NAME ...]
        {"include": [{"package": "accounts-app", "path": "packages/accounts-app",
                      "django": "5.2", "python": "3.11"}, ...]}: every library package x
        every Django version it claims ("Framework :: Django :: X.Y" classifiers) x every
        Python version it claims ("Programming Language :: Python :: 3.X"), for ci.yml;
        with --only, just those of the named packages (`monorel affected`), possibly none.
    uv run python .github/scripts/ci_matrix.py released
        one released library name per line, in dependency order, for upgrade.yml (a
        released tool such as monorel has no migrations to rehearse).

The classifiers are the claim a package makes on PyPI, so CI tests exactly that claim;
a claimed version that the package's own Django requirement (or requires-python) excludes
is refused (exit 1) rather than tested, since a consumer could never install it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from monorel import workspace
from monorel.errors import MonorelError
from monorel.wheel_checks import DJANGO_CLASSIFIER, PYTHON_CLASSIFIER, claimed_versions
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

_CLASSIFIER_PREFIX = DJANGO_CLASSIFIER


class MatrixError(Exception):
    """A package's Django claim cannot be turned into matrix entries."""


def django_versions(member: workspace.Member) -> list[str]:
    """The Django feature releases ("5.2") a member claims, checked against its requirement."""
    project = member.data.get("project", {})
    versions, _ = claimed_versions(project.get("classifiers", []), _CLASSIFIER_PREFIX)
    claimed = [str(v) for v in versions]
    if not claimed:
        raise MatrixError(
            f"{member.name}: no '{_CLASSIFIER_PREFIX}X.Y' classifier; "
            "declare the Django versions the package supports"
        )
    requirement = next(
        (r for r in member.requirements if canonicalize_name(r.name) == "django"), None
    )
    if requirement is None:
        raise MatrixError(
            f"{member.name}: claims Django {', '.join(claimed)} but does not require it"
        )
    excluded = [v for v in claimed if not requirement.specifier.contains(v, prereleases=True)]
    if excluded:
        raise MatrixError(
            f"{member.name}: claims Django {', '.join(excluded)} but requires {requirement}; "
            "fix the classifiers or the requirement"
        )
    return claimed


def python_versions(member: workspace.Member) -> list[str]:
    """The Python feature releases ("3.12") a member claims, checked against requires-python."""
    project = member.data.get("project", {})
    versions, _ = claimed_versions(project.get("classifiers", []), PYTHON_CLASSIFIER)
    if not versions:
        raise MatrixError(
            f"{member.name}: no '{PYTHON_CLASSIFIER}3.X' classifier; "
            "declare the Python versions the package supports"
        )
    requires = SpecifierSet(project.get("requires-python", ""))
    excluded = [str(v) for v in versions if not requires.contains(v)]
    if excluded:
        raise MatrixError(
            f"{member.name}: claims Python {', '.join(excluded)} but requires-python is "
            f"{requires}; fix the classifiers or requires-python"
        )
    return [str(v) for v in versions]


def package_test_matrix(
    ws: workspace.Workspace, only: list[str] | None = None
) -> dict[str, list[dict[str, str]]]:
    wanted = None if only is None else {canonicalize_name(n) for n in only}
    include = [
        {"package": m.name, "path": m.relpath(ws.root), "django": django, "python": python}
        for m in ws.topological_order()
        if m.role == "library" and (wanted is None or m.name in wanted)
        for django in django_versions(m)
        for python in python_versions(m)
    ]
    if not include and wanted is None:
        # GitHub refuses an empty matrix with an obscure message; say what is wrong instead
        raise MatrixError(
            "no library packages in the workspace (a library has an apps.py, "
            'or role = "library" in [tool.monorel.packages.<name>])'
        )
    return {"include": include}


def released_packages(ws: workspace.Workspace) -> list[str]:
    return [m.name for m in ws.topological_order() if m.released and m.role == "library"]


def main(argv: list[str]) -> int:
    only = argv[2:] if argv[:2] == ["tests", "--only"] else None
    if not (argv in (["tests"], ["released"]) or only is not None):
        print("usage: ci_matrix.py tests [--only NAME ...] | released", file=sys.stderr)
        return 2
    try:
        ws = workspace.load(Path.cwd())
        if argv[0] == "tests":
            print(json.dumps(package_test_matrix(ws, only), separators=(",", ":")))
        else:
            print("\n".join(released_packages(ws)))
    except MonorelError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except MatrixError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
