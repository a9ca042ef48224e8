"""What a check reports: one violation, with where it is and how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, order=True)
class Finding:
    """One violation. ``rule`` is a stable id (``MR-IMPORT``...) scripts may match on.

    ``path`` is relative to the workspace root (POSIX separators); ``line`` is 1-based,
    or None where the finding is about a file or directory as a whole. ``target`` names the
    member a boundary finding reaches into, where there is one (``monorel graph`` draws
    the edge red); it is not part of the text or JSON report.
    """

    path: str
    line: int | None
    rule: str
    message: str
    fix: str
    target: str | None = None

    def render(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.rule} {self.message}\n  fix: {self.fix}"

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        return {key: data[key] for key in ("rule", "path", "line", "message", "fix")}


def sort_key(finding: Finding) -> tuple[str, int, str, str]:
    return (finding.path, finding.line or 0, finding.rule, finding.message)
