"""What every rule reads, computed once per run: parsed sources, Django apps, owners of names."""

from __future__ import annotations

import ast
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from monorel import sources
from monorel.adapters import git
from monorel.checks import cache as check_cache
from monorel.checks.django_apps import DjangoApp, discover
from monorel.checks.findings import Finding
from monorel.errors import MonorelError
from monorel.release_points import ReleaseIndex, ReleasePoint
from monorel.workspace import Member, Workspace


@dataclass
class CheckContext:
    ws: Workspace
    since: str | None = None  # git ref for the fragment rule (compared at the merge base)
    build: bool = False  # the metadata rule builds wheels instead of reading pyproject
    cache: check_cache.CheckCache = field(default_factory=check_cache.disabled)
    _trees: dict[Path, ast.Module | SyntaxError] = field(default_factory=dict, repr=False)

    def rel(self, path: Path) -> str:
        # the path as named first: a symbolic link must be reported where it is, not
        # where it points
        for candidate in (Path(os.path.abspath(path)), path.resolve()):
            try:
                return candidate.relative_to(self.ws.root).as_posix()
            except ValueError:
                continue
        return path.as_posix()

    def source_files(self, member: Member) -> list[Path]:
        files: list[Path] = []
        for package in member.import_packages:
            if package.is_module:
                files += [package.path] if package.path.is_file() else []
            elif package.path.is_dir():
                files += [p for p in package.path.rglob("*.py") if "__pycache__" not in p.parts]
        return sorted(files)

    def parse(self, path: Path) -> ast.Module | SyntaxError:
        """The module's AST, or the SyntaxError that prevented it (cached either way)."""
        if path not in self._trees:
            try:
                self._trees[path] = sources.parse(path)
            except SyntaxError as exc:
                self._trees[path] = exc
        return self._trees[path]

    @cached_property
    def in_git(self) -> bool:
        return git.is_repository(self.ws.root)

    def releases(self, member: Member) -> list[ReleasePoint]:
        """The member's release points, oldest first ([] outside a git repository)."""
        return self._release_index.released_versions(member) if self.in_git else []

    def last_release(self, member: Member) -> ReleasePoint | None:
        """``release_points.last_release`` of the member (None outside a git repository)."""
        return self._release_index.last_release(member) if self.in_git else None

    def changed_files(self, since: str, member: Member) -> list[str]:
        """``git.changed_files(root, since, [member dir])``: one diff per distinct ``since``."""
        return self._changed.changed_files(since, member.relpath(self.ws.root))

    @property
    def _release_index(self) -> ReleaseIndex:
        # all tags read once per run, not several git processes per member
        return self.ws.release_index

    @cached_property
    def _changed(self) -> git.ChangedFiles:
        return git.ChangedFiles(self.ws.root)

    @cached_property
    def apps(self) -> list[DjangoApp]:
        return [app for member in self.ws.members.values() for app in discover(member)]

    def apps_of(self, member: Member) -> list[DjangoApp]:
        return [app for app in self.apps if app.member.name == member.name]

    def app(self, label: str) -> DjangoApp | None:
        return next((app for app in self.apps if app.label == label), None)

    def owner(self, first_component: str) -> Member | None:
        """The member a string reference points into: by app label, else by import name."""
        app = self.app(first_component)
        if app is not None:
            return app.member
        return self.ws.by_import_name(first_component)

    def settings_file(self, member: Member) -> Path | None:
        """The source file of the member's Django settings module, where it can be found."""
        if not member.django_settings:
            return None
        parts = member.django_settings.split(".")
        for base in (*member.source_roots, *member.pythonpath):
            for candidate in (
                base.joinpath(*parts).with_suffix(".py"),
                base.joinpath(*parts, "__init__.py"),
            ):
                if candidate.is_file():
                    return candidate
        return None

    # -- cache keys: exactly what decides a result (``checks.cache``) --------------------

    def cached(self, scope: str, key: str, compute: Callable[[], list[Finding]]) -> list[Finding]:
        """The findings stored for ``scope`` under ``key``, else ``compute()`` (stored)."""
        found = self.cache.findings(scope, key)
        if found is None:
            found = compute()
            self.cache.put_findings(scope, key, found)
        return found

    @cached_property
    def base_key(self) -> str:
        """What every key holds: monorel's code, where the workspace is, its configuration."""
        # the whole root pyproject: [tool.monorel] and the workspace's member globs
        config = self.cache.file_digest(self.ws.root / "pyproject.toml")
        return check_cache.digest(check_cache.tool_digest(), str(self.ws.root), config, self.in_git)

    @cached_property
    def shape_key(self) -> str:
        """Who is who in the workspace: every member's identity, declarations (its whole
        pyproject) and Django apps. Rules that resolve names to members depend on it."""
        members = [
            (
                m.name,
                m.role,
                m.version,
                m.relpath(self.ws.root),
                m.import_names,
                m.public_modules,
                m.django_settings,
                [self.rel(p) for p in m.pythonpath],
                m.released,
                self.cache.file_digest(m.pyproject),
            )
            for m in self.ws.members.values()
        ]
        apps = [(a.label, a.name, a.member.name, self.rel(a.directory)) for a in self.apps]
        return check_cache.digest(self.base_key, members, apps)

    @cached_property
    def history_key(self) -> str | None:
        """What release points are read from: HEAD, every tag's commit, the shallow cut.
        None when that cannot be told (a repository without commits): no caching."""
        if not self.in_git:
            return "no git"
        try:
            return check_cache.digest(
                git.head(self.ws.root),
                sorted(
                    (tag, commit or git.tag_commit(self.ws.root, tag))
                    for tag, commit in git.tag_commits(self.ws.root).items()
                ),
                sorted(git.shallow_boundary(self.ws.root)),
            )
        except MonorelError:
            return None

    @cached_property
    def environment_key(self) -> str:
        return check_cache.environment_digest(self.ws.root)

    def files_key(self, paths: list[Path]) -> str:
        return self.cache.tree_digest(self.ws.root, paths)

    def pythonpath(self) -> list[Path]:
        """Where every member's modules and settings import from: src dirs, then extras."""
        paths: list[Path] = []
        for member in self.ws.members.values():
            for path in (*member.source_roots, *member.pythonpath):
                if path not in paths:
                    paths.append(path)
        return paths
