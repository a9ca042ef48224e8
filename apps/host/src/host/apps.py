from django.apps import AppConfig


class HostConfig(AppConfig):
    name = "host"
    verbose_name = "Host"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from host import checks  # noqa: F401 - registers the deploy checks
