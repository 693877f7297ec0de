"""Core pages."""

from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("your-account/", views.AccountView.as_view(), name="account"),
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
    path("notifications/mark-read/", views.NotificationMarkReadView.as_view(), name="notification-mark-read"),
    path("api-tokens/", views.ApiTokenListView.as_view(), name="apitoken-list"),
    path("api-tokens/new/", views.ApiTokenCreateView.as_view(), name="apitoken-create"),
    path("api-tokens/<int:pk>/revoke/", views.ApiTokenRevokeView.as_view(), name="apitoken-revoke"),
    path("reference/therapy-types/", views.TherapyTypeListView.as_view(), name="therapytype-list"),
    path("reference/therapy-types/<int:pk>/toggle/", views.TherapyTypeToggleView.as_view(), name="therapytype-toggle"),
    path("audit/", views.AuditListView.as_view(), name="audit-list"),
    path("audit/export/", views.AuditExportView.as_view(), name="audit-export"),
    path("cookies/", views.StaticPageView.as_view(template_name="core/cookies.html"), name="cookies"),
    path("privacy/", views.StaticPageView.as_view(template_name="core/privacy.html"), name="privacy"),
    path(
        "accessibility/",
        views.StaticPageView.as_view(template_name="core/accessibility.html"),
        name="accessibility",
    ),
]
