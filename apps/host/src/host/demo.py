"""``uv run host-demo``: bring the host up with migrations and the seed data, then summarise.

Steps: ``migrate``, ``loaddata seed`` on a database without accounts, ``check``, then print
row counts and URLs. The seed is loaded only once: loading it again would reset the seeded
invoices' totals while payments made since stay, leaving them inconsistent. ``--serve`` then
runs Django's development server on 127.0.0.1:8000 (``--addrport`` to change).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

_DEFAULT_ADDRPORT = "127.0.0.1:8000"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="host-demo", description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="run the development server")
    parser.add_argument("--addrport", default=_DEFAULT_ADDRPORT, help="host:port for --serve")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "host.settings")
    import django
    from django.core.management import call_command

    django.setup()
    from django.apps import apps

    call_command("migrate", interactive=False, verbosity=0)
    # counted through Django's app registry (a string reference), not package internals
    seeded = not apps.get_model("accounts_app", "Account").objects.exists()
    if seeded:
        call_command("loaddata", "seed", verbosity=0)
    call_command("check")
    print("seed:     " + ("loaded" if seeded else "skipped (the database already has accounts)"))
    print(summary(args.addrport))
    if args.serve:
        sys.stdout.flush()
        # no autoreloader: it would re-run this whole script in a child process
        call_command("runserver", args.addrport, use_reloader=False)
    return 0


def summary(addrport: str) -> str:
    from django.apps import apps
    from django.conf import settings
    from django.db.models import Count

    from host.envconfig import DEV_API_TOKEN

    account = apps.get_model("accounts_app", "Account")
    invoice = apps.get_model("billing_app", "Invoice")
    payment = apps.get_model("billing_app", "Payment")
    by_status = dict(
        invoice.objects.values_list("status").annotate(n=Count("id")).order_by("status")
    )
    # the dev default is no secret (it is in the source); a configured token is never printed
    token = DEV_API_TOKEN if DEV_API_TOKEN in settings.HOST_API_TOKENS else "<HOST_API_TOKENS>"
    database = settings.DATABASES["default"]
    base = f"http://{addrport}"
    statuses = ", ".join(f"{status} {count}" for status, count in sorted(by_status.items()))
    return "\n".join(
        [
            f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}",
            f"accounts: {account.objects.count()}",
            f"invoices: {invoice.objects.count()} ({statuses})",
            f"payments: {payment.objects.count()}",
            f"admin:    {base}/admin/  (create a user: uv run apps/host/manage.py createsuperuser)",
            f"api:      {base}/api/invoices/1  (header Authorization: Bearer {token})",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())
