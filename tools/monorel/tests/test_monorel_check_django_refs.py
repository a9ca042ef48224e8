"""MR-DJREF: Django string references are dependency edges too."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from monorel.checks.django_refs import Reference, references
from monorel_check_support import finding, run_check
from monorel_workspaces import write

PEOPLE = "packages/people-app"


def test_every_kind_of_string_reference_is_read_from_the_ast() -> None:
    # given a module using each construct (and strings that are not references)
    source = textwrap.dedent(
        """
        from django.apps import apps
        from django.db import models
        from django.urls import include, path
        from django.utils.module_loading import import_string

        class Entry(models.Model):
            person = models.ForeignKey("people_app.Person", on_delete=models.CASCADE)
            other = models.OneToOneField(to="crm.Contact", on_delete=models.CASCADE)
            tags = models.ManyToManyField("Tag", through="tagging.Link")
            me = models.ForeignKey("self", on_delete=models.CASCADE)

        Person = apps.get_model("people_app", "Person")
        Invoice = apps.get_model("billing.Invoice")
        config = apps.get_app_config("crm")
        urlpatterns = [path("x/", include("ledger_app.urls")), path("y/", include(("a.urls", "a")))]
        gateway = import_string("shop.gateways.FakeGateway")
        NOT_A_SETTING = "ledger_app.api.entry_label"
        """
    )
    # when
    found = list(references(ast.parse(source), settings=False))
    # then
    assert found == [
        Reference("people_app.Person", "people_app", "ForeignKey target", 8),
        Reference("crm.Contact", "crm", "OneToOneField target", 9),
        Reference("tagging.Link", "tagging", "ManyToManyField target", 10),
        Reference("people_app", "people_app", "get_model", 13),
        Reference("billing.Invoice", "billing", "get_model", 14),
        Reference("crm", "crm", "get_app_config", 15),
        Reference("ledger_app.urls", "ledger_app", "include", 16),
        Reference("a.urls", "a", "include", 16),
        Reference("shop.gateways.FakeGateway", "shop", "import_string", 17),
    ]


def test_settings_name_dotted_paths_and_installed_apps() -> None:
    # given a settings module
    source = textwrap.dedent(
        """
        import os
        INSTALLED_APPS = ["django.contrib.auth", "people_app"]
        GATEWAY = os.environ.get("GATEWAY", "shop.gateways.FakeGateway")
        TIME_ZONE = "UTC"
        _PRIVATE = "ledger_app.api"
        names = "ledger_app.api"
        """
    )
    # when
    found = list(references(ast.parse(source), settings=True))
    # then
    assert found == [
        Reference("django.contrib.auth", "django", "setting INSTALLED_APPS", 3),
        Reference("people_app", "people_app", "setting INSTALLED_APPS", 3),
        Reference("shop.gateways.FakeGateway", "shop", "setting GATEWAY", 4),
    ]


def test_declared_references_pass(ws: Path) -> None:
    # given the sample workspace (FK people_app.Person, include ledger_app.urls, INSTALLED_APPS)
    # when
    run = run_check(ws, "--rule", "django-refs")
    # then
    assert (run.code, run.findings) == (0, [])


def test_get_model_of_an_undeclared_member_is_reported(ws: Path) -> None:
    # given people-app reading ledger-app's model by its label
    write(
        ws / PEOPLE / "src/people_app/lookups.py",
        """
        from django.apps import apps


        def entries():
            return apps.get_model("ledger_app", "Entry").objects.all()
        """,
    )
    # when
    run = run_check(ws, "--rule", "django-refs")
    # then
    assert run.code == 1
    assert run.findings == [
        finding(
            "MR-DJREF",
            f"{PEOPLE}/src/people_app/lookups.py",
            5,
            'get_model "ledger_app" points into ledger-app, but people-app does not declare '
            "ledger-app in [project].dependencies",
            'declare "ledger-app>=1.0.0,<2" in packages/people-app/pyproject.toml, '
            "or remove the reference",
        )
    ]


def test_a_library_setting_that_names_a_host_class_is_reported(ws: Path) -> None:
    # given people-app's own test settings naming the host's gateway
    settings = ws / PEOPLE / "tests/people_app_test_settings.py"
    settings.write_text(settings.read_text() + 'PEOPLE_GATEWAY = "shop.gateways.FakeGateway"\n')
    # when
    run = run_check(ws, "--rule", "django-refs")
    # then
    assert run.findings == [
        finding(
            "MR-DJREF",
            f"{PEOPLE}/tests/people_app_test_settings.py",
            9,
            'setting PEOPLE_GATEWAY "shop.gateways.FakeGateway" points into shop, the host: '
            "library people-app may not depend on it",
            "move what people-app needs into people-app (or a library it declares); "
            "let the host plug implementations in through settings",
        )
    ]


def test_host_references_to_an_undeclared_member_are_reported(ws: Path) -> None:
    # given the host no longer declaring ledger-app, while installing and routing to it
    pyproject = ws / "apps/shop/pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('    "ledger-app==1.0.0",\n', ""))
    # when
    run = run_check(ws, "--rule", "django-refs")
    # then
    fix = 'declare "ledger-app>=1.0.0,<2" in apps/shop/pyproject.toml, or remove the reference'
    assert run.findings == [
        finding(
            "MR-DJREF",
            "apps/shop/src/shop/settings.py",
            8,
            'setting INSTALLED_APPS "ledger_app" points into ledger-app, but shop does not '
            "declare ledger-app in [project].dependencies",
            fix,
        ),
        finding(
            "MR-DJREF",
            "apps/shop/src/shop/urls.py",
            3,
            'include "ledger_app.urls" points into ledger-app, but shop does not declare '
            "ledger-app in [project].dependencies",
            fix,
        ),
    ]
