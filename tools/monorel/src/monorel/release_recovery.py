"""What an interrupted release left behind, and finishing it.

Asked before every ``monorel version`` and ``monorel tag`` (under the release lock), so
that a rerun after a crash never says "nothing to release" over a half-made release:

- the journal of a release that was being published (``release_commit``): where none of
  its refs moved, nothing happened and it is dropped; where some or all moved, the rest of
  the transaction and the working tree are finished - unless the refs moved elsewhere
  since, git's lock files are left, or the working tree holds changes that are neither
  the old nor the new content, which are named with their fix instead;
- HEAD releasing members (``tagging.released_at``) without all of their tags: finished by
  making the missing tags at HEAD (what ``monorel tag`` does);
- release tags for versions ahead of the branch on commits no branch contains (tags on an
  orphaned commit): named, never guessed at;
- staging worktrees of a killed run: removed (nothing of them was published).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from monorel import release_commit, tagging
from monorel.adapters import git
from monorel.errors import PartialRelease
from monorel.release_commit import Journal
from monorel.workspace import Workspace


@dataclass(frozen=True)
class Leftover:
    """One thing an interrupted release left. ``finish`` None: only a person can fix it."""

    what: str
    fix: str
    finish: Callable[[], list[str]] | None  # does it; returns what it did, line by line
    published: bool  # some of it already reached the refs (finishing it ends the run)

    def refuse(self) -> PartialRelease:
        return PartialRelease(self.what, fix=self.fix)


def find(ws: Workspace) -> Leftover | None:
    """The first thing an interrupted release left, or None when there is nothing."""
    return find_journal(ws) or _untagged_head(ws) or _orphaned_tags(ws)


def find_journal(ws: Workspace) -> Leftover | None:
    """What the journal of a release that was being published says is left, if any."""
    common = git.common_dir(ws.root)
    try:
        journal = release_commit.load_journal(common)
    except (ValueError, TypeError) as exc:
        path = release_commit.journal_path(common)
        return Leftover(
            f"the journal of an interrupted release cannot be read: {exc}",
            fix=f"look at {path}; if its release is whole (git log, git tag) remove the file",
            finish=None,
            published=False,
        )
    return _from_journal(ws, common, journal) if journal is not None else None


def remove_stagings(ws: Workspace) -> list[str]:
    """Remove staging worktrees killed runs left; say which."""
    done = []
    for path in release_commit.leftover_stagings(ws.root):
        git.worktree_remove(ws.root, path)
        done.append(f"removed the staging worktree {path} of an interrupted release")
    return done


# -- a journal ----------------------------------------------------------------------------


def _from_journal(ws: Workspace, common: Path, journal: Journal) -> Leftover:
    states = {ref: _state(ws.root, ref, new, old) for ref, new, old in journal.updates()}
    label = _label(journal)
    path = release_commit.journal_path(common)
    moved = [ref for ref, state in states.items() if state == "moved"]
    if moved:
        return Leftover(
            f"the interrupted release {label} cannot be finished: "
            + ", ".join(
                f"{ref} has moved to {git.ref_value(ws.root, ref) or 'nowhere'}" for ref in moved
            )
            + " since",
            fix=f"decide by hand: to finish it, point {journal.ref} at {journal.new[:12]} and "
            f"create its tags; to drop it, delete those of its tags that exist "
            f"(git tag -d {' '.join(journal.tag_names)}); then remove {path}",
            finish=None,
            published=True,
        )
    pending = [ref for ref, state in states.items() if state == "pending"]
    # git also locks HEAD (the symbolic ref to the branch) and packed-refs in a transaction
    candidates = [common / f"{ref}.lock" for ref in pending] + [common / "packed-refs.lock"]
    if journal.worktree and Path(journal.worktree).is_dir():
        candidates.append(git.git_path(Path(journal.worktree), "HEAD.lock"))
    locks = [p for p in candidates if p.exists()]
    if locks:
        return Leftover(
            f"the interrupted release {label} left git's lock files: "
            + ", ".join(str(p) for p in locks),
            fix="when no git command is running, remove them (rm "
            + " ".join(str(p) for p in locks)
            + "), then run the command again",
            finish=None,
            published=len(pending) < len(states),
        )
    if len(pending) == len(states):

        def drop() -> list[str]:
            release_commit.remove_journal(common)
            return [f"nothing of the interrupted release {label} was published: dropped it"]

        return Leftover(
            f"an interrupted release {label} published nothing",
            fix="run `monorel version --yes`: it drops the journal and releases afresh",
            finish=drop,
            published=False,
        )
    problem = _tree_problem(ws, journal) if journal.worktree else None
    if problem is not None:
        what, fix = problem
        return Leftover(
            f"the interrupted release {label} is in the refs, but {what}",
            fix=fix,
            finish=None,
            published=True,
        )

    def finish() -> list[str]:
        done = []
        rest = [(ref, new, old) for ref, new, old in journal.updates() if states[ref] == "pending"]
        if rest:
            with release_commit.held_signals():
                git.update_refs(ws.root, rest)
            done.append("created " + ", ".join(ref.removeprefix("refs/") for ref, _, _ in rest))
        if journal.worktree:
            with release_commit.held_signals():
                git.reset_tree(Path(journal.worktree), journal.new)
            done.append(f"brought the working tree to the release commit {journal.new[:12]}")
        release_commit.remove_journal(common)
        return [f"finished the interrupted release {label}:", *(f"  {d}" for d in done)]

    return Leftover(
        f"an interrupted release {label} is not finished",
        fix="run `monorel version --yes` (or `monorel tag`) to finish it",
        finish=finish,
        published=True,
    )


def _state(root: Path, ref: str, new: str, old: str | None) -> str:
    value = git.ref_value(root, ref)
    if value == new:
        return "done"
    if value == old:  # None == None: a tag not made yet
        return "pending"
    return "moved"


def _tree_problem(ws: Workspace, journal: Journal) -> tuple[str, str] | None:
    """Why the working tree cannot simply be brought to the release, or None."""
    top = Path(journal.worktree or "")
    if not top.is_dir() or git.top_level(ws.root) != top.resolve():
        return (
            f"its working tree {top} is not this one",
            f"run the command again in {top}",
        )
    index_lock = git.git_path(top, "index.lock")
    if index_lock.exists():
        return (
            f"git's {index_lock} is left over",
            f"when no git command is running, remove it (rm {index_lock}), then run again",
        )
    release_paths = set(git.changed_between(top, journal.base, journal.new))
    state = (
        ws.state_dir.relative_to(top).as_posix() + "/" if ws.state_dir.is_relative_to(top) else None
    )
    foreign = []
    for path in git.dirty_paths(top):
        path = path.split(" -> ")[-1]
        if state and path.startswith(state):
            continue
        if path not in release_paths or not _old_or_new(top, journal, path):
            foreign.append(path)
    if foreign:
        shown = ", ".join(sorted(foreign)[:10])
        return (
            f"the working tree holds other changes: {shown}",
            "commit or stash them (they are neither the release's nor what it replaced), "
            "then run again to finish",
        )
    return None


def _old_or_new(top: Path, journal: Journal, path: str) -> bool:
    """Whether the file holds the content it had before the release or after it."""
    file = top / path
    content = git.hash_file(top, file) if file.is_file() else None
    return content in (git.blob_id(top, journal.base, path), git.blob_id(top, journal.new, path))


def _label(journal: Journal) -> str:
    tags = ", ".join(journal.tag_names) or f"on {journal.ref.removeprefix('refs/heads/')}"
    return f"{journal.new[:12]} ({tags})"


# -- no journal ---------------------------------------------------------------------------


def _untagged_head(ws: Workspace) -> Leftover | None:
    head = git.head(ws.root)
    tags = tagging.released_at(ws, head)
    missing = [t for t in tags if t.points_at is None]
    elsewhere = [t for t in tags if t.points_at is not None and t.points_at != head]
    if elsewhere:
        return Leftover(
            f"HEAD ({head[:12]}) releases "
            + ", ".join(f"{t.member} {t.version}" for t in elsewhere)
            + ", but "
            + ", ".join(f"{t.name} points at {t.points_at[:12]}" for t in elsewhere if t.points_at),
            fix="a release tag names one commit: delete the wrong tag (git tag -d NAME) or bump "
            "the version past it",
            finish=None,
            published=True,
        )
    if not missing:
        return None

    def finish() -> list[str]:
        made = tagging.create(ws, head, tags)
        return [f"tagged {name}" for name in made]

    return Leftover(
        f"HEAD ({head[:12]}) is a release commit without all of its tags: missing "
        + ", ".join(t.name for t in missing),
        fix="run `monorel tag` (or `monorel version --yes`) to create them at HEAD",
        finish=finish,
        published=True,
    )


def _orphaned_tags(ws: Workspace) -> Leftover | None:
    members = [m for m in ws.members.values() if m.released]
    if not members:
        return None
    candidates = git.tags_not_merged(ws.root, "HEAD", *[m.tag_glob for m in members])
    orphans = []
    for tag in candidates:
        member = next((m for m in members if m.version_of_tag(tag)), None)
        version = member.version_of_tag(tag) if member else None
        if member is None or version is None or not _ahead(version, member.version):
            continue
        commit = git.tag_commit(ws.root, tag)
        if not git.branches_containing(ws.root, commit):
            orphans.append((tag, commit))
    if not orphans:
        return None
    return Leftover(
        "release tags point at commits no branch contains (a release that never reached its "
        "branch): " + ", ".join(f"{tag} -> {commit[:12]}" for tag, commit in orphans),
        fix="if that release never happened, delete the tags (git tag -d "
        + " ".join(tag for tag, _ in orphans)
        + "; git push origin --delete NAME where they were pushed); if it did, merge its "
        "commit into the branch, then run again",
        finish=None,
        published=True,
    )


def _ahead(version: str, current: str) -> bool:
    try:
        return Version(version) > Version(current)
    except InvalidVersion:
        return False
