"""What a module's ``__all__`` lists, read statically, or why it cannot be read.

``__all__`` decides which names of a public module are its API. griffe evaluates it
only in simple cases and falls back to "every non-underscore name" otherwise: an
emptied ``__all__ = []`` or one built by a comprehension then reads as "nothing was
unexported", a false all-clear for the semver verdict. Here ``__all__`` is evaluated
from the module's top-level statements, in order: assignments (plain or annotated) of
list/tuple/set literals of strings and their concatenations, ``+=`` of such a literal,
and ``__all__.append("x")`` / ``__all__.extend([...])``. Anything else that binds or
changes ``__all__`` (a name, a call, a comprehension, a conditional) is ``Unreadable``
with its line: the caller refuses instead of guessing.
"""

from __future__ import annotations

import ast
from pathlib import Path

from monorel import sources

__all__ = ["ALL_NAME", "Unreadable", "exports_of", "static_exports"]

ALL_NAME = "__all__"
_NAME = ALL_NAME


class Unreadable(ValueError):
    """``__all__`` is bound or changed in a way that cannot be evaluated statically."""

    def __init__(self, line: int, what: str) -> None:
        super().__init__(f"{what} at line {line}")  # "__all__ is computed at line 3"
        self.line = line


def static_exports(path: Path) -> frozenset[str] | None:
    """``exports_of`` the module at ``path``; ``SyntaxError`` when it does not parse."""
    return exports_of(sources.parse(path))


def exports_of(tree: ast.Module) -> frozenset[str] | None:
    """The names ``__all__`` of a parsed module lists; None when it has none.

    Raises ``Unreadable`` (with the line) when a statement binds or changes ``__all__``
    in a way this reader does not evaluate.
    """
    names: list[str] | None = None
    for node in tree.body:
        if _binds_all(node):
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            names = _literal(value, node)
        elif isinstance(node, ast.AugAssign) and _is_all(node.target):
            if names is None or not isinstance(node.op, ast.Add):
                raise Unreadable(node.lineno, "__all__ is changed before it is assigned")
            names = names + _literal(node.value, node)
        elif _mutates_all(node):
            assert isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            call = node.value
            if names is None or len(call.args) != 1 or call.keywords:
                raise Unreadable(node.lineno, "__all__ is changed")
            method = call.func.attr  # type: ignore[attr-defined]  # _mutates_all checked it
            if method == "append":
                names = names + _strings([call.args[0]], node)
            elif method == "extend":
                names = names + _literal(call.args[0], node)
            else:
                raise Unreadable(node.lineno, f"__all__ is changed by .{method}()")
        elif _touches_all(node):
            raise Unreadable(getattr(node, "lineno", 0), "__all__ is bound inside a statement")
    return None if names is None else frozenset(names)


def _is_all(target: ast.expr) -> bool:
    return isinstance(target, ast.Name) and target.id == _NAME


def _binds_all(node: ast.stmt) -> bool:
    if isinstance(node, ast.Assign):
        return any(_is_all(t) for t in node.targets)
    # an annotation alone (``__all__: list[str]``) binds nothing
    return isinstance(node, ast.AnnAssign) and node.value is not None and _is_all(node.target)


def _mutates_all(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and _is_all(node.value.func.value)
    )


def _touches_all(node: ast.stmt) -> bool:
    """Whether a statement not read above binds ``__all__`` or calls one of its methods
    (in an ``if``, ``try``, ``for``, ``with``, a ``del``, ...). Function and class bodies
    bind their own names, and reading ``__all__`` changes nothing."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return False
    if isinstance(node, ast.AnnAssign) and node.value is None:
        return False  # an annotation alone binds nothing
    if isinstance(node, ast.Import | ast.ImportFrom):
        return any((alias.asname or alias.name) == _NAME for alias in node.names)
    for child in ast.walk(node):
        if (
            isinstance(child, ast.Name)
            and child.id == _NAME
            and isinstance(child.ctx, ast.Store | ast.Del)
        ):
            return True
        if (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Attribute)
            and _is_all(child.func.value)
        ):
            return True
    return False


def _literal(value: ast.expr | None, node: ast.stmt) -> list[str]:
    if isinstance(value, ast.List | ast.Tuple | ast.Set):
        return _strings(value.elts, node)
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        return _literal(value.left, node) + _literal(value.right, node)
    raise Unreadable(node.lineno, "__all__ is computed")


def _strings(elements: list[ast.expr], node: ast.stmt) -> list[str]:
    names = []
    for element in elements:
        if not (isinstance(element, ast.Constant) and isinstance(element.value, str)):
            raise Unreadable(node.lineno, "__all__ is computed (not only string literals)")
        names.append(element.value)
    return names
