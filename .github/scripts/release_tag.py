"""Resolve a release tag for release.yml, and cut its changelog section.

    uv run python .github/scripts/release_tag.py resolve billing-app-v2.4.1
        package=billing-app / version=2.4.1 / prerelease=false lines, for $GITHUB_OUTPUT;
        refused (exit 1) when the tag does not name a released workspace package at the
        version its pyproject.toml declares in this checkout.
    uv run python .github/scripts/release_tag.py notes billing-app-v2.4.1
        the "## 2.4.1 ..." section of the package's CHANGELOG.md, for the GitHub release;
        refused (exit 1) when the section is missing or empty.
    uv run python .github/scripts/release_tag.py gate accounts-app-v1.1.0 billing-app-v2.0.0rc1
        finals=... / prereleases=... / prerelease_tags=... lines (packages separated by
        spaces), for $GITHUB_OUTPUT: the finals go through `monorel gate` to stable, the
        pre-releases to the dev index only; refused (exit 1) when any tag is, as above.

The tag is read with the workspace's `[tool.monorel] tag-format` (default
`<dist-name>-v<version>`; dist names may contain "-v" themselves, "foo-viewer-v1.0.0",
so the last "-v" splits). The logic is monorel's (`monorel.release_tags`, also
`monorel tag resolve|notes`): this script keeps release.yml's interface.
"""

from __future__ import annotations

import sys
from pathlib import Path

from monorel import release_tags, workspace
from monorel.errors import MonorelError, TagRefused
from monorel.release_tags import Release, changelog_section, release_notes, resolve
from monorel.tags import TagFormat

ReleaseTagError = TagRefused  # the tag cannot be released from this checkout
__all__ = ["Release", "ReleaseTagError", "changelog_section", "release_notes", "resolve"]


def split_tag(tag: str) -> tuple[str, str]:
    """(dist, version) of a tag in the default format."""
    fmt = TagFormat()
    parts = fmt.split(tag)
    if parts is None:
        raise ReleaseTagError(f"tag {tag!r} is not of the form {fmt.shape}")
    return parts


def gate_outputs(releases: list[Release], tags: list[str]) -> list[str]:
    """The $GITHUB_OUTPUT lines of `gate`: which packages are gated, which go to dev only."""
    finals = [r.package for r in releases if not r.prerelease]
    pre = [(r.package, tag) for r, tag in zip(releases, tags, strict=True) if r.prerelease]
    return [
        f"finals={' '.join(finals)}",
        f"prereleases={' '.join(p for p, _ in pre)}",
        f"prerelease_tags={' '.join(t for _, t in pre)}",
    ]


def main(argv: list[str]) -> int:
    gate = len(argv) >= 2 and argv[0] == "gate"
    if not gate and (len(argv) != 2 or argv[0] not in ("resolve", "notes")):
        print("usage: release_tag.py resolve|notes TAG | gate TAG...", file=sys.stderr)
        return 2
    action, tags = argv[0], argv[1:]
    try:
        ws = workspace.load(Path.cwd())
        releases = [release_tags.resolve(ws, tag) for tag in tags]
        if gate:
            print("\n".join(gate_outputs(releases, tags)))
        elif action == "resolve":
            release = releases[0]
            print(f"package={release.package}")
            print(f"version={release.version}")
            print(f"prerelease={str(release.prerelease).lower()}")
        else:
            print(release_tags.release_notes(releases[0]))
    except TagRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except MonorelError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
