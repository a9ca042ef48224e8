"""Admin for looking at billing data. Money and status are read-only here: they change only
through the services (InvoiceService, apply_payment), where the rules live."""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from billing_app.models import Invoice, InvoiceLine, Payment


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    readonly_fields = ["description", "quantity", "unit_price"]

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    readonly_fields = ["amount", "currency", "gateway_reference", "idempotency_key", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "account_id",
        "status",
        "currency",
        "total",
        "amount_paid",
        "due_date",
    ]
    list_filter = ["status", "currency", "due_date"]
    search_fields = ["number", "=account_id"]
    inlines = [InvoiceLineInline, PaymentInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["id", "invoice", "amount", "currency", "gateway_reference", "created_at"]
    search_fields = ["gateway_reference", "idempotency_key", "invoice__number"]
    list_select_related = ["invoice"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
