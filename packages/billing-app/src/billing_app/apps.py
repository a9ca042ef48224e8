from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing_app"
    label = "billing_app"
    verbose_name = "Billing"
    # set here, not left to the project's DEFAULT_AUTO_FIELD: the migrations ship with the package
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # registered here, not at import time: importing the package has no side effects
        from django.core import checks

        from billing_app.checks import check_payment_gateway, check_webhook_sink

        checks.register(check_payment_gateway)
        checks.register(check_webhook_sink)
