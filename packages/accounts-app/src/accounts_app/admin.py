from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts_app import _services
from accounts_app._errors import AccountsError
from accounts_app.models import Account


def _apply(
    request: HttpRequest, queryset: QuerySet[Account], change: Callable[..., object], verb: str
) -> None:
    for account in queryset:
        try:
            change(account_id=account.pk)
        except AccountsError as exc:
            messages.error(request, f"{account}: {exc}")
        else:
            messages.success(request, f"{account.name}: {verb}")


@admin.action(description="Suspend selected accounts")
def suspend(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    _apply(request, queryset, _services.suspend_account, "suspended")


@admin.action(description="Reactivate selected accounts")
def reactivate(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    _apply(request, queryset, _services.reactivate_account, "reactivated")


@admin.action(description="Close selected accounts")
def close(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    _apply(request, queryset, _services.close_account, "closed")


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "email", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "email"]
    # status changes go through the services (actions below) so the transition table applies
    readonly_fields = ["status", "created_at"]
    actions = [suspend, reactivate, close]
