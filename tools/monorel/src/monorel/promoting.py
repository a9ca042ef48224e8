"""Promotion: the proven files of a release go from the dev index to the stable one with
devpi's own push, bytes unchanged - never a second build, never a second upload.

Everything is checked before the first push:

- the version is final (a pre-release or dev version never reaches stable);
- the dev index still holds exactly the proven files (same names, same sha256);
- the stable index holds nothing of that version, or exactly the same files (then it
  is skipped: a rerun after a failure half-way resumes).

After each push the stable index must list exactly the proven files, else
``PromotionRefused`` says what it holds instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from monorel import indexes, publishing
from monorel.adapters import devpi
from monorel.errors import IndexPairInvalid, PrereleaseRefused, PromotionRefused
from monorel.indexes import Index

Action = Literal["pushed", "already there"]


@dataclass(frozen=True)
class Proven:
    """A release as the proof saw it: every file of it on the dev index, by sha256."""

    name: str
    version: str
    files: dict[str, str]  # filename -> sha256


@dataclass(frozen=True)
class Promotion:
    name: str
    version: str
    files: dict[str, str]  # filename -> sha256, as the stable index lists them now
    action: Action


def check_pair(dev: Index, stable: Index) -> None:
    """Refuse a dev/stable pair that cannot promote: one index twice, two servers (devpi
    pushes within one server), a volatile "stable" or a non-volatile "dev"."""
    if dev.url == stable.url:
        raise IndexPairInvalid(
            f"--dev and --stable are the same index ({dev.url})",
            fix="pass the volatile <org>/dev index as --dev and <org>/stable as --stable",
        )
    if not indexes.same_server(dev, stable):
        raise IndexPairInvalid(
            f"the dev index {dev.url} and the stable index {stable.url} are on different "
            "servers: devpi's push promotes within one server",
            fix="use two indexes of one devpi-server (<org>/dev and <org>/stable)",
        )
    for index, wanted in ((dev, "dev"), (stable, "stable")):
        found = indexes.kind(index)
        if found != wanted:
            what = "unknown (not a devpi index monorel can read)" if found == "unknown" else found
            raise IndexPairInvalid(
                f"{index.url} was given as the {wanted} index, but its kind is {what}",
                fix="the dev index is volatile and the stable one non-volatile "
                "(`devpi index <org>/<name> volatile=...`)",
            )


def refuse_prereleases(releases: Sequence[tuple[str, str]], stable: Index) -> None:
    pre = [f"{name} {version}" for name, version in releases if publishing.not_final(version)]
    if pre:
        raise PrereleaseRefused(
            f"{', '.join(pre)}: a pre-release or dev version never reaches the stable index "
            f"{stable.url}",
            fix="publish it to the dev index only (`monorel publish PKG --index dev`); gate "
            "the final version",
        )


def promote(
    dev: Index,
    stable: Index,
    releases: Sequence[Proven],
    *,
    credentials: publishing.Credentials,
    on_release: Callable[[Promotion], None] | None = None,
) -> list[Promotion]:
    """Push each proven release (in the given order) from ``dev`` to ``stable``."""
    refuse_prereleases([(r.name, r.version) for r in releases], stable)
    todo: list[Proven] = []
    done: dict[str, Promotion] = {}
    for release in releases:
        on_dev = publishing.release_files(dev, release.name, release.version)
        if on_dev != release.files:
            raise _unlike(
                release,
                f"{dev.url} now holds",
                on_dev,
                fix="the dev index changed during the proof: run the gate again",
            )
        on_stable = publishing.release_files(stable, release.name, release.version)
        if on_stable == release.files:
            done[release.name] = Promotion(
                release.name, release.version, on_stable, "already there"
            )
        elif on_stable:
            raise _unlike(
                release,
                f"{stable.url} already holds",
                on_stable,
                fix="a released file never changes: release a new version (monorel version)",
            )
        else:
            todo.append(release)
    results = []
    for release in releases:
        if release in todo:
            devpi.push(
                dev.url,
                name=release.name,
                version=release.version,
                target=stable.path_name,
                auth=credentials.auth,
            )
            after = publishing.release_files(stable, release.name, release.version)
            if after != release.files:
                raise _unlike(
                    release,
                    f"after devpi's push {stable.url} holds",
                    after,
                    fix="check the stable index and the devpi-server log",
                )
            promotion = Promotion(release.name, release.version, after, "pushed")
        else:
            promotion = done[release.name]
        results.append(promotion)
        if on_release is not None:
            on_release(promotion)
    return results


def _unlike(release: Proven, where: str, found: dict[str, str], *, fix: str) -> PromotionRefused:
    return PromotionRefused(
        f"{release.name} {release.version}: {where} {_describe(found)}, not the proven "
        f"{_describe(release.files)}",
        fix=fix,
    )


def _describe(files: dict[str, str]) -> str:
    if not files:
        return "no files"
    return ", ".join(f"{name} (sha256 {digest})" for name, digest in sorted(files.items()))
