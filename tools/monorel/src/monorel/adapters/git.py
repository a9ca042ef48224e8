"""git: the only module that runs git."""

from __future__ import annotations

import tarfile
from pathlib import Path

from monorel.adapters._process import run


def _git(root: Path, *args: str) -> str:
    return run(["git", *args], cwd=root)


def is_repository(root: Path) -> bool:
    try:
        _git(root, "rev-parse", "--git-dir")
    except Exception:  # noqa: BLE001 - any failure means "not a repository"
        return False
    return True


def head(root: Path) -> str:
    return _git(root, "rev-parse", "HEAD").strip()


def resolve(root: Path, ref: str) -> str:
    return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()


def ref_exists(root: Path, ref: str) -> bool:
    try:
        resolve(root, ref)
    except Exception:  # noqa: BLE001
        return False
    return True


def dirty_paths(root: Path) -> list[str]:
    """Paths with uncommitted changes, untracked files included."""
    out = _git(root, "status", "--porcelain", "--untracked-files=all")
    return [line[3:] for line in out.splitlines() if line.strip()]


def tags(root: Path, pattern: str) -> list[str]:
    out = _git(root, "tag", "--list", pattern)
    return [t for t in out.splitlines() if t]


def tag_commit(root: Path, tag: str) -> str:
    return _git(root, "rev-list", "-n", "1", tag).strip()


def changed_files(root: Path, since: str, paths: list[str] | None = None) -> list[str]:
    """Files changed between ``since`` and the working tree (committed or not)."""
    args = ["diff", "--name-only", since]
    if paths:
        args += ["--", *paths]
    committed = _git(root, *args).splitlines()
    untracked = _git(
        root, "ls-files", "--others", "--exclude-standard", *(["--", *paths] if paths else [])
    ).splitlines()
    return sorted({p for p in committed + untracked if p})


def merge_base(root: Path, a: str, b: str = "HEAD") -> str:
    return _git(root, "merge-base", a, b).strip()


def commits_touching(root: Path, path: str) -> list[str]:
    """Commits that touched ``path``, newest first."""
    return [c for c in _git(root, "log", "--format=%H", "--", path).splitlines() if c]


def parent(root: Path, commit: str) -> str | None:
    out = _git(root, "rev-list", "--parents", "-n", "1", commit).split()
    return out[1] if len(out) > 1 else None


def show(root: Path, commit: str, path: str) -> str | None:
    """The content of ``path`` at ``commit``, or None where it did not exist."""
    try:
        return _git(root, "show", f"{commit}:{path}")
    except Exception:  # noqa: BLE001
        return None


def list_tree(root: Path, commit: str, path: str) -> list[str]:
    out = _git(root, "ls-tree", "-r", "--name-only", commit, "--", path)
    return [p for p in out.splitlines() if p]


def add(root: Path, paths: list[str]) -> None:
    _git(root, "add", "--", *paths)


def commit(root: Path, message: str) -> str:
    _git(root, "commit", "-q", "-m", message)
    return head(root)


def annotated_tag(root: Path, name: str, message: str) -> None:
    _git(root, "tag", "-a", name, "-m", message)


def reset_hard(root: Path, commit: str) -> None:
    _git(root, "reset", "-q", "--hard", commit)


def delete_tag(root: Path, name: str) -> None:
    _git(root, "tag", "-d", name)


def tree_id(root: Path, commit: str, path: str) -> str | None:
    """The object id of ``path`` (a directory) at ``commit``: equal ids mean equal content."""
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", f"{commit}:{path}").strip() or None
    except Exception:  # noqa: BLE001 - the path did not exist at that commit
        return None


def export_tree(root: Path, commit: str, path: str, dest: Path) -> Path:
    """Write ``path`` as it was at ``commit`` below ``dest`` (via ``git archive``); return it.

    Unlike a worktree this leaves nothing registered in the repository.
    """
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / ".export.tar"
    _git(root, "archive", "--format=tar", "-o", str(archive), commit, "--", path)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    archive.unlink()
    return dest / path


def tags_at(root: Path, ref: str, pattern: str) -> list[str]:
    """Tags matching ``pattern`` that point at ``ref``."""
    out = _git(root, "tag", "--list", "--points-at", ref, pattern)
    return [t for t in out.splitlines() if t]


def add_all(root: Path, paths: list[str]) -> None:
    """Stage additions, changes and deletions below ``paths``."""
    _git(root, "add", "--all", "--", *paths)


def empty_tree(root: Path) -> str:
    """The id of the empty tree: ``diff`` against it lists every file."""
    return run(["git", "hash-object", "-t", "tree", "/dev/null"], cwd=root).strip()
