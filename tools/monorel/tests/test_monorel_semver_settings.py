"""`monorel semver`: a new system check error is a new required host setting (major)."""

from __future__ import annotations

from pathlib import Path

import pytest
from monorel_semver_fixtures import (
    PACKAGE_DIR,
    SemverWorkspace,
    copy_workspace,
    release_workspace,
    summaries,
)

CHECKS = f"{PACKAGE_DIR}/checks.py"
RETURN = "    return errors\n"


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return release_workspace(tmp_path_factory.mktemp("semver-settings") / "template")


@pytest.fixture
def ws(released: Path, tmp_path: Path) -> SemverWorkspace:
    return copy_workspace(released, tmp_path / "ws")


def test_new_check_error_id_requires_major(ws: SemverWorkspace) -> None:
    # given: a new Error id for a new setting
    ws.replace(
        CHECKS,
        RETURN,
        '    if not getattr(settings, "SHOP_TAX_RATE", None):\n'
        '        errors.append(checks.Error("SHOP_TAX_RATE is not set", id="shop_app.E002"))\n'
        + RETURN,
    )

    # when
    verdict = ws.verdict()

    # then
    assert verdict.bump == "major"
    assert summaries(verdict) == [
        (
            "settings.new-check-error",
            "checks.py adds system check error shop_app.E002 (a new required setting): major",
        )
    ]
    item = verdict.evidence[0]
    assert (item.path, item.line, item.obj, item.fragment_types) == (
        "packages/shop-app/src/shop_app/checks.py",
        10,
        "shop_app.E002",
        ("breaking",),
    )


def test_new_error_imported_by_name_counts_too(ws: SemverWorkspace) -> None:
    # given: `from django.core.checks import Error` in apps.py
    ws.write(
        f"{PACKAGE_DIR}/apps.py",
        ws.read(f"{PACKAGE_DIR}/apps.py")
        + "\n\nfrom django.core.checks import Error\n\n\n"
        + "def check_mode(**kwargs):\n"
        + '    return [Error("SHOP_MODE is not set", id="shop_app.E010")]\n',
    )

    # when
    verdict = ws.verdict()

    # then
    assert summaries(verdict) == [
        (
            "settings.new-check-error",
            "apps.py adds system check error shop_app.E010 (a new required setting): major",
        )
    ]


def test_new_warning_is_not_a_required_setting(ws: SemverWorkspace) -> None:
    # given: a Warning (does not block a deploy)
    ws.replace(
        CHECKS,
        RETURN,
        '    errors.append(checks.Warning("SHOP_LEGACY is deprecated", id="shop_app.W001"))\n'
        + RETURN,
    )

    # when
    verdict = ws.verdict()

    # then
    assert verdict.bump == "patch"
    assert [item.kind for item in verdict.evidence] == ["code.changed"]


def test_reworded_existing_check_is_not_new(ws: SemverWorkspace) -> None:
    # given: E001 keeps its id, its message changes
    ws.replace(CHECKS, '"SHOP_CURRENCY is not set"', '"set SHOP_CURRENCY, e.g. EUR"')

    # when
    verdict = ws.verdict()

    # then
    assert verdict.bump == "patch"
    assert [item.kind for item in verdict.evidence] == ["code.changed"]


def test_error_spelled_in_other_unicode_forms_counts_too(ws: SemverWorkspace) -> None:
    # given: a module that calls Error through a name Python reads NFKC-normalised
    # (fullwidth capital E), in a file whose only other text is plain
    ws.write(
        f"{PACKAGE_DIR}/extra_checks.py",
        "from django.core import checks\n\n\n"
        "def check_region(**kwargs):\n"
        '    return [checks.\uff25rror("SHOP_REGION is not set", id="shop_app.E011")]\n',
    )

    # when
    verdict = ws.verdict()

    # then: it is the same call as checks.Error(...)
    assert summaries(verdict) == [
        (
            "settings.new-check-error",
            "extra_checks.py adds system check error shop_app.E011 (a new required setting): major",
        )
    ]
