"""A minimal Django project that uses accounts-app and billing-app as installed wheels."""
