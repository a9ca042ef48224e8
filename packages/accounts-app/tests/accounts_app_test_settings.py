"""Settings for running accounts-app's tests on their own (``cd packages/accounts-app && pytest``).

DATABASE_URL (e.g. postgres://...) selects the database; default in-memory SQLite. SQLite gets
``BEGIN IMMEDIATE`` transactions so concurrent writers queue instead of failing.
"""

import os

import dj_database_url

SECRET_KEY = "accounts-app-tests-only"
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "accounts_app.apps.AccountsConfig",
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
ROOT_URLCONF = "accounts_app_test_urls"
DATABASES = {
    "default": dj_database_url.parse(os.environ.get("DATABASE_URL") or "sqlite://:memory:")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
# deliberately not BigAutoField: the app's own default_auto_field must win
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
