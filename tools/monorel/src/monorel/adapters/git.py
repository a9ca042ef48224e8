"""git: the only module that runs git."""

from __future__ import annotations

import codecs
import tarfile
from collections.abc import Sequence
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


def is_shallow(root: Path) -> bool:
    """Whether the repository is a shallow clone (``git clone --depth N``)."""
    return _git(root, "rev-parse", "--is-shallow-repository").strip() == "true"


def shallow_boundary(root: Path) -> frozenset[str]:
    """The commits where a shallow clone's history is cut (their parents are missing).

    git lists them in ``$GIT_DIR/shallow``; empty for a complete repository.
    """
    if not is_shallow(root):
        return frozenset()
    path = Path(_git(root, "rev-parse", "--git-path", "shallow").strip())
    if not path.is_absolute():
        path = root / path
    try:
        return frozenset(line.strip() for line in path.read_text().splitlines() if line.strip())
    except OSError:
        return frozenset()


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


def commits_between(root: Path, start: str, end: str, path: str) -> list[str]:
    """Commits after ``start`` up to and excluding ``end`` that touched ``path``, oldest first."""
    out = _git(root, "rev-list", "--reverse", f"{start}..{end}", "--", path)
    return [c for c in out.splitlines() if c]


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


def tag_commits(root: Path) -> dict[str, str | None]:
    """Every tag (by name, in refname order) -> the commit it points at, from one process.

    None where one peel does not reach a commit (a tag of a tag, of a tree or a blob):
    ask ``tag_commit`` for those.
    """
    out = _git(
        root,
        "for-each-ref",
        "--format=%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)",
        "refs/tags",
    )
    found: dict[str, str | None] = {}
    for line in out.splitlines():
        if not line:
            continue
        name, kind, obj, peeled_kind, peeled = line.split("\0")
        if kind == "commit":
            found[name] = obj  # a lightweight tag
        else:
            found[name] = peeled if peeled_kind == "commit" else None
    return found


def show_prefix(root: Path) -> str:
    """Where ``root`` lies inside its repository: "" at the top, else "sub/dir/"."""
    return _git(root, "rev-parse", "--show-prefix").strip()


def untracked_files(root: Path) -> list[str]:
    """Untracked, not ignored files below ``root``, relative to it (as ``ls-files`` prints)."""
    return [p for p in _git(root, "ls-files", "--others", "--exclude-standard").splitlines() if p]


def diff_status(root: Path, since: str) -> list[tuple[str, str]]:
    """(status letter, path as git prints it) of every file changed since ``since``.

    Without rename detection, so each path stands for itself whatever else changed.
    """
    out = _git(root, "diff", "--no-renames", "--name-status", since)
    rows: list[tuple[str, str]] = []
    for line in out.splitlines():
        if line:
            status, _, path = line.partition("\t")
            rows.append((status[:1], path))
    return rows


class ChangedFiles:
    """``changed_files(root, since, [path])`` for many paths and few ``since`` commits.

    Reads one ``diff`` per distinct ``since`` and the untracked files once, then filters
    by path in Python. Where a path holds both a deleted and an added file, git could
    report them as one rename; that path is asked of git itself, so results stay equal.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._prefix: str | None = None
        self._untracked: list[str] | None = None
        self._diffs: dict[str, list[tuple[str, str, str]]] = {}

    def changed_files(self, since: str, path: str) -> list[str]:
        committed = self._under(self._diff(since), self._prefix_of_root(), path)
        if {"A", "D"} <= {status for status, _ in committed}:
            return changed_files(self.root, since, [path])  # a rename would show one name
        untracked = [p for _, p in self._under(self._untracked_rows(), "", path)]
        return sorted({p for _, p in committed} | set(untracked))

    def _prefix_of_root(self) -> str:
        if self._prefix is None:
            self._prefix = show_prefix(self.root)
        return self._prefix

    def _untracked_rows(self) -> list[tuple[str, str, str]]:
        if self._untracked is None:
            self._untracked = untracked_files(self.root)
        return [("?", p, _unquoted(p)) for p in self._untracked]

    def _diff(self, since: str) -> list[tuple[str, str, str]]:
        if since not in self._diffs:
            self._diffs[since] = [(s, p, _unquoted(p)) for s, p in diff_status(self.root, since)]
        return self._diffs[since]

    @staticmethod
    def _under(rows: list[tuple[str, str, str]], prefix: str, path: str) -> list[tuple[str, str]]:
        # the pathspec ``path`` names ``path`` itself and everything below it; "." all of root
        top = prefix.rstrip("/") if path in ("", ".") else prefix + path.rstrip("/")
        if not top:
            return [(s, p) for s, p, _ in rows]
        return [(s, p) for s, p, plain in rows if plain == top or plain.startswith(top + "/")]


def _unquoted(path: str) -> str:
    """The path git printed C-quoted (non-ASCII, control characters), as plain text."""
    if not (len(path) >= 2 and path.startswith('"') and path.endswith('"')):
        return path
    raw = codecs.escape_decode(path[1:-1].encode("utf-8"))[0]
    return raw.decode("utf-8", "surrogateescape")


def last_commit(root: Path, paths: list[str]) -> str | None:
    """The newest commit that touched any of ``paths`` (None: none did, e.g. untracked)."""
    out = _git(root, "log", "-1", "--format=%H", "--", *paths).strip()
    return out or None


def is_ancestor(root: Path, ancestor: str, descendant: str) -> bool:
    """Whether ``ancestor`` is ``descendant`` or one of its ancestors."""
    try:
        _git(root, "merge-base", "--is-ancestor", ancestor, descendant)
    except Exception:  # noqa: BLE001 - exit 1 means "no"; a bad ref also means "no"
        return False
    return True


def changed_since(root: Path, since: str) -> list[str]:
    """Files changed between ``since`` and the working tree, untracked ones included,
    relative to ``root`` (which may lie below the repository's top)."""
    committed = _git(root, "diff", "--name-only", "--relative", since).splitlines()
    return sorted({p for p in committed + untracked_files(root) if p})


def commit_count(root: Path, since: str | None = None) -> int:
    """Commits reachable from HEAD (and not from ``since``, when given)."""
    spec = f"{since}..HEAD" if since else "HEAD"
    return int(_git(root, "rev-list", "--count", spec).strip())


# -- the release transaction: objects first, then every ref in one step --------------------

ZERO_OID = "0" * 40


def top_level(root: Path) -> Path:
    """The top of the working tree ``root`` lies in."""
    return Path(_git(root, "rev-parse", "--show-toplevel").strip())


def common_dir(root: Path) -> Path:
    """The repository's git dir shared by all its worktrees (``.git`` of the main one)."""
    out = _git(root, "rev-parse", "--path-format=absolute", "--git-common-dir").strip()
    return Path(out)


def git_path(root: Path, name: str) -> Path:
    """Where git keeps ``name`` for the worktree of ``root`` (``index.lock``, ...)."""
    return Path(_git(root, "rev-parse", "--path-format=absolute", "--git-path", name).strip())


def current_branch(root: Path) -> str | None:
    """``refs/heads/<name>`` that HEAD is on, None on a detached HEAD."""
    try:
        return _git(root, "symbolic-ref", "-q", "HEAD").strip() or None
    except Exception:  # noqa: BLE001 - exit 1: HEAD is detached
        return None


def ref_value(root: Path, ref: str) -> str | None:
    """The object ``ref`` names (a tag object for an annotated tag), None where it is absent."""
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", ref).strip() or None
    except Exception:  # noqa: BLE001 - exit 1: no such ref
        return None


def worktree_add(root: Path, path: Path, commit: str) -> None:
    """A linked worktree at ``path`` with ``commit`` checked out on a detached HEAD."""
    _git(root, "worktree", "add", "--quiet", "--detach", str(path), commit)


def worktree_remove(root: Path, path: Path) -> None:
    """Remove the linked worktree at ``path`` (its files and its registration)."""
    if path.is_dir():
        _git(root, "worktree", "remove", "--force", "--force", str(path))
    _git(root, "worktree", "prune")


def worktrees(root: Path) -> list[Path]:
    """Every worktree of the repository, the main one first."""
    out = _git(root, "worktree", "list", "--porcelain")
    return [
        Path(line[len("worktree ") :]) for line in out.splitlines() if line.startswith("worktree ")
    ]


def committer_ident(root: Path) -> str:
    """``Name <email> <epoch> <tz>``, as git would record the committer or tagger now."""
    return _git(root, "var", "GIT_COMMITTER_IDENT").strip()


def make_tag_object(root: Path, name: str, commit: str, message: str) -> str:
    """Write an annotated tag object for ``commit`` (no ref yet); return its id."""
    text = f"object {commit}\ntype commit\ntag {name}\ntagger {committer_ident(root)}\n\n{message}"
    return run(["git", "mktag"], cwd=root, input_text=text).strip()


def update_refs(root: Path, updates: Sequence[tuple[str, str, str | None]]) -> None:
    """Move every ``(ref, new, old)`` in one ``git update-ref --stdin`` transaction: all or
    none. ``old`` None creates the ref (it must not exist); ``old`` a sha must match."""
    lines = ["start"]
    for ref, new, old in updates:
        lines.append(f"create {ref} {new}" if old is None else f"update {ref} {new} {old}")
    lines += ["prepare", "commit"]
    run(["git", "update-ref", "--stdin"], cwd=root, input_text="\n".join(lines) + "\n")


def fast_forward_tree(root: Path, old: str, new: str) -> None:
    """Bring the index and working tree of ``root`` from ``old`` (which they hold) to ``new``
    (HEAD already names it): git's two-tree read, which refuses to overwrite local changes."""
    _git(root, "read-tree", "-m", "-u", old, new)


def reset_tree(root: Path, commit: str) -> None:
    """Index and tracked files of ``root`` as they are at ``commit``; HEAD stays."""
    _git(root, "read-tree", "--reset", "-u", commit)


def changed_between(root: Path, old: str, new: str) -> list[str]:
    """Paths (repository-relative) that differ between two commits."""
    return [
        p for p in _git(root, "diff", "--no-renames", "--name-only", old, new).splitlines() if p
    ]


def blob_id(root: Path, commit: str, path: str) -> str | None:
    """The blob id of ``path`` at ``commit``; None where it did not exist."""
    return tree_id(root, commit, path)


def hash_file(root: Path, path: Path) -> str:
    """The blob id git would give ``path``'s content (without writing it)."""
    return _git(root, "hash-object", "--", str(path)).strip()


def recorded_parents(root: Path, commit: str) -> list[str]:
    """The parents the commit object names, whether or not this clone has them."""
    text = _git(root, "cat-file", "commit", commit)
    head = text.split("\n\n", 1)[0]
    return [line.split()[1] for line in head.splitlines() if line.startswith("parent ")]


def first_parent(root: Path, commit: str) -> str | None:
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", f"{commit}^1").strip() or None
    except Exception:  # noqa: BLE001 - a root commit has no parent
        return None


def tags_not_merged(root: Path, ref: str, *patterns: str) -> list[str]:
    """Tags matching any of ``patterns`` whose commit is not reachable from ``ref``."""
    out = _git(root, "tag", "--list", "--no-merged", ref, *patterns)
    return [t for t in out.splitlines() if t]


def branches_containing(root: Path, commit: str) -> list[str]:
    """Local and remote-tracking branches that contain ``commit``."""
    out = _git(
        root,
        "for-each-ref",
        "--contains",
        commit,
        "--format=%(refname)",
        "refs/heads",
        "refs/remotes",
    )
    return [b for b in out.splitlines() if b]
