"""What a consumer sees in a wheel: the checks a workspace opts into with ``wheel-checks``.

``[tool.monorel] wheel-checks = [...]`` names them; `monorel build` runs them on every
released wheel, next to the checks it always makes (name, version, ranges, package data).
They live in the workspace's configuration, not in monorel, so a release point is built
under the rules it was released with: re-building an old release for a fresh index must
not refuse metadata that could not be changed any more.

Each check reads the wheel's METADATA and file list and returns readable problems:

- ``license-file``: a license is declared (``License-Expression`` or ``License``) and every
  ``License-File`` ships under ``.dist-info/licenses/`` (at least one).
- ``python-classifiers``: ``Programming Language :: Python :: 3.X`` classifiers, each one
  admitted by ``Requires-Python``, with no gap from the oldest version it admits up to the
  newest one claimed: CI tests exactly these claims.
- ``django-classifiers``: a package that requires Django claims ``Framework :: Django ::
  X.Y`` versions, each admitted by its Django requirement.
- ``project-urls``: ``Project-URL`` entries for the changelog and the source, absolute.
- ``long-description``: a description with a content type, links that work on an index
  page (absolute, or ``#anchors``), and no section for developers of the repository.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import Message

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version


@dataclass(frozen=True)
class Wheel:
    """What the checks read: the METADATA and the names of the files in the wheel."""

    metadata: Message
    names: frozenset[str]

    @property
    def dist_info(self) -> str:
        meta = next(n for n in self.names if n.endswith(".dist-info/METADATA"))
        return meta.rsplit("/", 1)[0]

    def claimed(self, prefix: str) -> tuple[list[Version], list[str]]:
        return claimed_versions(self.metadata.get_all("Classifier") or [], prefix)


def _license_file(wheel: Wheel) -> list[str]:
    problems = []
    if not (wheel.metadata.get("License-Expression") or wheel.metadata.get("License")):
        problems.append('no license declared: set [project] license = "<SPDX expression>"')
    files = wheel.metadata.get_all("License-File") or []
    if not files:
        problems.append(
            "no License-File in METADATA: add a LICENSE file and "
            '[project] license-files = ["LICENSE"]'
        )
    for name in files:
        if f"{wheel.dist_info}/licenses/{name}" not in wheel.names:
            problems.append(f"License-File {name} is not in the wheel's .dist-info/licenses/")
    return problems


PYTHON_CLASSIFIER = "Programming Language :: Python :: "
DJANGO_CLASSIFIER = "Framework :: Django :: "
# the minor versions of Python 3 a requires-python range is probed with
_PYTHON_MINORS = [Version(f"3.{minor}") for minor in range(0, 30)]


def claimed_versions(classifiers: Iterable[str], prefix: str) -> tuple[list[Version], list[str]]:
    """The versions the ``prefix`` classifiers claim, sorted, and the problems of the ones
    that name none. Python's "3" and "3 :: Only" say nothing about minor versions and are
    left out (one CI matrix entry per claimed X.Y)."""
    versions, problems = [], []
    for classifier in classifiers:
        if not classifier.startswith(prefix):
            continue
        claim = classifier.removeprefix(prefix).strip()
        if prefix == PYTHON_CLASSIFIER and claim.count(".") != 1:
            continue
        try:
            versions.append(Version(claim))
        except InvalidVersion:
            problems.append(f"classifier {classifier} does not name a version")
    return sorted(set(versions)), problems


def _python_classifiers(wheel: Wheel) -> list[str]:
    claimed, problems = wheel.claimed(PYTHON_CLASSIFIER)
    if not claimed:
        return [
            *problems,
            f"no '{PYTHON_CLASSIFIER}3.X' classifier: claim the Python versions CI tests",
        ]
    raw = wheel.metadata.get("Requires-Python", "")
    try:
        admits = SpecifierSet(raw)
    except InvalidSpecifier:
        return [*problems, f"Requires-Python {raw!r} is not a version range"]
    excluded = [v for v in claimed if not admits.contains(v)]
    problems += [
        f"classifier {PYTHON_CLASSIFIER}{v} is excluded by Requires-Python {raw}" for v in excluded
    ]
    admitted = [v for v in _PYTHON_MINORS if admits.contains(v) and v <= claimed[-1]]
    unclaimed = [str(v) for v in admitted if v not in claimed]
    if unclaimed:
        problems.append(
            f"Requires-Python {raw or '(any)'} admits Python {', '.join(unclaimed)}, which no "
            f"classifier claims: claim and test it, or raise requires-python"
        )
    return problems


def _django_classifiers(wheel: Wheel) -> list[str]:
    django = _requirement(wheel, "django")
    claimed, problems = wheel.claimed(DJANGO_CLASSIFIER)
    if django is None:
        if claimed:
            problems.append(f"claims Django {_joined(claimed)} but does not require Django")
        return problems
    if not claimed:
        return [
            *problems,
            f"requires {django} but no '{DJANGO_CLASSIFIER}X.Y' classifier claims a version",
        ]
    excluded = [v for v in claimed if not django.specifier.contains(v, prereleases=True)]
    if excluded:
        problems.append(f"claims Django {_joined(excluded)} but requires {django}")
    return problems


def _requirement(wheel: Wheel, name: str) -> Requirement | None:
    for raw in wheel.metadata.get_all("Requires-Dist") or []:
        try:
            req = Requirement(raw)
        except InvalidRequirement:
            continue
        # an optional extra's requirement is not what the package itself needs
        if canonicalize_name(req.name) == name and "extra" not in str(req.marker or ""):
            return req
    return None


def _joined(versions: list[Version]) -> str:
    return ", ".join(str(v) for v in versions)


# PEP 753 labels, normalized (lower case, no punctuation or space) -> what they stand for
_URL_LABELS = {
    "changelog": "changelog",
    "changes": "changelog",
    "releasenotes": "changelog",
    "history": "changelog",
    "source": "source",
    "sourcecode": "source",
    "repository": "source",
    "github": "source",
    "gitlab": "source",
}
_ABSOLUTE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _project_urls(wheel: Wheel) -> list[str]:
    found: dict[str, str] = {}
    problems = []
    for entry in wheel.metadata.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        kind = _URL_LABELS.get(re.sub(r"[^a-z0-9]", "", label.lower()))
        if kind is None:
            continue
        if not url.strip().startswith(("https://", "http://")):
            problems.append(f"Project-URL {label.strip()} is not an absolute URL: {url.strip()!r}")
        found.setdefault(kind, url.strip())
    for kind in ("changelog", "source"):
        if kind not in found:
            problems.append(
                f"no Project-URL for the {kind}: add it to [project.urls] "
                f'({kind.title()} = "https://...")'
            )
    return problems


_FENCED = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK_TARGETS = (
    re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)"),  # [text](target), ![alt](target)
    re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE),  # [ref]: target
    re.compile(r"\b(?:href|src)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE),  # HTML
)
_DEVELOPER_HEADING = re.compile(
    r"^#{1,6}\s+(?:(?:local\s+)?development|developing|contributing|hacking"
    r"|running the tests)\b.*$",
    re.IGNORECASE | re.MULTILINE,
)


def _long_description(wheel: Wheel) -> list[str]:
    body = wheel.metadata.get_payload()
    text = body if isinstance(body, str) else ""
    if not text.strip():
        return ["no long description: set [project] readme (or a readme metadata hook)"]
    problems = []
    if not wheel.metadata.get("Description-Content-Type"):
        problems.append("the long description has no Description-Content-Type")
    prose = _CODE_SPAN.sub("", _FENCED.sub("", text))
    relative = sorted(
        {
            target
            for pattern in _LINK_TARGETS
            for target in pattern.findall(prose)
            if not _ABSOLUTE.match(target) and not target.startswith("#")
        }
    )
    if relative:
        problems.append(
            f"the long description links {', '.join(relative)}: relative links break on an "
            "index page; make them absolute URLs"
        )
    for heading in _DEVELOPER_HEADING.findall(prose):
        problems.append(
            f"the long description has a section for developers of the repository "
            f"({heading.strip()!r}); consumers read it on the index: move it out of the readme"
        )
    return problems


CHECKS: dict[str, Callable[[Wheel], list[str]]] = {
    "license-file": _license_file,
    "python-classifiers": _python_classifiers,
    "django-classifiers": _django_classifiers,
    "project-urls": _project_urls,
    "long-description": _long_description,
}


def problems(wheel: Wheel, checks: tuple[str, ...]) -> list[str]:
    """The problems the named ``checks`` find, in the order the checks are named."""
    return [problem for name in checks for problem in CHECKS[name](wheel)]
