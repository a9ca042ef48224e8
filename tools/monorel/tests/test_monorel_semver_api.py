"""`monorel semver`: public API breakages (major) and additions (minor), via griffe."""

from __future__ import annotations

from pathlib import Path

import pytest
from monorel.errors import SourceParseError
from monorel_semver_fixtures import (
    API,
    PACKAGE_DIR,
    SemverWorkspace,
    copy_workspace,
    release_workspace,
    summaries,
)

SERVICES = f"{PACKAGE_DIR}/_services.py"
VOID = """def void_invoice(invoice_id: int, reason: str = "") -> None:
    _services.void_invoice(invoice_id, reason)
"""


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return release_workspace(tmp_path_factory.mktemp("semver-api") / "template")


@pytest.fixture
def ws(released: Path, tmp_path: Path) -> SemverWorkspace:
    return copy_workspace(released, tmp_path / "ws")


# ------------------------------------------------------------------ breakages: major


def test_removed_function_requires_major(ws: SemverWorkspace) -> None:
    # given: void_invoice is deleted from api.py and from __all__
    ws.replace(API, VOID, "")
    ws.replace(API, '"refund", "void_invoice"]', '"refund"]')

    # when
    verdict = ws.verdict()

    # then
    assert verdict.bump == "major"
    assert summaries(verdict) == [("api.object-removed", "api.py removes void_invoice: major")]
    item = verdict.evidence[0]
    assert (item.path, item.line, item.obj) == (
        "packages/shop-app/src/shop_app/api.py",
        None,
        "shop_app.api.void_invoice",
    )
    assert item.fragment_types == ("breaking",)


def test_name_dropped_from_all_is_removed_even_if_still_defined(ws: SemverWorkspace) -> None:
    # given: void_invoice stays defined but is no longer exported (__all__ decides)
    ws.replace(API, '"refund", "void_invoice"]', '"refund"]')

    # when
    verdict = ws.verdict()

    # then
    assert summaries(verdict) == [
        (
            "api.object-unexported",
            "api.py removes void_invoice from the public names (still defined): major",
        )
    ]
    assert verdict.evidence[0].line == 28


@pytest.mark.parametrize(
    "emptied",
    ["__all__ = []", "__all__: list[str] = []", "__all__ = ()", '__all__ = ["Ledger"] + []'],
)
def test_emptying_all_unexports_every_name_it_listed(ws: SemverWorkspace, emptied: str) -> None:
    # given: __all__ emptied (griffe alone reads this as "every public-looking name")
    ws.replace(
        API,
        '__all__ = ["InvoiceRef", "Ledger", "create_invoice", "refund", "void_invoice"]',
        emptied,
    )

    # when
    verdict = ws.verdict()

    # then every name it no longer lists is unexported, and __all__ itself is no new name
    assert verdict.bump == "major"
    gone = sorted(
        {"InvoiceRef", "Ledger", "create_invoice", "refund", "void_invoice"}
        - ({"Ledger"} if "Ledger" in emptied else set())
    )
    assert sorted(summaries(verdict)) == [
        (
            "api.object-unexported",
            f"api.py removes {name} from the public names (still defined): major",
        )
        for name in gone
    ]


@pytest.mark.parametrize(
    ("computed", "what"),
    [
        ("__all__ = [n for n in dir() if not n.startswith('_')]", "__all__ is computed at line"),
        ("__all__ = list(_NAMES)", "__all__ is computed at line"),
        ('__all__ = ["Ledger"]\nif True:\n    __all__.append("refund")', "bound inside"),
    ],
)
def test_a_computed_all_is_an_error_not_a_guess(
    ws: SemverWorkspace, computed: str, what: str
) -> None:
    # given: an __all__ that only running the module would tell
    ws.replace(
        API,
        '__all__ = ["InvoiceRef", "Ledger", "create_invoice", "refund", "void_invoice"]',
        computed.replace("\\n", "\n"),
    )

    # when / then the verdict refuses, naming the line (MR030), and says no bump
    with pytest.raises(SourceParseError) as raised:
        ws.verdict()
    assert raised.value.code == "MR030"
    assert (
        "public module shop_app.api in the working tree: api.py: __all__ " in raised.value.message
    )
    assert what in raised.value.message
    assert raised.value.message.endswith(": its API cannot be told")


def test_removed_parameter_requires_major(ws: SemverWorkspace) -> None:
    # given
    ws.replace(
        API, 'void_invoice(invoice_id: int, reason: str = "")', "void_invoice(invoice_id: int)"
    )

    # when
    verdict = ws.verdict()

    # then
    assert verdict.bump == "major"
    assert summaries(verdict) == [
        ("api.parameter-removed", "api.py removes parameter void_invoice(reason): major")
    ]
    assert verdict.evidence[0].line == 28  # the def in api.py


def test_new_required_parameter_requires_major(ws: SemverWorkspace) -> None:
    # given
    ws.replace(API, "amount: str) -> InvoiceRef", "amount: str, currency: str) -> InvoiceRef")

    # when
    verdict = ws.verdict()

    # then
    assert summaries(verdict) == [
        (
            "api.parameter-added-required",
            "api.py adds required parameter create_invoice(currency): major",
        )
    ]


def test_renamed_parameter_is_one_rename_not_a_removal_plus_an_addition(
    ws: SemverWorkspace,
) -> None:
    # given: amount -> total, same position and kind
    ws.replace(API, "amount: str) -> InvoiceRef", "total: str) -> InvoiceRef")

    # when
    verdict = ws.verdict()

    # then
    assert summaries(verdict) == [
        ("api.parameter-renamed", "api.py renames parameter create_invoice(amount) to total: major")
    ]


def test_optional_parameter_made_required_requires_major(ws: SemverWorkspace) -> None:
    # given
    ws.replace(API, 'reason: str = "")', "reason: str)")

    # when
    verdict = ws.verdict()

    # then
    assert summaries(verdict) == [
        (
            "api.parameter-changed-required",
            "api.py makes parameter void_invoice(reason) required: major",
        )
    ]


def test_class_becoming_a_function_is_a_kind_change(ws: SemverWorkspace) -> None:
    # given
    ws.replace(
        API,
        "class Ledger:\n    def balance(self, account_id: int) -> int:\n        return 0",
        "def Ledger() -> None:\n    pass",
    )

    # when
    verdict = ws.verdict()

    # then
    assert summaries(verdict) == [
        ("api.object-changed-kind", "api.py changes Ledger from class to function: major")
    ]


def test_breakage_in_a_re_exported_function_is_named_by_its_public_name(
    ws: SemverWorkspace,
) -> None:
    # given: api.py re-exports _services.refund; its keyword amount is removed there
    ws.replace(
        SERVICES, "def refund(invoice_id: int, *, amount: str)", "def refund(invoice_id: int)"
    )

    # when
    verdict = ws.verdict()

    # then: reported against api.py's name, at the import line that makes it public
    assert summaries(verdict) == [
        ("api.parameter-removed", "api.py removes parameter refund(amount): major")
    ]
    assert (verdict.evidence[0].obj, verdict.evidence[0].line) == (
        "shop_app.api.refund(amount)",
        8,
    )


def test_new_required_dataclass_field_breaks_its_constructor(ws: SemverWorkspace) -> None:
    # given
    ws.replace(API, "    number: str\n", "    number: str\n    currency: str\n")

    # when
    verdict = ws.verdict()

    # then: the generated __init__ gains a required parameter; the field itself is new
    assert summaries(verdict) == [
        (
            "api.parameter-added-required",
            "api.py adds required parameter InvoiceRef.__init__(currency): major",
        ),
        ("api.object-added", "api.py adds InvoiceRef.currency: minor"),
    ]


def test_removed_public_module_requires_major(ws: SemverWorkspace) -> None:
    # given
    (ws.root / API).unlink()

    # when
    verdict = ws.verdict()

    # then
    assert summaries(verdict) == [
        ("api.module-removed", "api.py removes public module shop_app.api: major")
    ]


# ------------------------------------------------------------------ additions: minor


def test_new_public_function_requires_minor(ws: SemverWorkspace) -> None:
    # given
    ws.replace(API, '"void_invoice"]', '"void_invoice", "reopen_invoice"]')
    ws.write(API, ws.read(API) + "\n\ndef reopen_invoice(invoice_id: int) -> None:\n    pass\n")

    # when
    verdict = ws.verdict()

    # then
    assert verdict.bump == "minor"
    assert summaries(verdict) == [("api.object-added", "api.py adds reopen_invoice: minor")]
    assert verdict.evidence[0].line == 40
    assert verdict.evidence[0].fragment_types == ()


def test_new_optional_parameter_requires_minor(ws: SemverWorkspace) -> None:
    # given
    ws.replace(API, "amount: str) -> InvoiceRef", 'amount: str, note: str = "") -> InvoiceRef')

    # when
    verdict = ws.verdict()

    # then
    assert summaries(verdict) == [
        (
            "api.parameter-added-optional",
            "api.py adds optional parameter create_invoice(note): minor",
        )
    ]


def test_required_parameter_made_optional_requires_minor(ws: SemverWorkspace) -> None:
    # given
    ws.replace(API, "*, account_id: int, amount: str)", '*, account_id: int, amount: str = "0")')

    # when
    verdict = ws.verdict()

    # then
    assert summaries(verdict) == [
        (
            "api.parameter-made-optional",
            "api.py makes parameter create_invoice(amount) optional: minor",
        )
    ]


def test_new_public_method_requires_minor(ws: SemverWorkspace) -> None:
    # given
    ws.replace(
        API,
        "        return 0\n",
        "        return 0\n\n"
        "    def history(self, account_id: int) -> list[int]:\n"
        "        return []\n",
    )

    # when
    verdict = ws.verdict()

    # then
    assert summaries(verdict) == [("api.object-added", "api.py adds Ledger.history: minor")]


def test_name_added_outside_all_is_not_public(ws: SemverWorkspace) -> None:
    # given: a new function that __all__ does not list, and a private one
    ws.write(API, ws.read(API) + "\n\ndef also_not_exported() -> None:\n    pass\n")
    ws.replace(
        API, "def _internal() -> int:\n    return 1", "def _internal() -> int:\n    return 2"
    )

    # when
    verdict = ws.verdict()

    # then: only the code changed
    assert verdict.bump == "patch"
    assert summaries(verdict) == [
        (
            "code.changed",
            "shop_app changes 1 file with no public API, migration or settings effect: patch",
        )
    ]
