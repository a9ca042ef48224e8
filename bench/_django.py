"""Django for the benchmark children (backfill, billing): billing-app on a given database.

Configured in code, not from a settings module: the benchmarks need exactly the two
domain apps, a gateway that answers at once, and no webhook delivery.
"""

from __future__ import annotations

import threading
import uuid

_lock = threading.Lock()
charges = 0


class InstantGateway:
    """Accepts every charge at once: the benchmark measures billing, not a provider."""

    def charge(self, request):
        from billing_app.api import ChargeResult

        global charges
        with _lock:
            charges += 1
        return ChargeResult(reference=f"bench-{uuid.uuid4().hex[:16]}")


def drop_webhook(payload) -> None:
    """The webhook sink: delivery is not what is measured."""


def setup(database_url: str) -> None:
    import dj_database_url
    import django
    from django.conf import settings

    database = dj_database_url.parse(database_url, conn_max_age=None)
    settings.configure(
        SECRET_KEY="bench",
        USE_TZ=True,
        TIME_ZONE="UTC",
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "accounts_app.apps.AccountsConfig",
            "billing_app.apps.BillingConfig",
        ],
        DATABASES={"default": database},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        BILLING_PAYMENT_GATEWAY="bench._django.InstantGateway",
        BILLING_WEBHOOK_SINK="bench._django.drop_webhook",
        LOGGING_CONFIG=None,
    )
    django.setup()
