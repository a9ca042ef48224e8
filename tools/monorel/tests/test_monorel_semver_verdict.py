"""`required_bump`: baselines, the 0.x rule, combining evidence, and the shortfall plan uses."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from monorel import planning, workspace
from monorel.errors import UsageError
from monorel_semver_fixtures import (
    API,
    MIGRATIONS,
    SemverWorkspace,
    copy_workspace,
    release_workspace,
    summaries,
)

VOID = """def void_invoice(invoice_id: int, reason: str = "") -> None:
    _services.void_invoice(invoice_id, reason)
"""


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return release_workspace(tmp_path_factory.mktemp("semver-verdict") / "template")


@pytest.fixture
def ws(released: Path, tmp_path: Path) -> SemverWorkspace:
    return copy_workspace(released, tmp_path / "ws")


def _remove_void_invoice(ws: SemverWorkspace) -> None:
    ws.replace(API, VOID, "")
    ws.replace(API, '"refund", "void_invoice"]', '"refund"]')


def test_no_change_requires_nothing(ws: SemverWorkspace) -> None:
    # given: the released tree, untouched

    # when
    verdict = ws.verdict()

    # then
    assert (verdict.required, verdict.bump, verdict.evidence) == ("none", "none", ())
    assert (verdict.package, verdict.baseline, verdict.baseline_version) == (
        "shop-app",
        "shop-app-v1.0.0",
        "1.0.0",
    )
    assert verdict.baseline_commit == ws.head()


def test_committed_changes_count_like_uncommitted_ones(ws: SemverWorkspace) -> None:
    # given: the removal is committed after the release tag
    _remove_void_invoice(ws)
    ws.commit("drop void_invoice")

    # when
    verdict = ws.verdict()

    # then
    assert verdict.bump == "major"
    assert summaries(verdict) == [("api.object-removed", "api.py removes void_invoice: major")]


def test_since_compares_with_the_given_ref(ws: SemverWorkspace) -> None:
    # given: an optional parameter committed after the release, then nothing else
    ws.replace(API, 'reason: str = "")', 'reason: str = "", notify: bool = False)')
    commit = ws.commit("notify on void")

    # when
    since_release = ws.verdict()
    since_commit = ws.verdict(since=commit)

    # then
    assert since_release.bump == "minor"
    assert (since_commit.bump, since_commit.evidence, since_commit.baseline) == (
        "none",
        (),
        commit,
    )


def test_history_release_point_is_used_without_tags(tmp_path: Path) -> None:
    # given: a release recorded only by the commit that set the version
    ws = SemverWorkspace(release_workspace(tmp_path / "untagged", tag=False))
    _remove_void_invoice(ws)

    # when
    verdict = ws.verdict()

    # then
    assert (verdict.baseline, verdict.baseline_commit, verdict.bump) == (
        ws.head(),
        ws.head(),
        "major",
    )


def test_before_1_0_a_major_counts_as_minor(tmp_path: Path) -> None:
    # given: shop-app 0.4.0 loses a public function
    ws = SemverWorkspace(release_workspace(tmp_path / "zero", version="0.4.0"))
    _remove_void_invoice(ws)

    # when
    verdict = ws.verdict()

    # then
    assert (verdict.required, verdict.bump) == ("major", "minor")
    assert verdict.shortfall("major", ["breaking"]) == []
    # a feature fragment moves 0.4.0 to 0.4.1 (a minor counts as a patch before 1.0): short
    assert verdict.shortfall("minor", ["feature"]) == [
        "api.py removes void_invoice: major required, fragments give minor",
        "api.py removes void_invoice: needs a `breaking` fragment",
    ]


def test_evidence_is_combined_strongest_first(ws: SemverWorkspace) -> None:
    # given: an additive migration and an API removal
    ws.add_migration(
        "0002_invoice_memo",
        'migrations.AddField(model_name="invoice", name="memo", '
        "field=models.TextField(null=True)),",
    )
    _remove_void_invoice(ws)

    # when
    verdict = ws.verdict()

    # then
    assert verdict.bump == "major"
    assert summaries(verdict) == [
        ("api.object-removed", "api.py removes void_invoice: major"),
        (
            "migration.state.add-field",
            "0002_invoice_memo.py AddField adds field Invoice.memo: minor",
        ),
    ]


def test_shortfall_names_each_item_fragments_do_not_cover(ws: SemverWorkspace) -> None:
    # given: an API removal and a dropped column
    _remove_void_invoice(ws)
    ws.add_migration(
        "0002_remove_note", 'migrations.RemoveField(model_name="invoice", name="note"),'
    )
    verdict = ws.verdict()

    # when: the fragments are one `migration` fragment (a minor)
    problems = verdict.shortfall("minor", ["migration"])

    # then
    assert problems == [
        "api.py removes void_invoice: major required, fragments give minor",
        "api.py removes void_invoice: needs a `breaking` fragment",
        "0002_remove_note.py RemoveField drops column shop_app_invoice.note and its data: "
        "major required, fragments give minor",
        "0002_remove_note.py RemoveField removes field Invoice.note: "
        "major required, fragments give minor",
    ]
    # and a `breaking` fragment covers both
    assert verdict.shortfall("major", ["breaking"]) == []


def test_operator_migration_needs_a_breaking_or_migration_fragment(ws: SemverWorkspace) -> None:
    # given
    ws.add_migration("0002_fill", "migrations.RunPython(forwards),")
    verdict = ws.verdict()

    # when: a major from a `feature`-only changelog (wrong type)
    problems = verdict.shortfall("major", ["feature"])

    # then
    assert problems == [
        "0002_fill.py RunPython forwards cannot be reversed (no reverse_code): a rollback "
        "needs a restore: needs a `breaking` or `migration` fragment that says what operators "
        "must do"
    ]


def test_unknown_since_is_a_usage_error(ws: SemverWorkspace) -> None:
    with pytest.raises(UsageError) as excinfo:
        ws.verdict(since="no-such-ref")

    assert excinfo.value.code == "MR002"
    assert excinfo.value.message == f"--since 'no-such-ref' is not a commit in {ws.root}"


def test_unparsable_migration_is_unclassified_and_changes_nothing(
    ws: SemverWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a broken new migration; temp files go to a directory we can watch
    ws.write(f"{MIGRATIONS}/0002_broken.py", "class Migration(:\n")
    status_before = ws.status()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    # when
    verdict = ws.verdict()

    # then: named, with the error, and counted as a major (never as nothing)
    assert [u.summary for u in verdict.unclassified] == [
        "0002_broken.py: does not import: SyntaxError: invalid syntax (0002_broken.py, line 1)"
    ]
    assert verdict.required == "major"
    assert verdict.shortfall("major", ["breaking"]) == [
        f"{verdict.unclassified[0].summary} (declare its bump with a `# monorel: LEVEL -- "
        "reason` line in the migration, or its operation in [tool.monorel.migration-operations])"
    ]
    # and nothing changed: the repository as before, the baseline export removed
    assert ws.status() == status_before
    assert list(scratch.iterdir()) == []


def test_plan_and_semver_agree_before_1_0(tmp_path: Path) -> None:
    # given: shop-app 0.4.2 gains an optional parameter, described by a feature fragment
    ws = SemverWorkspace(release_workspace(tmp_path / "zero", version="0.4.2"))
    ws.replace(API, 'reason: str = "")', 'reason: str = "", notify: bool = False)')
    ws.write("packages/shop-app/changelog.d/+notify.feature.md", "Void can notify.\n")

    # when
    verdict = ws.verdict()
    plan = planning.compute(workspace.load(ws.root)).package("shop-app")

    # then: both say the additive change is a patch before 1.0, and the fragment covers it
    assert (verdict.required, verdict.bump) == ("minor", "patch")
    assert (plan.bump, plan.next_version, plan.problems) == ("patch", "0.4.3", ())
