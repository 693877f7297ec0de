"""The REST API, version 1, mounted at /api/v1/. Each app's `api/urls.py` adds its bare patterns here."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("core.api.urls")),
    path("", include("providers.api.urls")),
    path("", include("contracts.api.urls")),
    path("", include("placements.api.urls")),
    path("", include("reporting.api.urls")),
]
