"""MR-IMPORT: imports between members follow declared dependencies and public modules."""

from __future__ import annotations

from pathlib import Path

from monorel_check_support import finding, run_check
from monorel_workspaces import MemberSpec, sample_members, write, write_workspace

PEOPLE = "packages/people-app/src/people_app"
LEDGER = "packages/ledger-app/src/ledger_app"


def test_declared_imports_of_public_modules_pass(ws: Path) -> None:
    # given the sample workspace: ledger_app.services imports people_app.api (declared)
    # when
    run = run_check(ws, "--rule", "imports")
    # then
    assert (run.code, run.findings) == (0, [])


def test_import_of_an_undeclared_member_is_reported(ws: Path) -> None:
    # given people-app importing ledger-app, which it does not declare
    write(ws / PEOPLE / "reports.py", "import os\nfrom ledger_app.api import entry_label\n")
    # when
    run = run_check(ws, "--rule", "imports")
    # then
    assert run.code == 1
    assert run.findings == [
        finding(
            "MR-IMPORT",
            f"{PEOPLE}/reports.py",
            2,
            "people_app.reports imports ledger_app.api, but people-app does not declare "
            "ledger-app in [project].dependencies",
            'declare "ledger-app>=1.0.0,<2" in packages/people-app/pyproject.toml '
            "(with ledger-app = { workspace = true } in [tool.uv.sources]), or remove the import",
        )
    ]


def test_import_of_a_private_module_is_reported_also_under_type_checking(ws: Path) -> None:
    # given ledger-app reaching into people_app.models, only for type checking
    write(
        ws / LEDGER / "typing_only.py",
        """
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from people_app.models import Person
        """,
    )
    # when
    run = run_check(ws, "--rule", "imports")
    # then
    assert run.findings == [
        finding(
            "MR-IMPORT",
            f"{LEDGER}/typing_only.py",
            4,
            "ledger_app.typing_only imports people_app.models, which is not a public module "
            "of people-app (public: people_app.api)",
            "import it from people_app.api (export it there if it is missing), or list the "
            "module in [tool.monorel.packages.people-app] public-modules",
        )
    ]


def test_public_modules_are_configurable_per_package(ws: Path) -> None:
    # given people_app.models declared public for people-app, and ledger importing it
    pyproject = ws / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + '\n[tool.monorel.packages.people-app]\npublic-modules = ["api", "models"]\n'
    )
    write(ws / LEDGER / "lookups.py", "def find():\n    from people_app.models import Person\n")
    # when
    run = run_check(ws, "--rule", "imports")
    # then
    assert (run.code, run.findings) == (0, [])


def test_a_library_importing_the_host_is_reported(ws: Path) -> None:
    # given ledger-app importing the host's gateway
    write(ws / LEDGER / "hooks.py", "from shop.gateways import FakeGateway\n")
    # when
    run = run_check(ws, "--rule", "MR-IMPORT")
    # then
    assert run.findings == [
        finding(
            "MR-IMPORT",
            f"{LEDGER}/hooks.py",
            1,
            "ledger_app.hooks imports shop.gateways: library ledger-app may not depend on "
            "shop, the host",
            "invert the dependency: define the interface in ledger-app and let shop plug its "
            "implementation in through a setting",
        )
    ]


def test_tools_are_checked_only_where_they_import_libraries(tmp_path: Path) -> None:
    # given two tool members: one imports the other (fine), one imports a library undeclared
    members = [
        *sample_members(),
        MemberSpec("lint-kit", directory="tools", django_app=False, role="tool"),
        MemberSpec(
            "release-kit",
            directory="tools",
            django_app=False,
            role="tool",
            modules={"cli.py": "import lint_kit\nimport people_app.api\n"},
        ),
    ]
    ws = write_workspace(tmp_path / "ws", members)
    # when
    run = run_check(ws, "--rule", "imports")
    # then
    assert run.findings == [
        finding(
            "MR-IMPORT",
            "tools/release-kit/src/release_kit/cli.py",
            2,
            "release_kit.cli imports people_app.api, but release-kit does not declare "
            "people-app in [project].dependencies",
            'declare "people-app>=1.0.0,<2" in tools/release-kit/pyproject.toml '
            "(with people-app = { workspace = true } in [tool.uv.sources]), or remove the import",
        )
    ]


def test_an_unparsable_module_is_reported_not_crashed_on(ws: Path) -> None:
    # given a module with a syntax error
    write(ws / PEOPLE / "broken.py", "def oops(:\n")
    # when
    run = run_check(ws, "--rule", "imports")
    # then
    assert run.code == 1
    assert [(f["rule"], f["path"], f["line"]) for f in run.findings] == [
        ("MR-IMPORT", f"{PEOPLE}/broken.py", 1)
    ]


LEDGER_TESTS = "packages/ledger-app/tests"


def test_tests_reaching_into_another_members_private_module_are_reported(ws: Path) -> None:
    # given ledger-app's tests using their own models (fine) and people_app.models (not)
    write(
        ws / LEDGER_TESTS / "test_entries.py",
        """
        from ledger_app.models import Entry
        from people_app.api import display_name


        def test_entry():
            from people_app.models import Person
        """,
    )
    # when
    run = run_check(ws, "--rule", "imports")
    # then
    assert run.findings == [
        finding(
            "MR-IMPORT",
            f"{LEDGER_TESTS}/test_entries.py",
            6,
            f"{LEDGER_TESTS}/test_entries.py imports people_app.models, which is not a public "
            "module of people-app (public: people_app.api)",
            "import it from people_app.api (export it there if it is missing), or list the "
            "module in [tool.monorel.packages.people-app] public-modules",
        )
    ]


def test_tests_may_use_a_member_their_dependency_groups_declare(ws: Path) -> None:
    # given people-app's tests using ledger-app, which people-app does not depend on
    people_tests = "packages/people-app/tests"
    write(ws / people_tests / "helpers" / "entries.py", "import ledger_app.api\n")
    # when undeclared
    undeclared = run_check(ws, "--rule", "imports")
    # then
    assert undeclared.findings == [
        finding(
            "MR-IMPORT",
            f"{people_tests}/helpers/entries.py",
            1,
            f"{people_tests}/helpers/entries.py imports ledger_app.api, but people-app does not "
            "declare ledger-app in [project].dependencies",
            'declare "ledger-app>=1.0.0,<2" in packages/people-app/pyproject.toml '
            "(with ledger-app = { workspace = true } in [tool.uv.sources]), or, for tests only, "
            "in one of its [dependency-groups], or remove the import",
        )
    ]
    # when a dependency group declares it
    pyproject = ws / "packages/people-app/pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[dependency-groups]\ntest = ["ledger-app"]\n')
    declared = run_check(ws, "--rule", "imports")
    # then
    assert (declared.code, declared.findings) == (0, [])


# -- names ---------------------------------------------------------------------------------

SHOP = "apps/shop/src/shop"


def _name_findings(ws: Path) -> list[tuple[str, int | None, str]]:
    run = run_check(ws, "--rule", "imports")
    return [(f["path"], f["line"], f["message"]) for f in run.findings]


def test_names_another_member_uses_must_be_public_names_of_the_module(ws: Path) -> None:
    # given people_app.api with a public, an unexported and a private name, and the shop
    # reaching names of it in each way an import can
    write(
        ws / PEOPLE / "api.py",
        """
        from people_app.models import Person

        __all__ = ["display_name"]


        def display_name(name: str) -> str:
            return name.title()


        def _slug(name: str) -> str:
            return name.lower()
        """,
    )
    write(
        ws / SHOP / "names.py",
        """
        import people_app.api
        import people_app.api as people
        from people_app import api
        from people_app.api import display_name, webhook_payload

        print(display_name, api.display_name, people.__all__, people_app.api.display_name)
        print(api.Person)
        print(people._slug("x"), getattr(api, "gone"))
        print(people_app.api.removed)
        """,
    )
    # when / then each name that is not public is a finding on its own line
    at = "(people-app 1.0.0 in the workspace)"
    assert _name_findings(ws) == [
        (
            f"{SHOP}/names.py",
            4,
            f"shop.names imports webhook_payload from people_app.api, which people_app.api "
            f"does not define {at}",
        ),
        (
            f"{SHOP}/names.py",
            7,
            "shop.names uses people_app.api.Person, which is not a public name of "
            "people_app.api (not in its __all__; people-app 1.0.0)",
        ),
        (
            f"{SHOP}/names.py",
            8,
            "shop.names uses people_app.api._slug, which is not a public name of "
            "people_app.api (not in its __all__; people-app 1.0.0)",
        ),
        (
            f"{SHOP}/names.py",
            8,
            f"shop.names uses people_app.api.gone, which people_app.api does not define {at}",
        ),
        (
            f"{SHOP}/names.py",
            9,
            f"shop.names uses people_app.api.removed, which people_app.api does not define {at}",
        ),
    ]


def test_re_exports_and_names_without_all_are_public(ws: Path) -> None:
    # given ledger_app.api re-exporting entry_label, and people_app.api without __all__
    write(ws / PEOPLE / "api.py", "def display_name(name):\n    return name\n\n_hidden = 1\n")
    write(
        ws / SHOP / "more.py",
        "from ledger_app.api import entry_label\n"
        "from people_app.api import display_name, _hidden\n",
    )
    # when / then the re-export and the public name pass; the _private one does not
    assert _name_findings(ws) == [
        (
            f"{SHOP}/more.py",
            2,
            "shop.more imports _hidden from people_app.api, which is not a public name of "
            "people_app.api (a _private name; people-app 1.0.0)",
        )
    ]


def test_names_that_cannot_be_told_statically_are_unknown_never_ok(ws: Path) -> None:
    # given people_app.api with a star import and ledger_app.api with a module __getattr__
    # and a computed __all__; the shop uses a name of each that neither defines, and
    # star-imports one of them
    write(
        ws / PEOPLE / "api.py",
        "from people_app.models import *\n\n\ndef display_name(name):\n    return name\n",
    )
    write(
        ws / LEDGER / "api.py",
        """
        from ledger_app.services import entry_label

        __all__ = [name for name in ("entry_label", "extra")]


        def __getattr__(name):
            raise AttributeError(name)
        """,
    )
    write(
        ws / SHOP / "views.py",
        "from ledger_app.api import entry_label, lazy\nfrom people_app.api import Person\n",
    )
    write(ws / SHOP / "star.py", "from people_app.api import *\n")
    # when
    run = run_check(ws, "--rule", "imports")
    # then each is a finding saying why it cannot be told
    assert [(f["path"], f["line"], f["message"]) for f in run.findings] == [
        (
            f"{SHOP}/star.py",
            1,
            "shop.star star-imports people_app.api: which of its names it uses cannot be told "
            "statically",
        ),
        (
            f"{SHOP}/views.py",
            1,
            "shop.views imports entry_label from ledger_app.api, and whether ledger_app.api "
            "(ledger-app 1.0.0) defines it as a public name cannot be told statically: "
            "__all__ is computed at line 3",
        ),
        (
            f"{SHOP}/views.py",
            1,
            "shop.views imports lazy from ledger_app.api, and whether ledger_app.api "
            "(ledger-app 1.0.0) defines it as a public name cannot be told statically: "
            "a module-level __getattr__ at line 6",
        ),
        (
            f"{SHOP}/views.py",
            2,
            "shop.views imports Person from people_app.api, and whether people_app.api "
            "(people-app 1.0.0) defines it as a public name cannot be told statically: "
            "a star import at line 1",
        ),
    ]
    assert run.findings[0]["fix"] == (
        "import the names it uses explicitly (from people_app.api import A, B)"
    )
