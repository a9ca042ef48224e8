"""monorel.exports: what ``__all__`` lists, read statically, or ``Unreadable`` with its line."""

from __future__ import annotations

import ast

import pytest
from monorel import exports


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("x = 1\n", None),
        ("__all__ = ['a', 'b']\n", {"a", "b"}),
        ("__all__: list[str]\n__all__ = ['a']\n", {"a"}),
        (
            "__all__ = ('a',)\n__all__ += ['b']\n__all__.append('c')\n__all__.extend(('d',))\n",
            {"a", "b", "c", "d"},
        ),
        ("__all__ = ['a'] + ['b']\n", {"a", "b"}),
        ("__all__ = []\ndef __dir__():\n    return __all__\n", set()),
    ],
    ids=[
        "none",
        "literal",
        "annotation-then-value",
        "changed-in-place",
        "sum",
        "read-in-a-function",
    ],
)
def test_a_statically_known_all_is_read(source: str, names: set[str] | None) -> None:
    # given a module body / when its __all__ is read
    found = exports.exports_of(ast.parse(source))
    # then it is exactly what Python would compute
    assert (None if found is None else set(found)) == names


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("__all__ = [n for n in 'ab']\n", "__all__ is computed at line 1"),
        ("__all__ = list(NAMES)\n", "__all__ is computed at line 1"),
        (
            "__all__ = ['a']\nif X:\n    __all__ = []\n",
            "__all__ is bound inside a statement at line 2",
        ),
        ("from m import __all__\n", "__all__ is bound inside a statement at line 1"),
        ("__all__ += ['a']\n", "__all__ is changed before it is assigned at line 1"),
        ("__all__ = ['a']\n__all__.insert(0, 'b')\n", "__all__ is changed at line 2"),
        ("__all__ = [1]\n", "__all__ is computed (not only string literals) at line 1"),
    ],
)
def test_an_all_only_running_the_module_would_tell_is_unreadable(source: str, message: str) -> None:
    # given / when / then: never a guess, the line named
    with pytest.raises(exports.Unreadable) as raised:
        exports.exports_of(ast.parse(source))
    assert str(raised.value) == message
