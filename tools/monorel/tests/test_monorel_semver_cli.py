"""`monorel semver PKG [--since REF] [--format json]` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from monorel import cli
from monorel_semver_fixtures import (
    API,
    MIGRATIONS,
    SemverWorkspace,
    copy_workspace,
    release_workspace,
)


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return release_workspace(tmp_path_factory.mktemp("semver-cli") / "template")


@pytest.fixture
def ws(released: Path, tmp_path: Path) -> SemverWorkspace:
    return copy_workspace(released, tmp_path / "ws")


def _semver(ws: SemverWorkspace, *args: str) -> int:
    return cli.main(["--root", str(ws.root), "semver", *args])


def test_text_report_lists_the_evidence_and_exits_0(
    ws: SemverWorkspace, capsys: pytest.CaptureFixture[str]
) -> None:
    # given: void_invoice loses its parameter, and a nullable column is added
    ws.replace(
        API, 'void_invoice(invoice_id: int, reason: str = "")', "void_invoice(invoice_id: int)"
    )
    ws.add_migration(
        "0002_invoice_memo",
        'migrations.AddField(model_name="invoice", name="memo", '
        "field=models.TextField(null=True)),",
    )

    # when
    code = _semver(ws, "shop-app")

    # then
    assert code == 0
    assert capsys.readouterr().out == (
        f"shop-app: major required since shop-app-v1.0.0 ({ws.head()[:12]})\n"
        "  major  api.py removes parameter void_invoice(reason)"
        "  [packages/shop-app/src/shop_app/api.py:28]\n"
        "         needs a `breaking` fragment\n"
        "  minor  0002_invoice_memo.py AddField adds field Invoice.memo"
        "  [packages/shop-app/src/shop_app/migrations/0002_invoice_memo.py:12]\n"
    )


def test_text_report_without_changes(
    ws: SemverWorkspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _semver(ws, "shop-app")

    assert code == 0
    assert capsys.readouterr().out == (
        f"shop-app: none required since shop-app-v1.0.0 ({ws.head()[:12]})\n"
        "  no changes since the release point\n"
    )


def test_json_report(ws: SemverWorkspace, capsys: pytest.CaptureFixture[str]) -> None:
    # given
    ws.add_migration("0002_fill", "migrations.RunPython(forwards),")

    # when
    code = _semver(ws, "shop-app", "--format", "json")

    # then
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {
        "package": "shop-app",
        "baseline": "shop-app-v1.0.0",
        "baseline_commit": ws.head(),
        "baseline_version": "1.0.0",
        "required": "major",
        "bump": "major",
        "evidence": [
            {
                "kind": "migration.run-python-irreversible",
                "path": "packages/shop-app/src/shop_app/migrations/0002_fill.py",
                "line": 12,
                "object": "shop_app.migrations.0002_fill",
                "description": "RunPython forwards cannot be reversed (no reverse_code): a "
                "rollback needs a restore",
                "bump": "major",
                "fragment_types": ["breaking", "migration"],
                "summary": "0002_fill.py RunPython forwards cannot be reversed (no reverse_code): "
                "a rollback needs a restore: major",
                "operation": "RunPython: Raw Python operation",
                "statement": None,
            }
        ],
        "unclassified": [],
        "operator_notes": [],
    }


def test_since_option(ws: SemverWorkspace, capsys: pytest.CaptureFixture[str]) -> None:
    # given: the change is committed, and compared with that commit
    ws.add_migration("0002_fill", "migrations.RunPython(forwards),")
    ws.commit("fill")

    # when
    code = _semver(ws, "shop-app", "--since", "HEAD")

    # then
    assert code == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"shop-app: none required since HEAD ({ws.head()[:12]})"
    )


def test_unknown_since_exits_2(ws: SemverWorkspace, capsys: pytest.CaptureFixture[str]) -> None:
    code = _semver(ws, "shop-app", "--since", "v9")

    assert code == 2
    assert capsys.readouterr().err.startswith("error[MR002]: --since 'v9' is not a commit in ")


def test_unparsable_migration_is_reported_unclassified(
    ws: SemverWorkspace, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    ws.write(f"{MIGRATIONS}/0002_broken.py", "class Migration(:\n")
    status_before = ws.status()

    # when
    code = _semver(ws, "shop-app")

    # then: semver informs (exit 0); the migration is named, with why it cannot be judged
    assert code == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        f"shop-app: major required since shop-app-v1.0.0 ({ws.head()[:12]})"
    )
    assert out.splitlines()[-2:] == [
        "  unclassified (a release is refused until each is declared):",
        "    0002_broken.py: does not import: SyntaxError: invalid syntax (0002_broken.py, line 1)",
    ]
    assert ws.status() == status_before


def test_operator_notes_are_printed(
    ws: SemverWorkspace, capsys: pytest.CaptureFixture[str]
) -> None:
    # given: an index on the existing invoice table
    ws.add_migration(
        "0002_number_index",
        'migrations.AddIndex("invoice", models.Index(fields=["number"], name="number_idx")),',
    )

    # when
    code = _semver(ws, "shop-app")

    # then
    assert code == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "  operator notes (each needs a `migration` or `breaking` fragment):",
        "    `0002_number_index`: builds index number_idx on existing table shop_app_invoice "
        "under a SHARE lock: writes wait until it is built (AddIndexConcurrently does not "
        "block them)",
    ]
