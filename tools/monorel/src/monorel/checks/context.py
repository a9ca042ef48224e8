"""What every rule reads, computed once per run: parsed sources, Django apps, owners of names."""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from monorel import sources
from monorel.adapters import git
from monorel.checks.django_apps import DjangoApp, discover
from monorel.release_points import ReleaseIndex, ReleasePoint
from monorel.workspace import Member, Workspace


@dataclass
class CheckContext:
    ws: Workspace
    since: str | None = None  # git ref for the fragment rule (compared at the merge base)
    build: bool = False  # the metadata rule builds wheels instead of reading pyproject
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

    def pythonpath(self) -> list[Path]:
        """Where every member's modules and settings import from: src dirs, then extras."""
        paths: list[Path] = []
        for member in self.ws.members.values():
            for path in (*member.source_roots, *member.pythonpath):
                if path not in paths:
                    paths.append(path)
        return paths
