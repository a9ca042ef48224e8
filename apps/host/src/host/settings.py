"""Settings of the host project, all from the environment (see README and ``host.envconfig``).

Environment:
  DJANGO_SECRET_KEY       required in production; a dev-only default otherwise
  DJANGO_DEBUG            default true (development); set false in production
  DJANGO_ALLOWED_HOSTS    comma-separated, default "127.0.0.1,localhost"
  DATABASE_URL            e.g. postgres://user@host:5432/name; default SQLite in $HOST_DATA_DIR
  HOST_DATA_DIR           directory of the default SQLite file (default: apps/host/)
  BILLING_PAYMENT_GATEWAY dotted path of the gateway class (default host.payments.FakeGateway)
  HOST_GATEWAY_URL        endpoint of host.payments.HttpGateway (only used by that gateway)
  HOST_GATEWAY_TIMEOUT    seconds, default 10
  HOST_API_TOKENS         comma-separated bearer tokens of the JSON API, several while one
                          is rotated (dev-only default; `manage.py check --deploy` refuses it)
  HOST_WEBHOOK_SECRET     shared secret of inbound webhooks (dev-only default, refused too)
  HOST_WEBHOOK_TOLERANCE  seconds a signed timestamp stays valid, default 300
  HOST_API_MAX_BODY_BYTES largest JSON API request body, default 65536 (413 above)
  HOST_API_MAX_DEPTH      deepest nesting of a JSON API body, default 32
  HOST_OUTBOUND_WEBHOOK_URL           where `manage.py deliver_webhooks` POSTs billing's
                                      webhooks (unset: they stay queued)
  HOST_OUTBOUND_WEBHOOK_SECRET        signs them (X-Signature; dev-only default, refused by
                                      `check --deploy` once a URL is set)
  HOST_OUTBOUND_WEBHOOK_TIMEOUT       seconds for a whole attempt (connect, send, the entire
                                      answer), default 10
  HOST_OUTBOUND_WEBHOOK_MAX_ATTEMPTS  attempts before a webhook is given up, default 8
"""

from __future__ import annotations

import os

from host.envconfig import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_DEPTH,
    DEV_API_TOKEN,
    DEV_OUTBOUND_SECRET,
    DEV_WEBHOOK_SECRET,
    database_config,
    env_bool,
    env_int,
    env_list,
)

_env = os.environ

# The "django-insecure-" prefix makes `manage.py check --deploy` flag it (security.W009).
SECRET_KEY = _env.get("DJANGO_SECRET_KEY") or "django-insecure-dev-only-host-secret-key-change-me"
DEBUG = env_bool(_env, "DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env_list(_env, "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "accounts_app.apps.AccountsConfig",
    "billing_app.apps.BillingConfig",
    # django-ninja: its templates and static files serve the API docs page (/api/docs)
    "ninja",
    "host",
]

MIDDLEWARE = [
    # first: every answer carries X-Request-Id, and /api/ answers JSON even for what the
    # rest of the stack refuses (405) or breaks on (500)
    "host.middleware.ApiMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "host.urls"
WSGI_APPLICATION = "host.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database_config(_env)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

# --- domain packages ----------------------------------------------------------------------
BILLING_PAYMENT_GATEWAY = _env.get("BILLING_PAYMENT_GATEWAY", "host.payments.FakeGateway")
BILLING_WEBHOOK_SINK = "host.webhooks.queue_outbound_webhook"

# --- host ---------------------------------------------------------------------------------
HOST_GATEWAY_URL = _env.get("HOST_GATEWAY_URL", "")
HOST_GATEWAY_TIMEOUT = env_int(_env, "HOST_GATEWAY_TIMEOUT", default=10)
HOST_API_TOKENS = env_list(_env, "HOST_API_TOKENS", default=[DEV_API_TOKEN])
HOST_WEBHOOK_SECRET = _env.get("HOST_WEBHOOK_SECRET") or DEV_WEBHOOK_SECRET
HOST_WEBHOOK_TOLERANCE = env_int(_env, "HOST_WEBHOOK_TOLERANCE", default=300)
HOST_API_MAX_BODY_BYTES = env_int(_env, "HOST_API_MAX_BODY_BYTES", default=DEFAULT_MAX_BODY_BYTES)
HOST_API_MAX_DEPTH = env_int(_env, "HOST_API_MAX_DEPTH", default=DEFAULT_MAX_DEPTH)
HOST_OUTBOUND_WEBHOOK_URL = _env.get("HOST_OUTBOUND_WEBHOOK_URL", "")
HOST_OUTBOUND_WEBHOOK_SECRET = _env.get("HOST_OUTBOUND_WEBHOOK_SECRET") or DEV_OUTBOUND_SECRET
HOST_OUTBOUND_WEBHOOK_TIMEOUT = env_int(_env, "HOST_OUTBOUND_WEBHOOK_TIMEOUT", default=10)
HOST_OUTBOUND_WEBHOOK_MAX_ATTEMPTS = env_int(_env, "HOST_OUTBOUND_WEBHOOK_MAX_ATTEMPTS", default=8)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"host": {"handlers": ["console"], "level": "INFO"}},
}
