"""Settings for running billing-app's tests on their own (``cd packages/billing-app && pytest``).

DATABASE_URL (e.g. postgres://...) selects the database; default SQLite. SQLite gets
``BEGIN IMMEDIATE`` transactions so concurrent writers queue instead of failing, and its test
database is a file, not shared-cache memory, so threads really wait on each other's locks.
"""

import os
import tempfile

import dj_database_url

SECRET_KEY = "billing-app-tests-only"
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "accounts_app.apps.AccountsConfig",
    "billing_app.apps.BillingConfig",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
ROOT_URLCONF = "billing_app_test_urls"
DATABASES = {
    "default": dj_database_url.parse(os.environ.get("DATABASE_URL") or "sqlite://:memory:")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    # shared-cache memory databases fail a waiting writer at once ("database table is locked")
    # instead of letting it wait for the lock; a file makes the busy timeout apply
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"billing-app-tests-{os.getpid()}.sqlite3")
    }
# deliberately not BigAutoField: the apps' own default_auto_field must win
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

BILLING_PAYMENT_GATEWAY = "billing_fakes.RecordingGateway"
BILLING_WEBHOOK_SINK = "billing_fakes.record_webhook"
