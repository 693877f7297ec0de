"""Top-level URLs: pages per app, accounts, the API and its documentation, health, admin."""

from allauth.account.decorators import secure_admin_login
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.health import HealthView

# The admin signs in through the service's own sign-in page (with its lockout and two-factor rules).
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", include("core.urls")),
    path("providers/", include("providers.urls")),
    path("contracts/", include("contracts.urls")),
    path("", include("placements.urls")),
    path("reports/", include("reporting.urls")),
    path("account/", include("allauth.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # Swagger UI sets a few inline styles; its scripts stay external ('self' only).
        csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("health/", HealthView.as_view(), name="health"),
    path("admin/", admin.site.urls),
]

handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

admin.site.site_header = f"{settings.SERVICE_NAME}: administration"
admin.site.site_title = settings.SERVICE_NAME
