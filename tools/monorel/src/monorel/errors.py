"""Typed errors with stable codes and the exit codes the CLI maps them to.

Every error names the problem and the fix; the CLI prints both and exits with
``exit_code``. Codes are stable: scripts and tests match on them.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1  # the command ran and found violations / a failed leg / a refused release
EXIT_USAGE = 2  # bad arguments or configuration: nothing was done
EXIT_TOOL = (
    3  # an external tool (uv, git, devpi, pip, towncrier) failed: nothing was left half-done
)


class MonorelError(Exception):
    """Base of all monorel errors. Subclasses set ``code`` and ``exit_code``."""

    code = "MR000"
    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def render(self) -> str:
        """The message and its fix, with every known secret redacted."""
        from monorel.redaction import redact

        text = f"error[{self.code}]: {self.message}"
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return redact(text)


class ConfigError(MonorelError):
    """The workspace or ``[tool.monorel]`` is missing or malformed."""

    code = "MR001"


class UsageError(MonorelError):
    """The command line asks for something that cannot be done as asked."""

    code = "MR002"


class DirtyTreeError(MonorelError):
    """A command that writes commits or tags refuses to run on uncommitted changes."""

    code = "MR003"
    exit_code = EXIT_FINDINGS


class FragmentError(MonorelError):
    """A towncrier fragment has an unknown type or a malformed name."""

    code = "MR004"
    exit_code = EXIT_FINDINGS


class ToolError(MonorelError):
    """An external command failed; ``message`` carries its command line and output."""

    code = "MR010"
    exit_code = EXIT_TOOL


class PublishRefused(MonorelError):
    """The index already holds different bytes under the version being published."""

    code = "MR020"
    exit_code = EXIT_FINDINGS


class CredentialsMissing(MonorelError):
    """An upload needs credentials and none were found in the environment or keyring."""

    code = "MR021"
    exit_code = EXIT_USAGE


class ArtifactCheckFailed(MonorelError):
    """A built wheel or sdist does not match its pyproject, its tag, or misses package data."""

    code = "MR022"
    exit_code = EXIT_FINDINGS


class IndexUnreachable(MonorelError):
    """The package index (or the embedded devpi-server) does not answer or answers nonsense."""

    code = "MR023"
    exit_code = EXIT_TOOL


class ConsumerCheckFailed(MonorelError):
    """The throwaway consumer project could not install, migrate or pass the contract tests."""

    code = "MR024"
    exit_code = EXIT_FINDINGS


class ReleaseRefused(MonorelError):
    """`monorel version` cannot apply the plan as it stands (e.g. a release tag already exists)."""

    code = "MR025"
    exit_code = EXIT_FINDINGS


class SourceParseError(MonorelError):
    """`monorel semver` reads modules statically and one of them (a public module, a
    migration or a checks module) does not parse at the release point or in the tree."""

    code = "MR030"
    exit_code = EXIT_FINDINGS


class SemverShortfall(MonorelError):
    """The fragments ask for a smaller bump than the semver verdict requires."""

    code = "MR031"
    exit_code = EXIT_FINDINGS


class UnclassifiedMigrations(MonorelError):
    """A release would ship migrations whose effect the verdict could not judge."""

    code = "MR032"
    exit_code = EXIT_FINDINGS


class MigrationDeclarationError(MonorelError):
    """A ``# monorel:`` declaration in a migration (or a configured operation) is malformed,
    or lowers the verdict below what the SQL and state show without giving a reason."""

    code = "MR033"
    exit_code = EXIT_FINDINGS


class PostgresUnavailable(MonorelError):
    """The migration verdict needs a PostgreSQL server to see the SQL of new migrations."""

    code = "MR034"
    exit_code = EXIT_USAGE


# -- the release gate, promotion, the embedded index (MR050-MR059) --------------------------


class ProofFailed(MonorelError):
    """A proof of the release gate failed: the files stay on the dev index, unpromoted.

    ``report`` is the gate's report (``monorel.gate.pipeline.GateReport``), for the command
    to show every proof's result before the error.
    """

    code = "MR050"
    exit_code = EXIT_FINDINGS

    def __init__(self, message: str, *, fix: str = "", report: object = None) -> None:
        super().__init__(message, fix=fix)
        self.report = report


class PrereleaseRefused(MonorelError):
    """A pre-release or dev version would reach a stable (or unknown) index."""

    code = "MR051"
    exit_code = EXIT_FINDINGS


class PromotionRefused(MonorelError):
    """The stable index already holds other bytes, or the dev index not the proven ones."""

    code = "MR052"
    exit_code = EXIT_FINDINGS


class DevpiStateDamaged(MonorelError):
    """The embedded devpi's state dir disagrees with itself (pid, URL, lock, credentials)."""

    code = "MR053"
    exit_code = EXIT_USAGE


class IndexPairInvalid(MonorelError):
    """The gate's dev and stable indexes cannot work together (same index, other servers,
    a volatile "stable")."""

    code = "MR054"
    exit_code = EXIT_USAGE


class IndexKindRefused(MonorelError):
    """An upload to an index that is not a dev index: stable is reached by promotion only."""

    code = "MR055"
    exit_code = EXIT_FINDINGS


class ReleaseBreaksMember(MonorelError):
    """A breaking change removes a public name that another workspace member still uses
    (or whether it does cannot be told)."""

    code = "MR060"
    exit_code = EXIT_FINDINGS


class ReleaseInProgress(MonorelError):
    """Another process holds the release lock of this repository."""

    code = "MR061"
    exit_code = EXIT_FINDINGS


class PartialRelease(MonorelError):
    """An earlier release was interrupted (a release commit without all of its tags, tags on
    a commit no branch holds, a working tree left half-written) and cannot be completed as
    things stand: the message names what is left and the fix what to do."""

    code = "MR062"
    exit_code = EXIT_FINDINGS


class ReleaseInterrupted(MonorelError):
    """SIGINT, SIGTERM or SIGHUP arrived before the release was published: rolled back."""

    code = "MR063"
    exit_code = EXIT_FINDINGS


class PreReleaseRefused(MonorelError):
    """A pre-release cannot follow the package's current version as asked (an earlier kind
    within the same series, or nothing to release)."""

    code = "MR064"
    exit_code = EXIT_FINDINGS


class ReleaseHistoryMissing(MonorelError):
    """What a commit releases cannot be told: its parent is not in this (shallow) clone."""

    code = "MR065"
    exit_code = EXIT_USAGE


class TestDatabaseUnavailable(MonorelError):
    """`pytest --postgres` cannot start the throwaway PostgreSQL cluster it was asked for
    (the server binaries are missing, or initdb / pg_ctl failed)."""

    code = "MR070"
    exit_code = EXIT_USAGE


class HistoryMissing(MonorelError):
    """git history a release point needs is not in this clone (shallow, or without the
    commits and tags of earlier releases): nothing that reads release points can be trusted."""

    code = "MR040"
    exit_code = EXIT_USAGE


# -- adoption: standalone runs, layouts, configuration, init, baselines (MR080-MR089) ------


class TargetEnvMissing(MonorelError):
    """The target workspace has no environment to run Django in (no ``.venv``, no uv)."""

    code = "MR080"
    exit_code = EXIT_USAGE


class TargetEnvLacksDjango(MonorelError):
    """The target workspace's environment exists but cannot import Django."""

    code = "MR081"
    exit_code = EXIT_USAGE


class PackageNotFound(MonorelError):
    """A member's import packages cannot be found from its build configuration or wheel."""

    code = "MR082"
    exit_code = EXIT_USAGE


class PublicModuleMissing(MonorelError):
    """A configured public module of a member does not exist in its import packages."""

    code = "MR083"
    exit_code = EXIT_USAGE


class ConfigValueError(MonorelError):
    """A ``[tool.monorel]`` key has the wrong type or an invalid value."""

    code = "MR084"
    exit_code = EXIT_USAGE


class InitConflict(MonorelError):
    """`monorel init` would have to overwrite a file the user wrote: it writes nothing."""

    code = "MR085"
    exit_code = EXIT_FINDINGS


class BaselineError(MonorelError):
    """The ``monorel check --baseline`` file cannot be read or is not a monorel baseline."""

    code = "MR086"
    exit_code = EXIT_USAGE


class ProjectMetadataError(MonorelError):
    """A member's pyproject has no ``[project]`` table, or computes what monorel writes."""

    code = "MR087"
    exit_code = EXIT_USAGE


class InvalidVersionError(MonorelError):
    """A member's ``[project] version`` is not a PEP 440 version."""

    code = "MR088"
    exit_code = EXIT_USAGE


class TagRefused(MonorelError):
    """A tag does not name a released member at the version its pyproject declares."""

    code = "MR089"
    exit_code = EXIT_FINDINGS
