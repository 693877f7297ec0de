"""Template context every page needs: the service's name and the navigation for this person."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .navigation import navigation_for


def service(request) -> dict:
    user = getattr(request, "user", None)
    return {
        "SERVICE_NAME": settings.SERVICE_NAME,
        "COUNCIL_NAME": settings.COUNCIL_NAME,
        "nav_items": SimpleLazyObject(lambda: navigation_for(user, request.path) if user else []),
        "unread_notifications": SimpleLazyObject(
            lambda: user.notifications.unread().count() if user and user.is_authenticated else 0
        ),
    }
