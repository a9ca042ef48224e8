from django.contrib import admin
from django.urls import path

from host import views
from host.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    # the JSON API, its OpenAPI description (/api/schema) and docs page (/api/docs)
    path("api/", api.urls),
    path("api/<path:rest>", views.not_found),
]
