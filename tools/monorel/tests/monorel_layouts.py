"""Members laid out as other teams lay them out: setuptools, flit, pdm, hatchling
``only-include``, src and flat, a setup.py the build alone can answer, no ``[project]``.

    root = layout_workspace(tmp_path / "ws", [LAYOUTS["setuptools-src"], ...])

Each ``LayoutSpec`` is a distribution ``name`` whose import package(s) sit where its
backend's configuration says (``files`` relative to the member directory). The workspace
root is a uv workspace over ``packages/*`` with ``[tool.monorel]``; git-initialised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from monorel_workspaces import commit_all, git, write

API = '"""Public API."""\n\n__all__ = ["hello"]\n\n\ndef hello() -> str:\n    return "hi"\n'


@dataclass
class LayoutSpec:
    name: str
    pyproject: str  # everything after [project] name/version/requires-python
    files: dict[str, str] = field(default_factory=dict)
    version: str = "1.0.0"
    project: bool = True  # False: no [project] table at all

    @property
    def path(self) -> str:
        return f"packages/{self.name}"


def _backend(requires: str, backend: str) -> str:
    return f'[build-system]\nrequires = ["{requires}"]\nbuild-backend = "{backend}"\n'


SETUPTOOLS = _backend("setuptools>=69", "setuptools.build_meta")
FLIT = _backend("flit_core>=3.9", "flit_core.buildapi")
FLIT_INIT = '"""Flit wants a docstring."""\n__version__ = "1.0.0"\n'
PDM = _backend("pdm-backend>=2.3", "pdm.backend")
HATCH = _backend("hatchling>=1.25", "hatchling.build")

LAYOUTS: dict[str, LayoutSpec] = {
    # setuptools, src layout, found with packages.find
    "setuptools-src": LayoutSpec(
        "st-src",
        SETUPTOOLS + '\n[tool.setuptools.packages.find]\nwhere = ["src"]\n',
        {"src/st_src/__init__.py": "", "src/st_src/api.py": API, "src/st_src/core.py": ""},
    ),
    # setuptools, flat layout, an import name unlike the dist name, package-dir
    "setuptools-flat": LayoutSpec(
        "st-flat",
        SETUPTOOLS + '\n[tool.setuptools]\npackages = ["legacy_core", "legacy_core.sub"]\n'
        '\n[tool.setuptools.package-dir]\nlegacy_core = "lib/legacy_core"\n',
        {"lib/legacy_core/__init__.py": "", "lib/legacy_core/api.py": API},
    ),
    # setuptools, two top-level packages and a module (py-modules)
    "setuptools-many": LayoutSpec(
        "st-many",
        SETUPTOOLS
        + '\n[tool.setuptools]\npackages = ["many_one", "many_two"]\npy-modules = ["many_cli"]\n',
        {
            "many_one/__init__.py": "",
            "many_one/api.py": API,
            "many_two/__init__.py": "",
            "many_two/api.py": API,
            "many_cli.py": "",
        },
    ),
    "flit-flat": LayoutSpec(
        "flit-flat",
        FLIT + '\n[tool.flit.module]\nname = "flitty"\n',
        {
            "flitty/__init__.py": FLIT_INIT,
            "flitty/api.py": API,
        },
    ),
    "flit-src": LayoutSpec(
        "flit-src",
        FLIT,
        {
            "src/flit_src/__init__.py": FLIT_INIT,
            "src/flit_src/api.py": API,
        },
    ),
    "pdm-src": LayoutSpec(
        "pdm-src",
        PDM,
        {"src/pdm_src/__init__.py": "", "src/pdm_src/api.py": API},
    ),
    "pdm-flat": LayoutSpec(
        "pdm-flat",
        PDM + '\n[tool.pdm.build]\nincludes = ["pdm_pkg"]\n',
        {"pdm_pkg/__init__.py": "", "pdm_pkg/api.py": API},
    ),
    "hatch-only-include": LayoutSpec(
        "hatch-oi",
        HATCH
        + '\n[tool.hatch.build.targets.wheel]\nonly-include = ["code/hatch_oi"]\n'
        + 'sources = ["code"]\n',
        {"code/hatch_oi/__init__.py": "", "code/hatch_oi/api.py": API},
    ),
    # packages named only in setup.py: the built wheel tells
    "setup-py": LayoutSpec(
        "st-setup-py",
        SETUPTOOLS,
        {
            "setup.py": 'from setuptools import setup\n\nsetup(packages=["oddly_named"])\n',
            "oddly_named/__init__.py": "",
            "oddly_named/api.py": API,
        },
    ),
}


def layout_workspace(
    root: Path, specs: Sequence[LayoutSpec], *, monorel_config: str = 'org = "acme"\n'
) -> Path:
    write(
        root / "pyproject.toml",
        '[project]\nname = "layouts"\nversion = "0.0.0"\nrequires-python = ">=3.11"\n\n'
        '[tool.uv]\npackage = false\n\n[tool.uv.workspace]\nmembers = ["packages/*"]\n\n'
        "[tool.monorel]\n" + monorel_config,
    )
    write(root / ".gitignore", "__pycache__/\n*.pyc\n.monorel/\n")
    for spec in specs:
        add_member(root, spec)
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "initial")
    return root


def add_member(root: Path, spec: LayoutSpec) -> None:
    member = root / spec.path
    head = (
        f'[project]\nname = "{spec.name}"\nversion = "{spec.version}"\n'
        'requires-python = ">=3.11"\ndependencies = []\n\n'
        if spec.project
        else ""
    )
    write(member / "pyproject.toml", head + spec.pyproject)
    for rel, text in spec.files.items():
        write(member / rel, text)
