"""What `monorel init` offers a repository besides its configuration: the GitHub workflows
(check, plan and affected on every change; a release per pushed tag) and a pre-commit hook.

They run monorel as a uv tool (``uv tool install monorel``, from the index in the repository
variable ``MONOREL_INDEX``) next to the workspace's own environment (``uv sync``), where
monorel runs Django. ``@TAG_GLOB@`` becomes the tag format's filter (``monorel tag glob``).
"""

from __future__ import annotations

PRE_COMMIT_HOOK = """\
  - repo: local
    hooks:
      - id: monorel-check
        name: monorel check (boundaries, pins, migrations, fragments)
        entry: monorel check
        language: system
        pass_filenames: false
"""

_SETUP = """\
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
          persist-credentials: false
      - uses: astral-sh/setup-uv@v6
      # the workspace's environment: monorel runs Django's checks there
      - run: uv sync --all-packages --locked
      - name: monorel, from its own environment
        env:
          UV_INDEX: ${{ vars.MONOREL_INDEX }}
        run: uv tool install monorel
"""

CI_WORKFLOW = (
    """\
# written by `monorel init`: boundaries, fragments and the release plan on every change
name: monorel

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read

jobs:
  monorel:
    runs-on: ubuntu-24.04
    timeout-minutes: 15
    steps:
"""
    + _SETUP
    + """\
      - name: monorel check (annotations on the pull request's lines)
        if: github.event_name == 'pull_request'
        env:
          BASE_REF: ${{ github.base_ref }}
        run: monorel check --since "origin/$BASE_REF" --format github
      - name: monorel check
        if: github.event_name != 'pull_request'
        run: monorel check --format github
      - name: The release plan, as the job summary (annotations where fragments ask for less)
        run: |
          {
            echo '```'
            monorel plan || true
            echo '```'
          } >> "$GITHUB_STEP_SUMMARY"
          monorel plan --format github
      - name: The members this change affects
        if: github.event_name == 'pull_request'
        env:
          BASE_REF: ${{ github.base_ref }}
        run: monorel affected --since "origin/$BASE_REF"
"""
)

RELEASE_WORKFLOW = (
    """\
# written by `monorel init`: a pushed release tag (made by `monorel version --yes`) builds,
# publishes to devpi and opens a GitHub release with the version's changelog section
name: monorel-release

on:
  push:
    tags:
      # `monorel tag glob`: [tool.monorel] tag-format
      - "@TAG_GLOB@"

permissions:
  contents: read

concurrency:
  group: ${{ github.workflow }}-${{ github.ref }}
  cancel-in-progress: false

jobs:
  release:
    runs-on: ubuntu-24.04
    timeout-minutes: 20
    permissions:
      contents: write
    steps:
"""
    + _SETUP
    + """\
      - name: The package and version the tag names (refused if pyproject disagrees)
        id: tag
        env:
          TAG: ${{ github.ref_name }}
        run: monorel tag resolve "$TAG" >> "$GITHUB_OUTPUT"
      - name: Release notes from the changelog
        env:
          TAG: ${{ github.ref_name }}
        run: monorel tag notes "$TAG" > "$RUNNER_TEMP/notes.md"
      - name: Build, verify and publish
        env:
          PACKAGE: ${{ steps.tag.outputs.package }}
          DEVPI_URL: ${{ secrets.DEVPI_URL }}
          MONOREL_INDEX_USER: ${{ secrets.DEVPI_USER }}
          MONOREL_INDEX_PASSWORD: ${{ secrets.DEVPI_PASSWORD }}
        run: |
          monorel build "$PACKAGE"
          monorel publish "$PACKAGE" --index "$DEVPI_URL"
      - name: GitHub release
        env:
          GH_TOKEN: ${{ github.token }}
          TAG: ${{ github.ref_name }}
          PACKAGE: ${{ steps.tag.outputs.package }}
          VERSION: ${{ steps.tag.outputs.version }}
        run: >-
          gh release create "$TAG" --verify-tag --title "$PACKAGE $VERSION"
          --notes-file "$RUNNER_TEMP/notes.md"
"""
)
