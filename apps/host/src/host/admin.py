from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from host.models import InboundEvent, OutboundWebhook


@admin.register(InboundEvent)
class InboundEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "event_type", "signed_at", "received_at"]
    list_filter = ["event_type"]
    search_fields = ["event_id"]
    # events are evidence of what a sender told us: read-only
    readonly_fields = ["event_id", "event_type", "payload", "signed_at", "received_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(OutboundWebhook)
class OutboundWebhookAdmin(admin.ModelAdmin):
    list_display = ["delivery_id", "status", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["status"]
    search_fields = ["delivery_id"]
    # the queue is the delivery worker's: read-only here
    readonly_fields = [
        "delivery_id",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "delivered_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
