"""Settings of the consumer example: the two domain apps, SQLite, an offline gateway.

Nothing here comes from the monorepo: the apps are whatever pip installed.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("CONSUMER_SECRET_KEY", "consumer-example-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "consumer_site.urls"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "accounts_app.apps.AccountsConfig",
    "billing_app.apps.BillingConfig",
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }
}

# billing_app's pluggable gateway (checked by billing_app.E001/E002)
BILLING_PAYMENT_GATEWAY = "consumer_site.payments.OfflineGateway"
