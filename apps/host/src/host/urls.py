from django.contrib import admin
from django.urls import path

from host import views

api = [
    path("api/accounts", views.create_account, name="api-accounts"),
    path("api/accounts/<int:account_id>", views.account_detail, name="api-account"),
    path("api/invoices", views.create_invoice, name="api-invoices"),
    path("api/invoices/<int:invoice_id>", views.invoice_detail, name="api-invoice"),
    path("api/invoices/<int:invoice_id>/issue", views.issue_invoice, name="api-invoice-issue"),
    path("api/invoices/<int:invoice_id>/payments", views.pay_invoice, name="api-invoice-pay"),
    path("api/webhooks/inbound", views.inbound_webhook, name="api-webhooks-inbound"),
    path("api/<path:rest>", views.not_found),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    *api,
]
