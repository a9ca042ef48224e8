"""Are the requirements of the named distributions met? Runs INSIDE a rehearsal venv.

    python _requires_probe.py billing-app accounts-app

Prints each unmet requirement and exits 1 if there is one. Only the standard library and
``packaging`` (which pytest brings into every rehearsal venv) are used; without
``packaging`` nothing can be proven, so that is an unmet requirement too.
"""

from __future__ import annotations

import sys
from importlib import metadata


def unmet(names: list[str]) -> list[str]:
    try:
        from packaging.requirements import Requirement
    except ImportError:
        return ["packaging is not importable"]
    problems = []
    for name in names:
        for raw in metadata.distribution(name).requires or []:
            requirement = Requirement(raw)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            try:
                found = metadata.version(requirement.name)
            except metadata.PackageNotFoundError:
                problems.append(f"{name} requires {raw}: not installed")
                continue
            if not requirement.specifier.contains(found, prereleases=True):
                problems.append(f"{name} requires {raw}: {found} is installed")
    return problems


if __name__ == "__main__":
    found = unmet(sys.argv[1:])
    print("\n".join(found))
    sys.exit(1 if found else 0)
