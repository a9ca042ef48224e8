from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts_app"
    label = "accounts_app"
    verbose_name = "Accounts"
    # set here, not left to the project's DEFAULT_AUTO_FIELD: the migrations ship with the package
    default_auto_field = "django.db.models.BigAutoField"
