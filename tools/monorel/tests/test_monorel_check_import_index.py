"""The makemigrations child's top-level module index finds what ``sys.path`` would find.

The child puts a job's directories first on ``sys.path`` and, in front of the standard
finders, an index of their listings (``_TopLevelIndex``): every top-level name must
resolve to the same file, or the same namespace portions, as a search of every entry.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib.machinery import PathFinder
from pathlib import Path
from types import ModuleType

import monorel.adapters

CHILD = Path(monorel.adapters.__file__).with_name("_django_child.py")


def _child() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_monorel_django_child_under_test", CHILD)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _layout(tmp_path: Path) -> list[str]:
    """Three directories that shadow each other in every way FileFinder knows."""
    a, b, c = (tmp_path / name for name in "abc")
    for path, text in {
        a / "mod_a.py": "",
        a / "shared" / "one.py": "",  # namespace portion
        b / "shared.py": "",  # a module after a namespace portion wins
        b / "pkg" / "__init__.py": "",
        c / "pkg" / "__init__.py": "",  # shadowed by b's
        c / "mod_a" / "__init__.py": "",  # shadowed by a's module
        c / "ns" / "x.py": "",
        a / "ns" / "y.py": "",  # a namespace spread over a and c
        c / "only_c.py": "",
    }.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return [str(a), str(b), str(c)]


def test_every_top_level_name_resolves_as_a_search_of_sys_path(tmp_path: Path) -> None:
    # given the job's directories first on sys.path, and the index of them
    paths = _layout(tmp_path)
    index = _child()._TopLevelIndex(paths)
    saved = list(sys.path)
    sys.path[0:0] = paths
    try:
        for name in ("mod_a", "shared", "pkg", "ns", "only_c", "json", "not_anywhere_x"):
            # when
            found = index.find_spec(name)
            expected = PathFinder.find_spec(name, sys.path)
            # then the same file, or the same namespace portions, or nothing
            if expected is None:
                assert found is None, name
                continue
            assert found is not None, name
            assert (found.origin, list(found.submodule_search_locations or [])) == (
                expected.origin,
                list(expected.submodule_search_locations or []),
            ), name
        # and dotted names, or a sys.path that no longer starts with the job's, are left alone
        assert index.find_spec("pkg.sub") is None
        sys.path.insert(0, str(tmp_path))
        assert index.find_spec("mod_a") is None
    finally:
        sys.path[:] = saved
